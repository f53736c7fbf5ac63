package dev.kiln.runtime.train;

/** How much {@code train} prints to {@link TrainOptions#out()}. */
public enum Verbosity {
  /** Nothing, except what callbacks print through their own streams. */
  QUIET,

  /** One plain line per epoch: loss, accuracy, validation metrics, time, samples/s. */
  EPOCHS,

  /**
   * On a terminal, a progress bar per epoch redrawn in place (at most ten times a second) with ETA,
   * running loss and accuracy and samples/s, ending in the epoch's line. When the output is not a
   * terminal (CI, a log, a file) this is the same as {@link #EPOCHS}, so logs hold no redraws.
   */
  BATCHES
}
