package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.TrainOptions;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A training step of a generated model allocates nothing: an epoch of 225 steps allocates no more
 * than an epoch of one step over the same data (per-epoch bookkeeping is the same in both).
 */
class TrainingStepAllocationTest {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static long allocatedBy(Runnable r) {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    r.run();
    return THREADS.getCurrentThreadAllocatedBytes() - before;
  }

  @Test
  void stepsAllocateNothingInSteadyState() {
    assertStepsAllocateNothing(new DigitsModel());
  }

  @Test
  void stepsWithAFrozenMiddleLayerAllocateNothing() {
    // The optimizer steps two ranges around the frozen layer.
    AdamWDigitsModel model = new AdamWDigitsModel();
    model.freeze("mid");
    assertStepsAllocateNothing(model);
  }

  private static void assertStepsAllocateNothing(Model model) {
    int threads = Parallelism.threads();
    Parallelism.setThreads(1);
    try {
      Dataset digits = SampleData.digits();
      TrainOptions oneStep = TrainOptions.epochs(1).withBatchSize(digits.rows()).quiet();
      TrainOptions manySteps = TrainOptions.epochs(1).withBatchSize(8).quiet();
      int steps = (digits.rows() + 7) / 8;
      for (int i = 0; i < 30; i++) { // let the JIT compile the step
        model.train(digits, manySteps);
        model.train(digits, oneStep);
      }
      long best = Long.MAX_VALUE;
      for (int attempt = 0; attempt < 10 && best > 0; attempt++) {
        long many = allocatedBy(() -> model.train(digits, manySteps));
        long one = allocatedBy(() -> model.train(digits, oneStep));
        best = Math.min(best, many - one);
      }
      assertTrue(best <= 0, (steps - 1) + " extra training steps allocated " + best + " bytes");
    } finally {
      Parallelism.setThreads(threads);
    }
  }
}
