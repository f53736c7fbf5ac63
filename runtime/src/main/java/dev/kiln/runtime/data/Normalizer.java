package dev.kiln.runtime.data;

/**
 * A per-column feature transform fitted on training data only and then applied unchanged to
 * validation, test and inference inputs, so no statistic leaks from held-out data. Labels and
 * targets pass through untouched.
 */
public interface Normalizer {
  /** The number of feature columns this normalizer was fitted on. */
  int cols();

  /**
   * The data set with its features transformed (a new features array; labels/targets shared).
   *
   * @throws IllegalArgumentException if {@code data.cols() != cols()}, naming both counts
   */
  Dataset transform(Dataset data);

  /**
   * Transforms one row for inference without allocating; {@code in} and {@code out} may be the
   * same array.
   *
   * @throws IllegalArgumentException if either length differs from {@link #cols()}
   */
  void transformRow(float[] in, float[] out);
}
