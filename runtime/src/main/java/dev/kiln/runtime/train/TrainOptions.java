package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import java.io.PrintStream;

/**
 * Options of one {@code train} call. Immutable; each {@code withX} returns a copy.
 *
 * <pre>{@code
 * model.train(train, TrainOptions.epochs(10).withValidation(val).withBatchSize(128));
 * }</pre>
 *
 * @param epochs number of passes over the training data
 * @param batchSize mini-batch size; 0 means the network's declared default
 * @param validation evaluated after every epoch, or null
 * @param shuffleSeed seed of the per-epoch shuffling; null means the model's seed
 * @param verbose whether to print one line per epoch
 * @param out where progress goes
 */
public record TrainOptions(
    int epochs,
    int batchSize,
    Dataset validation,
    Long shuffleSeed,
    boolean verbose,
    PrintStream out) {

  public TrainOptions {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize must be at least 1 (or 0 for the default), got " + batchSize);
    }
  }

  /** {@code n} epochs, default batch size, no validation, printing to standard output. */
  public static TrainOptions epochs(int n) {
    return new TrainOptions(n, 0, null, null, true, System.out);
  }

  public TrainOptions withBatchSize(int b) {
    if (b < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + b);
    }
    return new TrainOptions(epochs, b, validation, shuffleSeed, verbose, out);
  }

  public TrainOptions withValidation(Dataset v) {
    return new TrainOptions(epochs, batchSize, v, shuffleSeed, verbose, out);
  }

  public TrainOptions withShuffleSeed(long seed) {
    return new TrainOptions(epochs, batchSize, validation, seed, verbose, out);
  }

  public TrainOptions quiet() {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, false, out);
  }

  public TrainOptions withOutput(PrintStream o) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbose, o);
  }
}
