package dev.kiln.runtime.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Temperature scaling: a true minimum of the validation NLL, never worse than T = 1. */
class TemperatureScalingTest {
  /** Logits {@code scale · u} for labels drawn from softmax(u) (sigmoid(u) when width is 1). */
  static Case sample(int n, int width, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] z = new float[n * width];
    int[] labels = new int[n];
    double[] u = new double[width];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < width; j++) {
        u[j] = 2 * r.nextGaussian();
        z[i * width + j] = (float) (scale * u[j]);
      }
      double x = r.nextDouble();
      if (width == 1) {
        labels[i] = x < Head.sigmoid(u[0]) ? 1 : 0;
      } else {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : u) {
          max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : u) {
          sum += Math.exp(v - max);
        }
        int c = 0;
        double acc = Math.exp(u[0] - max) / sum;
        while (acc < x && c < width - 1) {
          acc += Math.exp(u[++c] - max) / sum;
        }
        labels[i] = c;
      }
    }
    return new Case(z, width, labels, width == 1 ? Head.SIGMOID : Head.SOFTMAX);
  }

  record Case(float[] logits, int width, int[] labels, Head head) {
    double nll(double t) {
      return TemperatureScaling.meanNegativeLogLikelihood(logits, width, labels, head, t);
    }
  }

  @Test
  void findsAStationaryPointAndNeverRaisesTheNll() {
    long seed = 1;
    for (int width : new int[] {1, 2, 7}) {
      for (double scale : new double[] {0.3, 1, 2.5, 6}) {
        Case c = sample(257, width, scale, seed++);
        TemperatureScaling.Fit fit = TemperatureScaling.fit(c.logits, c.width, c.labels, c.head);
        double t = fit.temperature();
        String where = "width " + width + ", scale " + scale + ": T = " + t;
        assertTrue(fit.nll() <= fit.nllAtOne(), where);
        assertEquals(c.nll(1), fit.nllAtOne(), 1e-15, where);
        assertEquals(c.nll(t), fit.nll(), 1e-15, where);
        // dNLL/dT by central differences vanishes at the fitted T, and neighbours are worse.
        double h = 1e-4 * t;
        double slope = (c.nll(t + h) - c.nll(t - h)) / (2 * h);
        assertEquals(0, slope * t, 1e-7, where);
        assertTrue(c.nll(t * 1.01) >= fit.nll() && c.nll(t / 1.01) >= fit.nll(), where);
        // Over-confident logits (scaled up) need T > 1, under-confident ones T < 1.
        if (scale >= 2.5) {
          assertTrue(t > 1.5, where);
        } else if (scale <= 0.3) {
          assertTrue(t < 0.6, where);
        }
      }
    }
  }

  @Test
  void separableDataEndsAtTheSmallestTemperature() {
    // Every label has the largest logit: the NLL falls as T -> 0.
    float[] z = {3, 0, 0, 0, 2, 1, 1, 0, 4};
    TemperatureScaling.Fit fit = TemperatureScaling.fit(z, 3, new int[] {0, 1, 2}, Head.SOFTMAX);
    assertEquals(TemperatureScaling.MIN_TEMPERATURE, fit.temperature(), 1e-15);
    assertTrue(fit.nll() < fit.nllAtOne());
  }

  @Test
  void labelsAgainstTheLogitsEndAtTheLargestTemperature() {
    // Every label has the smallest logit: the best is as flat as allowed.
    float[] z = {3, 0, -2, 0};
    TemperatureScaling.Fit fit = TemperatureScaling.fit(z, 2, new int[] {1, 0}, Head.SOFTMAX);
    assertEquals(TemperatureScaling.MAX_TEMPERATURE, fit.temperature(), 1e-12);
    assertTrue(fit.nll() < fit.nllAtOne());
  }

  @Test
  void constantLogitsGiveNoInformationAndKeepTheirNll() {
    float[] z = new float[12];
    TemperatureScaling.Fit fit = TemperatureScaling.fit(z, 3, new int[] {0, 1, 2, 0}, Head.SOFTMAX);
    assertEquals(Math.log(3), fit.nll(), 1e-12);
    assertEquals(fit.nllAtOne(), fit.nll(), 0);
  }

  @Test
  void badInput() {
    CalibrationMetricsTest.assertMessage(
        () -> TemperatureScaling.fit(new float[0], 3, new int[0], Head.SOFTMAX), "no samples");
    CalibrationMetricsTest.assertMessage(
        () -> TemperatureScaling.fit(new float[4], 3, new int[] {0}, Head.SOFTMAX), "logits hold 4 values");
    CalibrationMetricsTest.assertMessage(
        () -> TemperatureScaling.fit(new float[] {1, 2}, 1, new int[] {0, 2}, Head.SIGMOID), "label of sample 1 is 2");
  }
}
