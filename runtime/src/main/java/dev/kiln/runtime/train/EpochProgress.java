package dev.kiln.runtime.train;

/**
 * How far an epoch had come when a checkpoint was taken inside it: the batches done and the running
 * sums its statistics are made of, so that a resumed run records the same epoch loss and accuracy as
 * an uninterrupted one.
 *
 * @param batchesDone batches of the epoch already trained (the resumed run starts with the next)
 * @param lossSum summed loss of those batches
 * @param samplesSeen rows of those batches
 * @param correct hits counted for the progress display (rows, scaled for per-step outputs)
 * @param accuracyCorrect labelled outputs predicted right (the epoch's accuracy)
 * @param accuracyCount labelled outputs seen
 */
public record EpochProgress(
    int batchesDone, double lossSum, long samplesSeen, long correct, long accuracyCorrect, long accuracyCount) {
  public EpochProgress {
    if (batchesDone < 0 || samplesSeen < 0 || correct < 0 || accuracyCorrect < 0 || accuracyCount < accuracyCorrect) {
      throw new IllegalArgumentException(
          "inconsistent epoch progress: " + batchesDone + " batches, " + samplesSeen + " samples, " + correct
              + " hits, accuracy " + accuracyCorrect + "/" + accuracyCount);
    }
  }
}
