package dev.kiln.report;

/**
 * One bin of a reliability diagram: the samples whose confidence (the predicted class's probability)
 * lies in {@code [lower, upper)} (the last bin also holds confidence 1).
 *
 * @param lower inclusive lower edge
 * @param upper exclusive upper edge (inclusive for the last bin)
 * @param count samples in the bin
 * @param meanConfidence mean confidence of those samples; NaN if the bin is empty
 * @param accuracy fraction of those samples predicted correctly; NaN if the bin is empty
 */
public record CalibrationBin(double lower, double upper, int count, double meanConfidence, double accuracy) {
  /** Whether no sample fell into this bin. */
  public boolean isEmpty() {
    return count == 0;
  }
}
