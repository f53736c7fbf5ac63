package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.EarlyStopping;
import dev.kiln.runtime.train.LearningRateSchedule;
import dev.kiln.runtime.train.ReduceLearningRateOnPlateau;
import dev.kiln.runtime.train.StopOnNaN;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
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
    assertStepsAllocateNothing(TrainOptions.epochs(1).quiet());
  }

  /** Per-batch callbacks (a cosine schedule, a batch counter) and per-epoch ones add no per-step allocation. */
  @Test
  void stepsWithCallbacksAllocateNothingInSteadyState() {
    long[] batches = new long[1];
    Callback counter =
        new Callback() {
          @Override
          public void onBatchEnd(TrainingContext c) {
            batches[0] += c.samplesSeen() > 0 ? 1 : 0;
          }
        };
    assertStepsAllocateNothing(
        TrainOptions.epochs(1)
            .quiet()
            .withCallbacks(
                LearningRateSchedule.cosine(3, 1e-5),
                new EarlyStopping("loss", 100),
                new ReduceLearningRateOnPlateau("loss", 0.5, 100),
                new StopOnNaN(),
                counter));
    assertTrue(batches[0] > 0);
  }

  private static void assertStepsAllocateNothing(TrainOptions options) {
    int threads = Parallelism.threads();
    Parallelism.setThreads(1);
    try {
      Dataset digits = SampleData.digits();
      DigitsModel model = new DigitsModel();
      TrainOptions oneStep = options.withBatchSize(digits.rows());
      TrainOptions manySteps = options.withBatchSize(8);
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
