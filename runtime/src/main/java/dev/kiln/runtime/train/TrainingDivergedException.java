package dev.kiln.runtime.train;

/**
 * Thrown when the training loss becomes NaN or infinite. The model's weights have been restored to
 * the last finished epoch (or to their values before training, if none finished).
 */
public final class TrainingDivergedException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final int epoch;
  private final int batch;

  public TrainingDivergedException(String message, int epoch, int batch) {
    super(message);
    this.epoch = epoch;
    this.batch = batch;
  }

  /** 1-based epoch in which the loss diverged. */
  public int epoch() {
    return epoch;
  }

  /** 0-based batch index within that epoch. */
  public int batch() {
    return batch;
  }
}
