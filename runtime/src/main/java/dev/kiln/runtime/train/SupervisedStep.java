package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.optim.Optimizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The step of supervised training: load the batch, clear the gradients, forward in training mode,
 * loss and backward, then one optimizer update over the trainable parts of the arena (skipped when
 * the loss is not finite). Allocates nothing.
 */
public final class SupervisedStep implements TrainingStep {
  private final TrainableNetwork network;
  private final Optimizer optimizer;

  /**
   * @param network the network to train
   * @param optimizer the optimizer whose state belongs to {@code network}'s parameter arena
   */
  public SupervisedStep(TrainableNetwork network, Optimizer optimizer) {
    this.network = Objects.requireNonNull(network, "network");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
  }

  @Override
  public double run(Dataset data, int[] order, int start, int n) {
    network.loadBatch(data, order, start, n);
    Arrays.fill(network.gradients(), 0f);
    network.forward(n, true);
    double loss = network.loss(n, true);
    if (Double.isFinite(loss)) {
      // Frozen layers' floats are neither read nor written.
      optimizer.step(network.parameters(), network.gradients(), network.trainableRanges());
    }
    return loss;
  }

  @Override
  public void accumulate(Metric[] metrics, int n) {
    boolean classification = network.isClassification();
    int steps = classification ? network.labelsPerSample() : 1;
    for (Metric m : metrics) {
      m.accumulate(
          network.outputArena(),
          network.outputOffset(),
          n * steps,
          network.outputs() / steps,
          classification ? network.labels() : null,
          classification ? null : network.targets());
    }
  }
}
