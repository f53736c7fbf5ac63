package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.optim.GradientClipping;
import dev.kiln.runtime.optim.Optimizer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The step of supervised training: with adversarial training, attack part of the batch (see
 * {@link BatchPerturbation}); load the batch (its attacked rows' inputs replaced), clear the gradients, forward in training mode,
 * loss and backward, then, when the loss is finite: the gradient norms (if recorded) and clipping
 * (if asked for) over the trainable parts of the gradient arena, and one optimizer update over the
 * same parts, with the layers' update-to-weight ratios when gradient norms are recorded. Allocates
 * nothing.
 */
public final class SupervisedStep implements TrainingStep {
  private final TrainableNetwork network;
  private final Optimizer optimizer;
  private final GradientClipping clipping;
  private final GradientNormTracker norms;
  private final BatchPerturbation adversarial;

  /**
   * A step without clipping or gradient norms.
   *
   * @param network the network to train
   * @param optimizer the optimizer whose state belongs to {@code network}'s parameter arena
   */
  public SupervisedStep(TrainableNetwork network, Optimizer optimizer) {
    this(network, optimizer, GradientClipping.none(), null);
  }

  /**
   * @param network the network to train
   * @param optimizer the optimizer whose state belongs to {@code network}'s parameter arena
   * @param clipping applied to the gradient after backward, before the optimizer update
   * @param norms records the gradient norms before clipping, or null
   */
  public SupervisedStep(
      TrainableNetwork network, Optimizer optimizer, GradientClipping clipping, GradientNormTracker norms) {
    this(network, optimizer, clipping, norms, null);
  }

  /**
   * @param network the network to train
   * @param optimizer the optimizer whose state belongs to {@code network}'s parameter arena
   * @param clipping applied to the gradient after backward, before the optimizer update
   * @param norms records the gradient norms before clipping, or null
   * @param adversarial replaces the inputs of part of each batch (adversarial training), or null
   */
  public SupervisedStep(TrainableNetwork network, Optimizer optimizer, GradientClipping clipping,
      GradientNormTracker norms, BatchPerturbation adversarial) {
    this.adversarial = adversarial;
    this.network = Objects.requireNonNull(network, "network");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    this.clipping = Objects.requireNonNull(clipping, "clipping");
    this.norms = norms;
  }

  @Override
  public double run(Dataset data, int[] order, int start, int n) {
    // The attack runs first: it may use the network's arenas, which loadBatch then fills.
    int attacked = adversarial == null ? 0 : adversarial.perturb(data, order, start, n);
    network.loadBatch(data, order, start, n);
    if (attacked > 0) {
      network.loadInputs(adversarial.inputs(), attacked);
    }
    Arrays.fill(network.gradients(), 0f);
    network.forward(n, true);
    double loss = network.loss(n, true);
    if (Double.isFinite(loss)) {
      // Frozen layers' floats are neither read nor written.
      float[] grads = network.gradients();
      int[] ranges = network.trainableRanges();
      if (norms != null || clipping.clipsNorm()) {
        double norm = Math.sqrt(clipping.sumOfSquares(grads, ranges));
        if (norms != null) {
          norms.record(grads, ranges, norm, clipping);
        }
        clipping.clip(grads, ranges, norm);
      } else if (clipping.clips()) {
        clipping.clip(grads, ranges, Double.NaN);
      }
      float[] params = network.parameters();
      if (norms != null) {
        norms.beforeUpdate(params, ranges);
      }
      optimizer.step(params, grads, ranges);
      if (norms != null) {
        norms.afterUpdate(params);
      }
    }
    return loss;
  }

  @Override
  public void epochBegin(int epoch) {
    if (adversarial != null) {
      adversarial.epochBegin(epoch);
    }
  }

  @Override
  public GradientNormTracker gradientNorms() {
    return norms;
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
