package dev.kiln.runtime.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.inspect.IntegratedGradients.Quadrature;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExplanationsTest {
  private static float[] sample(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (2 * r.nextDouble() - 1);
    }
    return x;
  }

  /** The class score by {@link AttributionTarget} at x, in double, from the model's double logits. */
  private static double score(TanhMlp m, float[] x, int cls, AttributionTarget t) {
    float[] z = new float[m.outputs()];
    m.logits(x, 1, z);
    return t.score(m, z, 0, cls, null);
  }

  @Test
  void saliencyIsTheLogitGradientByCentralDifferences() {
    TanhMlp model = new TanhMlp(6, 5, 4, 2);
    float[] x = sample(12, 1);
    int[] classes = {3, 0};
    float[] g = Saliency.gradient(model, x, 2, classes, AttributionTarget.LOGIT);
    float[] gp = Saliency.gradient(model, x, 2, classes, AttributionTarget.PROBABILITY);
    float[] sal = Saliency.saliency(model, x, 2, classes);
    float[] gxi = Saliency.gradientTimesInput(model, x, 2, classes);
    double h = 1e-3;
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 6; j++) {
        for (AttributionTarget t : AttributionTarget.values()) {
          float[] row = java.util.Arrays.copyOfRange(x, i * 6, i * 6 + 6);
          row[j] += (float) h;
          double up = score(model, row, classes[i], t);
          row[j] -= (float) (2 * h);
          double down = score(model, row, classes[i], t);
          double fd = (up - down) / (2 * h);
          float analytic = (t == AttributionTarget.LOGIT ? g : gp)[i * 6 + j];
          assertEquals(fd, analytic, 2e-3 * Math.abs(fd) + 1e-4, t + " row " + i + " feature " + j);
        }
        assertEquals(Math.abs(g[i * 6 + j]), sal[i * 6 + j], 0f);
        assertEquals(g[i * 6 + j] * x[i * 6 + j], gxi[i * 6 + j], 0f);
      }
    }
  }

  @Test
  void binaryHeadsExplainTheLogOddsOfEitherClass() {
    TanhMlp model = new TanhMlp(3, 4, 1, 6);
    float[] x = sample(3, 2);
    float[] g1 = Saliency.gradient(model, x, 1, new int[] {1}, AttributionTarget.LOGIT);
    float[] g0 = Saliency.gradient(model, x, 1, new int[] {0}, AttributionTarget.LOGIT);
    for (int j = 0; j < 3; j++) {
      assertEquals(-g1[j], g0[j], 0f);
    }
    assertThrows(IllegalArgumentException.class,
        () -> Saliency.gradient(model, x, 1, new int[] {2}, AttributionTarget.LOGIT));
  }

  @Test
  void integratedGradientsAreCompleteWithinOnePercent() {
    TanhMlp model = new TanhMlp(10, 8, 3, 17);
    for (Quadrature q : Quadrature.values()) {
      for (AttributionTarget t : AttributionTarget.values()) {
        for (int s = 0; s < 5; s++) {
          float[] x = sample(10, 40 + s);
          Attribution a = IntegratedGradients.steps(32).quadrature(q).target(t).explain(model, x, s % 3);
          assertEquals(score(model, x, s % 3, t), a.score(), 1e-6);
          assertEquals(score(model, new float[10], s % 3, t), a.baselineScore(), 1e-6);
          assertTrue(a.completenessError() < 0.01, q + " " + t + ": completeness error " + a.completenessError());
        }
      }
    }
    // Gauss-Legendre with 32 points is close to exact on this smooth network; the trapezoid rule is not.
    float[] x = sample(10, 3);
    float[] baseline = sample(10, 4);
    Attribution gl = IntegratedGradients.steps(32).baseline(baseline).explain(model, x, 1);
    Attribution tr = IntegratedGradients.steps(32).baseline(baseline).quadrature(Quadrature.TRAPEZOID)
        .explain(model, x, 1);
    assertTrue(gl.completenessError() < 1e-5, "GL " + gl.completenessError());
    assertTrue(tr.completenessError() > gl.completenessError(), "trapezoid " + tr.completenessError());
    // A linear model's attributions are exactly (x - b) ⊙ w.
    TanhMlp linear = TanhMlp.softmaxRegression(5, 2, 9);
    float[] lx = sample(5, 7);
    Attribution la = IntegratedGradients.steps(2).quadrature(Quadrature.TRAPEZOID).explain(linear, lx, 1);
    for (int j = 0; j < 5; j++) {
      assertEquals(lx[j] * linear.w2[j * 2 + 1], la.values()[j], 1e-6);
    }
  }

  @Test
  void gaussLegendreRulesIntegratePolynomialsExactly() {
    for (int n = 2; n <= 40; n += 7) {
      double[][] rule = IntegratedGradients.gaussLegendre(n);
      for (int p = 0; p < 2 * n; p++) {
        double s = 0;
        for (int k = 0; k < n; k++) {
          s += rule[1][k] * Math.pow(rule[0][k], p);
        }
        assertEquals(1.0 / (p + 1), s, 1e-12, "∫ α^" + p + " with " + n + " points");
      }
    }
  }

  @Test
  void permutationImportanceFindsTheOneInformativeFeature() {
    // 6 features, the label is whether feature 2 is positive; a logistic regression fitted to it.
    int rows = 400;
    int in = 6;
    SplittableRandom r = new SplittableRandom(12);
    float[] x = new float[rows * in];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < in; j++) {
        x[i * in + j] = (float) (2 * r.nextDouble() - 1);
      }
      y[i] = x[i * in + 2] > 0 ? 1 : 0;
    }
    TanhMlp model = TanhMlp.softmaxRegression(in, 2, 1);
    java.util.Arrays.fill(model.w2, 0);
    java.util.Arrays.fill(model.b2, 0);
    float[] p = new float[rows * 2];
    for (int epoch = 0; epoch < 300; epoch++) {
      model.predict(x, rows, p);
      for (int c = 0; c < 2; c++) {
        for (int j = 0; j < in; j++) {
          double g = 0;
          for (int i = 0; i < rows; i++) {
            g += x[i * in + j] * (p[i * 2 + c] - (y[i] == c ? 1 : 0));
          }
          model.w2[j * 2 + c] -= 2.0 * g / rows;
        }
      }
    }
    Dataset data = Dataset.classification("sign", x, rows, in, y, 2);
    FeatureImportance imp = PermutationImportance.repeats(5).seed(3).compute(model, data);
    assertTrue(imp.accuracy() > 0.95, "fitted: " + imp.accuracy());
    assertEquals(2, imp.mostImportant());
    assertTrue(imp.accuracyDrop()[2] > 0.3, "drop " + imp.accuracyDrop()[2]);
    for (int j = 0; j < in; j++) {
      if (j != 2) {
        assertTrue(Math.abs(imp.accuracyDrop()[j]) < 0.03, "feature " + j + ": " + imp.accuracyDrop()[j]);
        assertTrue(imp.lossRise()[j] < 0.1 * imp.lossRise()[2], "feature " + j + ": " + imp.lossRise()[j]);
      }
    }
    FeatureImportance again = PermutationImportance.repeats(5).seed(3).compute(model, data);
    assertEquals(java.util.Arrays.toString(imp.lossRise()), java.util.Arrays.toString(again.lossRise()), "seeded");
  }
}
