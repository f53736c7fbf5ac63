package dev.kiln.runtime.data;

import java.util.Objects;

/** Shared body of the normalizers that map each column as {@code (x - shift[c]) / divisor[c]}. */
abstract class AffineNormalizer implements Normalizer {
  private final float[] shift;
  private final float[] divisor;

  AffineNormalizer(float[] shift, float[] divisor) {
    this.shift = shift;
    this.divisor = divisor;
  }

  float[] shift() {
    return shift;
  }

  float[] divisor() {
    return divisor;
  }

  @Override
  public int cols() {
    return shift.length;
  }

  @Override
  public Dataset transform(Dataset data) {
    Objects.requireNonNull(data, "data");
    int cols = cols();
    if (data.cols() != cols) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " was fitted on " + cols
          + " columns, but dataset '" + data.name() + "' has " + data.cols());
    }
    float[] in = data.features();
    float[] out = new float[in.length];
    for (int base = 0; base < in.length; base += cols) {
      for (int c = 0; c < cols; c++) {
        out[base + c] = (in[base + c] - shift[c]) / divisor[c];
      }
    }
    return data.withFeatures(out);
  }

  @Override
  public void transformRow(float[] in, float[] out) {
    int cols = cols();
    if (in.length != cols || out.length != cols) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " was fitted on " + cols
          + " columns, but got a row of " + in.length + " into a buffer of " + out.length);
    }
    for (int c = 0; c < cols; c++) {
      out[c] = (in[c] - shift[c]) / divisor[c];
    }
  }

  static void requireRows(Dataset train, String who) {
    if (train.rows() == 0) {
      throw new IllegalArgumentException(who + " cannot be fitted on dataset '" + train.name()
          + "': it has no rows");
    }
  }
}
