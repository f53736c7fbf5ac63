package dev.kiln.runtime.data;

/**
 * Scales each feature column to [0, 1] over the training data: {@code (x - min) / (max - min)}. A
 * constant column is divided by 1, so its training values become 0. Values outside the training
 * range map outside [0, 1]; they are not clipped (as scikit-learn's {@code MinMaxScaler}).
 */
public final class MinMaxScaler extends AffineNormalizer {
  private MinMaxScaler(float[] min, float[] range) {
    super(min, range);
  }

  /** Fits on the training part only. @throws IllegalArgumentException if {@code train} has no rows */
  public static MinMaxScaler fit(Dataset train) {
    requireRows(train, "MinMaxScaler");
    int cols = train.cols();
    float[] x = train.features();
    float[] min = new float[cols];
    float[] max = new float[cols];
    System.arraycopy(x, 0, min, 0, cols);
    System.arraycopy(x, 0, max, 0, cols);
    for (int base = cols; base < x.length; base += cols) {
      for (int c = 0; c < cols; c++) {
        min[c] = Math.min(min[c], x[base + c]);
        max[c] = Math.max(max[c], x[base + c]);
      }
    }
    float[] range = new float[cols];
    for (int c = 0; c < cols; c++) {
      float r = max[c] - min[c];
      // r can overflow to infinity for extreme columns; fall back to 1 like a constant column.
      range[c] = r > 0 && Float.isFinite(r) ? r : 1f;
    }
    return new MinMaxScaler(min, range);
  }

  /** A copy of the fitted per-column minimums. */
  public float[] min() {
    return shift().clone();
  }

  /** A copy of the per-column divisors: {@code max - min}, or 1 for a constant column. */
  public float[] range() {
    return divisor().clone();
  }
}
