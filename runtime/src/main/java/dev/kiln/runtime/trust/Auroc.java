package dev.kiln.runtime.trust;

import java.util.Arrays;
import java.util.Objects;

/**
 * The exact area under the ROC curve of a score that should be higher on positives than on
 * negatives: the probability that a random positive scores above a random negative, ties counting
 * one half (the Mann–Whitney U statistic divided by n₊·n₋). Computed from mid-ranks in
 * O(n log n), equal to the pairwise count.
 */
public final class Auroc {
  private Auroc() {}

  /**
   * The AUROC of {@code positives} against {@code negatives}.
   *
   * @return a value in [0, 1]; NaN if either set is empty
   * @throws IllegalArgumentException naming the set and index of a NaN score
   */
  public static double of(double[] positives, double[] negatives) {
    Objects.requireNonNull(positives, "positives");
    Objects.requireNonNull(negatives, "negatives");
    requireNumbers(positives, "positive");
    requireNumbers(negatives, "negative");
    int np = positives.length;
    int nn = negatives.length;
    if (np == 0 || nn == 0) {
      return Double.NaN;
    }
    // Sort all scores, each tagged with its set; equal scores share their mean rank.
    int n = np + nn;
    double[] all = new double[n];
    System.arraycopy(positives, 0, all, 0, np);
    System.arraycopy(negatives, 0, all, np, nn);
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(all[a], all[b]));
    double positiveRankSum = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j < n && all[order[j]] == all[order[i]]) {
        j++;
      }
      double midRank = (i + 1 + j) / 2.0; // ranks i+1 .. j
      for (int k = i; k < j; k++) {
        if (order[k] < np) {
          positiveRankSum += midRank;
        }
      }
      i = j;
    }
    double u = positiveRankSum - (double) np * (np + 1) / 2;
    return u / ((double) np * nn);
  }

  private static void requireNumbers(double[] scores, String set) {
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score " + i + " of the " + set + " samples is NaN");
      }
    }
  }
}
