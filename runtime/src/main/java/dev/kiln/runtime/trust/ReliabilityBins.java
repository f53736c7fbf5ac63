package dev.kiln.runtime.trust;

import java.util.Objects;

/**
 * Top-label calibration over equal-width bins of confidence (the probability of the predicted
 * class): bin b holds the samples whose confidence lies in {@code [b / bins, (b + 1) / bins)}, the
 * last bin also confidence 1. The expected calibration error is
 * {@code ECE = Σ_b (n_b / n) · |accuracy_b − meanConfidence_b|} (Guo et al., 2017).
 *
 * @param counts samples per bin
 * @param meanConfidence mean confidence per bin; NaN for an empty bin
 * @param accuracy fraction of correct predictions per bin; NaN for an empty bin
 * @param expectedCalibrationError the ECE in [0, 1]; NaN when there are no samples
 */
public record ReliabilityBins(int[] counts, double[] meanConfidence, double[] accuracy, double expectedCalibrationError) {
  /** Default number of bins, as in Guo et al. (2017). */
  public static final int DEFAULT_BINS = 15;

  /**
   * Bins the samples.
   *
   * @param confidence each sample's confidence, in [0, 1]
   * @param correct whether each sample's predicted class is its label
   * @param bins number of equal-width bins, at least 1
   * @throws IllegalArgumentException if the arrays differ in length, {@code bins < 1}, or a
   *     confidence is outside [0, 1] (naming the sample)
   */
  public static ReliabilityBins of(double[] confidence, boolean[] correct, int bins) {
    Objects.requireNonNull(confidence, "confidence");
    Objects.requireNonNull(correct, "correct");
    if (bins < 1) {
      throw new IllegalArgumentException("the number of calibration bins must be at least 1, got " + bins);
    }
    if (confidence.length != correct.length) {
      throw new IllegalArgumentException(
          confidence.length + " confidences but " + correct.length + " correctness flags");
    }
    int[] count = new int[bins];
    double[] confidenceSum = new double[bins];
    int[] right = new int[bins];
    for (int i = 0; i < confidence.length; i++) {
      double c = confidence[i];
      if (!(c >= 0 && c <= 1)) {
        throw new IllegalArgumentException("confidence of sample " + i + " is " + c + ", outside [0, 1]");
      }
      int b = Math.min((int) (c * bins), bins - 1);
      count[b]++;
      confidenceSum[b] += c;
      if (correct[i]) {
        right[b]++;
      }
    }
    double[] mean = new double[bins];
    double[] accuracy = new double[bins];
    double ece = 0;
    for (int b = 0; b < bins; b++) {
      mean[b] = count[b] == 0 ? Double.NaN : confidenceSum[b] / count[b];
      accuracy[b] = count[b] == 0 ? Double.NaN : (double) right[b] / count[b];
      if (count[b] > 0) {
        ece += (double) count[b] / confidence.length * Math.abs(accuracy[b] - mean[b]);
      }
    }
    return new ReliabilityBins(count, mean, accuracy, confidence.length == 0 ? Double.NaN : ece);
  }

  /** Number of bins. */
  public int bins() {
    return counts.length;
  }
}
