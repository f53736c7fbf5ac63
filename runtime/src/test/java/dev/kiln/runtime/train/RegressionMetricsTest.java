package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RegressionMetricsTest {
  @Test
  void singleOutputMatchesKnownExample() {
    // scikit-learn's documented example: MSE 0.375, MAE 0.5, R² 0.9486081370449679.
    RegressionMetrics r =
        RegressionMetrics.of(new float[] {2.5f, 0f, 2f, 8f}, new float[] {3f, -0.5f, 2f, 7f}, 1);
    assertEquals(4, r.samples());
    assertEquals(0.375, r.mse(), 1e-12);
    assertEquals(0.5, r.mae(), 1e-12);
    // Σ(y − ȳ)² with ȳ = 2.875: 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875; 1 − 1.5 / 29.1875
    assertEquals(1 - 1.5 / 29.1875, r.r2(), 1e-12);
    assertEquals(0.9486081370449679, r.r2(), 1e-12);
  }

  @Test
  void multipleOutputsAreAveragedWithEqualWeight() {
    float[] truth = {0.5f, 1f, -1f, 1f, 7f, -6f};
    float[] pred = {0f, 2f, -1f, 2f, 8f, -5f};
    RegressionMetrics r = RegressionMetrics.of(pred, truth, 2);
    // output 0: errors 0.5, 0, -1; output 1: errors -1, -1, -1
    assertEquals(1.25 / 3, r.mse(0), 1e-12);
    assertEquals(1.0, r.mse(1), 1e-12);
    assertEquals((1.25 / 3 + 1) / 2, r.mse(), 1e-12);
    assertEquals(0.5, r.mae(0), 1e-12);
    assertEquals(1.0, r.mae(1), 1e-12);
    // output 0: ȳ = 6.5/3, Σ(y − ȳ)² = 36.1666…; output 1: ȳ = −4/3, Σ = 32.6666…
    double ss0 = sq(0.5 - 6.5 / 3) + sq(-1 - 6.5 / 3) + sq(7 - 6.5 / 3);
    double ss1 = sq(1 + 4.0 / 3) * 2 + sq(-6 + 4.0 / 3);
    assertEquals(1 - 1.25 / ss0, r.r2(0), 1e-12);
    assertEquals(1 - 3 / ss1, r.r2(1), 1e-12);
    // scikit-learn: r2_score(..., multioutput='uniform_average') = 0.9368005266622779
    assertEquals(0.9368005266622779, r.r2(), 1e-9);
    assertTrue(r.toString().contains("average"), r.toString());
  }

  private static double sq(double v) {
    return v * v;
  }

  @Test
  void constantTargetsHaveUndefinedR2() {
    RegressionMetrics r = RegressionMetrics.of(new float[] {1f, 2f}, new float[] {3f, 3f}, 1);
    assertTrue(Double.isNaN(r.r2()));
    assertEquals(2.5, r.mse(), 1e-12);
  }

  @Test
  void mismatchedLengthsAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RegressionMetrics.of(new float[3], new float[4], 2));
    assertTrue(e.getMessage().contains("3 values") && e.getMessage().contains("4 values"), e.getMessage());
  }
}
