package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.RegressionMetrics;
import java.util.Objects;

/**
 * Evaluation of a regression model: mean squared error, mean absolute error and the coefficient of
 * determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per output and averaged over outputs with equal
 * weight (scikit-learn's {@code multioutput="uniform_average"}). R² of an output whose targets are
 * all equal is undefined and reported as NaN. The numbers are the runtime's {@link RegressionMetrics}
 * (what {@code model.evaluate(data).regression()} returns). Instances are immutable.
 */
public final class RegressionReport {
  private final RegressionMetrics metrics;

  private RegressionReport(RegressionMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Evaluates {@code model} on every row of {@code data}.
   *
   * @throws IllegalArgumentException if {@code data} does not hold one regression target per model output
   */
  public static RegressionReport of(Model model, Dataset data) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    int outputs = model.spec().outputs();
    if (data.isClassification() || data.targetCols() != outputs) {
      throw new IllegalArgumentException(
          "data set '" + data.name() + "' must hold " + outputs + " regression targets per row for "
              + model.spec().network());
    }
    return fromPredictions(Predictions.of(model, data), data.targets(), outputs);
  }

  /**
   * A report from predictions computed elsewhere.
   *
   * @param predictions row-major {@code [samples, outputs]}
   * @param targets row-major {@code [samples, outputs]}, same length as {@code predictions}
   * @param outputs values per sample
   * @throws IllegalArgumentException if the lengths disagree or are not a multiple of {@code outputs}
   */
  public static RegressionReport fromPredictions(float[] predictions, float[] targets, int outputs) {
    return new RegressionReport(RegressionMetrics.of(predictions, targets, outputs));
  }

  /** The metrics themselves, as the runtime computes them. */
  public RegressionMetrics metrics() {
    return metrics;
  }

  /** Number of samples evaluated. */
  public int samples() {
    return metrics.samples();
  }

  /** Number of outputs per sample. */
  public int outputs() {
    return metrics.outputs();
  }

  /** Mean squared error of output {@code j}. */
  public double mse(int j) {
    return metrics.mse(j);
  }

  /** Mean absolute error of output {@code j}. */
  public double mae(int j) {
    return metrics.mae(j);
  }

  /** R² of output {@code j}; NaN if its targets are constant. */
  public double r2(int j) {
    return metrics.r2(j);
  }

  /** Mean squared error averaged over outputs. */
  public double mse() {
    return metrics.mse();
  }

  /** Mean absolute error averaged over outputs. */
  public double mae() {
    return metrics.mae();
  }

  /** R² averaged over outputs (NaN if any output's is). */
  public double r2() {
    return metrics.r2();
  }

  /** A plain-text table: one row per output, then the averages. */
  @Override
  public String toString() {
    return metrics.toString();
  }
}
