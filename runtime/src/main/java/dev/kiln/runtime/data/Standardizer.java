package dev.kiln.runtime.data;

/**
 * Scales each feature column to zero mean and unit variance: {@code (x - mean) / std}, with the
 * population standard deviation (divide by n, as scikit-learn's {@code StandardScaler}). A constant
 * column has std 0 and is divided by 1 instead, so it becomes all zeros rather than NaN.
 */
public final class Standardizer extends AffineNormalizer {
  private Standardizer(float[] mean, float[] std) {
    super(mean, std);
  }

  /** Fits on the training part only. @throws IllegalArgumentException if {@code train} has no rows */
  public static Standardizer fit(Dataset train) {
    requireRows(train, "Standardizer");
    float[][] meanStd = columnMeanStd(train.features(), train.rows(), train.cols());
    return new Standardizer(meanStd[0], meanStd[1]);
  }

  /**
   * Per-column mean and divisor {@code {mean, std}} of a row-major {@code rows x cols} array: the
   * population standard deviation, or 1 for a constant column. Shared with {@link TargetStandardizer}.
   */
  static float[][] columnMeanStd(float[] x, int rows, int cols) {
    // Two passes in double: a one-pass sum of squares loses the variance of large-offset columns.
    double[] sum = new double[cols];
    for (int base = 0; base < x.length; base += cols) {
      for (int c = 0; c < cols; c++) {
        sum[c] += x[base + c];
      }
    }
    double[] mean = new double[cols];
    for (int c = 0; c < cols; c++) {
      mean[c] = sum[c] / rows;
    }
    double[] sq = new double[cols];
    for (int base = 0; base < x.length; base += cols) {
      for (int c = 0; c < cols; c++) {
        double d = x[base + c] - mean[c];
        sq[c] += d * d;
      }
    }
    float[] m = new float[cols];
    float[] s = new float[cols];
    for (int c = 0; c < cols; c++) {
      m[c] = (float) mean[c];
      float std = (float) Math.sqrt(sq[c] / rows);
      s[c] = std > 0 ? std : 1f;
    }
    return new float[][] {m, s};
  }

  /** A copy of the fitted per-column means. */
  public float[] mean() {
    return shift().clone();
  }

  /** A copy of the per-column divisors: the fitted standard deviation, or 1 for a constant column. */
  public float[] std() {
    return divisor().clone();
  }
}
