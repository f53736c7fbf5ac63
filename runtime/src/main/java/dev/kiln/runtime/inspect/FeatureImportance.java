package dev.kiln.runtime.inspect;

/**
 * Permutation importance of every input feature (see {@link PermutationImportance}): means and
 * standard deviations over the repeats, one entry per feature.
 *
 * @param accuracy the accuracy with no feature shuffled (NaN for regression)
 * @param loss the mean loss with no feature shuffled
 * @param accuracyDrop per feature, accuracy - accuracy with that feature shuffled
 * @param accuracyDropStd their standard deviations over the repeats
 * @param lossRise per feature, mean loss with that feature shuffled - loss
 * @param lossRiseStd their standard deviations over the repeats
 * @param repeats shuffles per feature
 */
public record FeatureImportance(
    double accuracy,
    double loss,
    double[] accuracyDrop,
    double[] accuracyDropStd,
    double[] lossRise,
    double[] lossRiseStd,
    int repeats) {
  /** Features. */
  public int features() {
    return lossRise.length;
  }

  /** The feature whose shuffling raises the loss most. */
  public int mostImportant() {
    int best = 0;
    for (int f = 1; f < lossRise.length; f++) {
      if (lossRise[f] > lossRise[best]) {
        best = f;
      }
    }
    return best;
  }
}
