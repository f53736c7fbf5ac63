package dev.kiln.runtime.train;

import java.util.Objects;

/**
 * Regression metrics: mean squared error, mean absolute error and the coefficient of
 * determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per output and averaged over outputs with equal
 * weight (scikit-learn's {@code multioutput="uniform_average"}). R² of an output whose targets are
 * all equal is undefined and reported as NaN. Instances are immutable. Returned by
 * {@code Model.evaluate} for regression networks; the report module's {@code RegressionReport} shows
 * the same numbers.
 */
public final class RegressionMetrics {
  private final int samples;
  private final double[] mse;
  private final double[] mae;
  private final double[] r2;

  private RegressionMetrics(int samples, double[] mse, double[] mae, double[] r2) {
    this.samples = samples;
    this.mse = mse;
    this.mae = mae;
    this.r2 = r2;
  }

  /**
   * Metrics of {@code predictions} against {@code targets}.
   *
   * @param predictions row-major {@code [samples, outputs]}
   * @param targets row-major {@code [samples, outputs]}, same length as {@code predictions}
   * @param outputs values per sample
   * @throws IllegalArgumentException if the lengths disagree or are not a multiple of {@code outputs}
   */
  public static RegressionMetrics of(float[] predictions, float[] targets, int outputs) {
    Objects.requireNonNull(predictions, "predictions");
    Objects.requireNonNull(targets, "targets");
    if (outputs < 1) {
      throw new IllegalArgumentException("outputs must be at least 1, got " + outputs);
    }
    if (predictions.length != targets.length || targets.length % outputs != 0) {
      throw new IllegalArgumentException(
          "predictions (" + predictions.length + " values) and targets (" + targets.length
              + " values) must both hold samples x " + outputs + " outputs");
    }
    int n = targets.length / outputs;
    double[] mse = new double[outputs];
    double[] mae = new double[outputs];
    double[] r2 = new double[outputs];
    for (int j = 0; j < outputs; j++) {
      double mean = 0;
      for (int i = 0; i < n; i++) {
        mean += targets[i * outputs + j];
      }
      mean /= n;
      double squared = 0;
      double absolute = 0;
      double total = 0;
      for (int i = 0; i < n; i++) {
        double y = targets[i * outputs + j];
        double e = y - predictions[i * outputs + j];
        squared += e * e;
        absolute += Math.abs(e);
        total += (y - mean) * (y - mean);
      }
      mse[j] = squared / n;
      mae[j] = absolute / n;
      r2[j] = total == 0 ? Double.NaN : 1 - squared / total;
    }
    return new RegressionMetrics(n, mse, mae, r2);
  }

  /** Number of samples evaluated. */
  public int samples() {
    return samples;
  }

  /** Number of outputs per sample. */
  public int outputs() {
    return mse.length;
  }

  /** Mean squared error of output {@code j}. */
  public double mse(int j) {
    return mse[Objects.checkIndex(j, mse.length)];
  }

  /** Mean absolute error of output {@code j}. */
  public double mae(int j) {
    return mae[Objects.checkIndex(j, mae.length)];
  }

  /** R² of output {@code j}; NaN if its targets are constant. */
  public double r2(int j) {
    return r2[Objects.checkIndex(j, r2.length)];
  }

  /** Mean squared error averaged over outputs. */
  public double mse() {
    return mean(mse);
  }

  /** Mean absolute error averaged over outputs. */
  public double mae() {
    return mean(mae);
  }

  /** R² averaged over outputs (NaN if any output's is). */
  public double r2() {
    return mean(r2);
  }

  private static double mean(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s / a.length;
  }

  /** A plain-text table: one row per output, then the averages. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    String row = "%10s %12.6f %12.6f %10.4f%n";
    s.append(String.format("%10s %12s %12s %10s%n", "output", "MSE", "MAE", "R²"));
    for (int j = 0; j < mse.length; j++) {
      s.append(String.format(row, Integer.toString(j), mse[j], mae[j], r2[j]));
    }
    s.append(String.format(row, "average", mse(), mae(), r2()));
    s.append(String.format("%10s %12d%n", "samples", samples));
    return s.toString();
  }
}
