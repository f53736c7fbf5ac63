package dev.kiln.runtime.data;

import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Standardizes regression targets, {@code (y - mean) / std} per target column, and maps a model's
 * outputs back to the original units. A network trained on standardized targets learns faster and
 * with the usual learning rates when targets are large (prices, counts); its predictions are then in
 * standard deviations until {@link #inverseTransform} puts them back.
 *
 * <pre>{@code
 * Standardizer x = Standardizer.fit(train);              // features
 * TargetStandardizer y = TargetStandardizer.fit(train);  // targets, fitted on training data only
 * model.train(y.transform(x.transform(train)), options);
 * x.transformRow(sample, row);
 * float[] price = y.inverseTransform(model.predict(row));                   // original units
 * RegressionMetrics m = model.evaluate(x.transform(test), y);              // MSE, MAE in original units
 * y.save(Path.of("targets.safetensors"));                                  // keep it beside the weights
 * }</pre>
 *
 * <p>Uses the population standard deviation; a constant target column is divided by 1. Immutable.
 */
public final class TargetStandardizer {
  static final String MEAN = "target.mean";
  static final String STD = "target.std";
  static final String KIND = "kiln.target_standardizer";

  private final float[] mean;
  private final float[] std;

  private TargetStandardizer(float[] mean, float[] std) {
    this.mean = mean;
    this.std = std;
  }

  /**
   * Fits on the targets of a regression data set.
   *
   * @throws IllegalArgumentException if {@code train} holds class labels or no rows
   */
  public static TargetStandardizer fit(Dataset train) {
    Objects.requireNonNull(train, "train");
    requireRegression(train);
    AffineNormalizer.requireRows(train, "TargetStandardizer");
    float[][] meanStd = Standardizer.columnMeanStd(train.targets(), train.rows(), train.targetCols());
    return new TargetStandardizer(meanStd[0], meanStd[1]);
  }

  /** Target columns it was fitted on. */
  public int cols() {
    return mean.length;
  }

  /** A copy of the fitted per-column means. */
  public float[] mean() {
    return mean.clone();
  }

  /** A copy of the per-column divisors: the fitted standard deviation, or 1 for a constant column. */
  public float[] std() {
    return std.clone();
  }

  /** The same features with standardized targets. */
  public Dataset transform(Dataset data) {
    Objects.requireNonNull(data, "data");
    requireRegression(data);
    requireCols(data.targetCols(), "dataset '" + data.name() + "' has " + data.targetCols() + " target columns");
    float[] in = data.targets();
    float[] out = new float[in.length];
    int cols = cols();
    for (int i = 0; i < in.length; i++) {
      out[i] = (in[i] - mean[i % cols]) / std[i % cols];
    }
    return data.withTargets(out);
  }

  /**
   * Maps standardized values (a model's outputs, one row or several row-major) back to the original
   * units, in place: {@code v * std + mean}.
   *
   * @return {@code values}, for chaining
   * @throws IllegalArgumentException if the length is not a multiple of {@link #cols()}
   */
  public float[] inverseTransform(float[] values) {
    Objects.requireNonNull(values, "values");
    int cols = cols();
    if (values.length % cols != 0) {
      throw new IllegalArgumentException("TargetStandardizer was fitted on " + cols + " target columns, but got "
          + values.length + " values, not a whole number of rows");
    }
    for (int i = 0; i < values.length; i++) {
      values[i] = values[i] * std[i % cols] + mean[i % cols];
    }
    return values;
  }

  /** Writes means and divisors as a small safetensors file ({@code target.mean}, {@code target.std}), atomically. */
  public void save(Path file) throws IOException {
    SafeTensors.write(file, Map.of(KIND, "1"),
        List.of(Tensor.of(MEAN, mean, mean.length), Tensor.of(STD, std, std.length)));
  }

  /**
   * Reads a file written by {@link #save}.
   *
   * @throws IOException (a {@code SafeTensorsFormatException} for a damaged file) naming the file if
   *     it is not a target standardizer's
   */
  public static TargetStandardizer load(Path file) throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      if (!f.metadata().containsKey(KIND) || !f.contains(MEAN) || !f.contains(STD)
          || f.elementCount(MEAN) != f.elementCount(STD) || f.elementCount(MEAN) < 1
          || f.shape(MEAN).length != 1 || f.shape(STD).length != 1) {
        throw new IOException(file + " is not a TargetStandardizer file (written by TargetStandardizer.save):"
            + " it holds " + f.names());
      }
      float[] m = f.data(MEAN);
      float[] s = f.data(STD);
      for (int c = 0; c < s.length; c++) {
        if (!Float.isFinite(m[c]) || !Float.isFinite(s[c]) || !(s[c] > 0)) {
          throw new IOException(file + ": column " + c + " has mean " + m[c] + " and std " + s[c]
              + "; both must be finite and std > 0");
        }
      }
      return new TargetStandardizer(m, s);
    }
  }

  private void requireCols(int n, String what) {
    if (n != cols()) {
      throw new IllegalArgumentException("TargetStandardizer was fitted on " + cols() + " target columns, but "
          + what);
    }
  }

  private static void requireRegression(Dataset d) {
    if (d.isClassification()) {
      throw new IllegalArgumentException("dataset '" + d.name() + "' holds class labels; TargetStandardizer is"
          + " for regression targets");
    }
  }

  @Override
  public String toString() {
    return "TargetStandardizer[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
  }
}
