package dev.kiln.report;

/**
 * The receiver operating characteristic of a binary classifier that scores each sample with the
 * probability of class 1. Point {@code i} holds the rates when every sample whose score is at least
 * {@code thresholds[i]} is called positive; the first point is (0, 0) at threshold +∞, the last
 * (1, 1). Samples with equal scores enter the curve together, so ties give a diagonal segment and
 * count half, as in the Mann–Whitney statistic.
 *
 * @param falsePositiveRate x coordinates, non-decreasing
 * @param truePositiveRate y coordinates, non-decreasing
 * @param thresholds score thresholds, decreasing
 * @param auc area under the curve by the trapezoidal rule; NaN when only one class is present
 */
public record RocCurve(double[] falsePositiveRate, double[] truePositiveRate, double[] thresholds, double auc) {
  /** Number of points. */
  public int size() {
    return thresholds.length;
  }
}
