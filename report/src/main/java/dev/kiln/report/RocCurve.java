package dev.kiln.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

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

  /**
   * The curve of {@code scores} against {@code labels} (1 positive, 0 negative): no points and AUC
   * NaN when one class is missing.
   *
   * @throws IllegalArgumentException if the arrays differ in length, a label is not 0 or 1, or a
   *     score is NaN (naming the sample)
   */
  public static RocCurve of(double[] scores, int[] labels) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(labels, "labels");
    int n = labels.length;
    if (scores.length != n) {
      throw new IllegalArgumentException(scores.length + " scores but " + n + " labels");
    }
    int positives = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException("label of sample " + i + " is " + labels[i] + "; the ROC curve needs 0 or 1");
      }
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score of sample " + i + " is NaN");
      }
      positives += labels[i];
    }
    int negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return new RocCurve(new double[0], new double[0], new double[0], Double.NaN);
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    List<double[]> points = new ArrayList<>(); // {fpr, tpr, threshold}
    points.add(new double[] {0, 0, Double.POSITIVE_INFINITY});
    int tp = 0;
    int fp = 0;
    int i = 0;
    while (i < n) {
      double threshold = scores[order[i]];
      // Every sample with this score crosses the threshold at once.
      while (i < n && scores[order[i]] == threshold) {
        if (labels[order[i]] == 1) {
          tp++;
        } else {
          fp++;
        }
        i++;
      }
      points.add(new double[] {(double) fp / negatives, (double) tp / positives, threshold});
    }
    double[] fpr = new double[points.size()];
    double[] tpr = new double[points.size()];
    double[] thresholds = new double[points.size()];
    double auc = 0;
    for (int k = 0; k < points.size(); k++) {
      fpr[k] = points.get(k)[0];
      tpr[k] = points.get(k)[1];
      thresholds[k] = points.get(k)[2];
      if (k > 0) {
        auc += (fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1]) / 2;
      }
    }
    return new RocCurve(fpr, tpr, thresholds, auc);
  }
}
