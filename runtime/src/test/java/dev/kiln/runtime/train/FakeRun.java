package dev.kiln.runtime.train;

import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.optim.Optimizer;
import java.lang.reflect.Proxy;

/**
 * Drives a {@link TrainingRun} by hand, without a generated network: a stand-in model that answers
 * nothing, a real optimizer, and epochs whose metrics the test chooses.
 */
final class FakeRun {
  static final OptimizerSpec SGD = new OptimizerSpec("SGD", 0.1f, 0, false, 0.9f, 0.999f, 1e-8f, 0);

  final float[] params = new float[4];
  final Optimizer optimizer = SGD.create(params.length);
  final TrainingRun run;
  final int batches;

  FakeRun(TrainOptions options, int samplesPerEpoch, int batchSize, boolean classification) {
    TrainedModel model =
        (TrainedModel)
            Proxy.newProxyInstance(
                TrainedModel.class.getClassLoader(),
                new Class<?>[] {TrainedModel.class},
                (proxy, method, args) -> {
                  throw new UnsupportedOperationException(method.getName());
                });
    run =
        new TrainingRun(
            model, "Fake", classification ? 1 : 0, options, optimizer, params, 0.1f, samplesPerEpoch, batchSize, 1, new History(), 7);
    batches = (samplesPerEpoch + batchSize - 1) / batchSize;
  }

  /** Runs one epoch whose batches each have mean loss {@code loss}, ending with the given stats. */
  void epoch(int epoch, double loss, double accuracy, double valLoss, double valAccuracy) {
    run.epochBegin(epoch);
    int size = run.context().batchSize();
    for (int b = 0; b < batches; b++) {
      run.batchBegin(b);
      int n = Math.min(size, run.context().samplesPerEpoch() - b * size);
      run.batchEnd(n, loss * n, Math.round(accuracy * n));
    }
    run.epochEnd(new EpochStats(epoch, loss, accuracy, valLoss, valAccuracy, 1.5, 1000));
  }
}
