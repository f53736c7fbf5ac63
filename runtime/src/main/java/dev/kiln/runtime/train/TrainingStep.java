package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;

/**
 * One step of training on one batch, under the loop of {@link TrainingLoop}: the loop chooses the
 * batches, calls the callbacks, handles divergence and checkpoints; the step does the work on the
 * networks (for a supervised network: load the batch, clear the gradients, forward, loss and
 * backward, optimizer update, see {@link SupervisedStep}). Another kind of training (an adversarial
 * step over a generator and a discriminator, several optimizers) is another implementation.
 *
 * <p>A step must not allocate in steady state: the loop calls it once per batch.
 */
public interface TrainingStep {
  /**
   * Trains on rows {@code order[start, start + n)} of {@code data}.
   *
   * @return the loss summed over the {@code n} samples; when it is NaN or infinite the step must
   *     have left the weights and optimizer state unchanged, and the loop reports the divergence
   */
  double run(Dataset data, int[] order, int start, int n);

  /**
   * Adds the outputs of the last {@link #run} (on {@code n} samples, with a finite loss) to
   * {@code metrics}; a step without per-sample outputs to measure leaves them unchanged.
   */
  void accumulate(Metric[] metrics, int n);

  /** Called by the loop at the start of every epoch (1-based), before its first batch. */
  default void epochBegin(int epoch) {}

  /**
   * The gradient norms this step records, which the loop resets at every epoch's start and reads
   * into {@link EpochStats#gradientNorms()} at its end; null (the default) when it records none.
   */
  default GradientNormTracker gradientNorms() {
    return null;
  }
}
