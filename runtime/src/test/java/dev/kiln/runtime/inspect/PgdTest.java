package dev.kiln.runtime.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PgdTest {
  private static float[] uniform(SplittableRandom r, int n, float lo, float hi) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = lo + (hi - lo) * (float) r.nextDouble();
    }
    return x;
  }

  private static int[] labels(SplittableRandom r, int rows, int classes) {
    int[] l = new int[rows];
    for (int i = 0; i < rows; i++) {
      l[i] = r.nextInt(classes);
    }
    return l;
  }

  @Test
  void pgdNeverLeavesTheBallOrTheRange() {
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 60; trial++) {
      int in = 1 + r.nextInt(13);
      int classes = 2 + r.nextInt(4);
      int rows = 1 + r.nextInt(9);
      TanhMlp model = new TanhMlp(in, r.nextInt(2) == 0 ? 0 : 1 + r.nextInt(7), classes, r.nextLong());
      boolean perFeature = r.nextBoolean();
      InputRange range;
      float[] x;
      if (perFeature) {
        float[] lo = uniform(r, in, -2, 0);
        float[] hi = new float[in];
        for (int j = 0; j < in; j++) {
          hi[j] = lo[j] + (float) r.nextDouble() * 2;
        }
        range = InputRange.perFeature(lo, hi);
        x = new float[rows * in];
        for (int i = 0; i < rows * in; i++) {
          int j = i % in;
          x[i] = lo[j] + (hi[j] - lo[j]) * (float) r.nextDouble();
        }
      } else {
        range = InputRange.of(0, 1);
        x = uniform(r, rows * in, 0, 1);
        // samples on the bounds, where clipping bites
        x[r.nextInt(x.length)] = 0;
        x[r.nextInt(x.length)] = 1;
      }
      float eps = (float) (0.01 + r.nextDouble() * 0.8);
      boolean l2 = r.nextBoolean();
      Pgd attack = (l2 ? Pgd.l2(eps) : Pgd.linf(eps)).steps(1 + r.nextInt(12))
          .stepSize(eps * (float) (0.1 + r.nextDouble())).range(range);
      if (r.nextBoolean()) {
        attack = attack.randomStart(r.nextLong());
      }
      float[] adv = attack.perturb(model, x, labels(r, rows, classes), rows);
      for (int i = 0; i < rows; i++) {
        double sum = 0;
        for (int j = 0; j < in; j++) {
          float a = adv[i * in + j];
          float c = x[i * in + j];
          assertTrue(a >= range.lo(j) && a <= range.hi(j), () -> "outside the range: " + a);
          double d = (double) a - c;
          sum += d * d;
          if (!l2) {
            // one float rounding of c ± ε
            assertTrue(Math.abs(d) <= eps + Math.ulp(Math.abs(c) + eps), "L∞ " + Math.abs(d) + " > " + eps);
          }
        }
        if (l2) {
          double norm = Math.sqrt(sum);
          assertTrue(norm <= eps * (1 + 1e-6) + 1e-7, "L2 " + norm + " > " + eps + " in trial " + trial);
        }
      }
    }
  }

  @Test
  void fgsmIsTheAnalyticSignStepOnSoftmaxRegression() {
    SplittableRandom r = new SplittableRandom(5);
    int in = 7;
    int classes = 3;
    int rows = 5;
    TanhMlp model = TanhMlp.softmaxRegression(in, classes, 3);
    float[] x = uniform(r, rows * in, 0, 1);
    int[] y = labels(r, rows, classes);
    float eps = 0.1f;
    float[] linf = Fgsm.linf(eps).range(0, 1).perturb(model, x, y, rows);
    float[] l2 = Fgsm.l2(eps).perturb(model, x, y, rows);
    for (int i = 0; i < rows; i++) {
      // ∂ loss / ∂ x = W (p - e_y) for z = x W + b
      double[] z = new double[classes];
      for (int c = 0; c < classes; c++) {
        z[c] = model.b2[c];
        for (int k = 0; k < in; k++) {
          z[c] += x[i * in + k] * model.w2[k * classes + c];
        }
      }
      double max = Math.max(z[0], Math.max(z[1], z[2]));
      double s = 0;
      for (double v : z) {
        s += Math.exp(v - max);
      }
      double[] g = new double[in];
      double norm = 0;
      for (int k = 0; k < in; k++) {
        for (int c = 0; c < classes; c++) {
          double p = Math.exp(z[c] - max) / s;
          g[k] += model.w2[k * classes + c] * (p - (c == y[i] ? 1 : 0));
        }
        norm += g[k] * g[k];
      }
      norm = Math.sqrt(norm);
      for (int k = 0; k < in; k++) {
        float expected = Math.min(Math.max(x[i * in + k] + eps * (float) Math.signum(g[k]), 0f), 1f);
        assertEquals(expected, linf[i * in + k], 0f, "L∞ row " + i + " feature " + k);
        double expected2 = x[i * in + k] + eps * g[k] / norm;
        assertEquals(expected2, l2[i * in + k], 1e-6, "L2 row " + i + " feature " + k);
      }
    }
  }

  @Test
  void pgdRaisesTheLossAndRandomStartsAreDeterministicPerRow() {
    SplittableRandom r = new SplittableRandom(9);
    int in = 6;
    int rows = 8;
    TanhMlp model = new TanhMlp(in, 5, 4, 21);
    float[] x = uniform(r, rows * in, 0, 1);
    int[] y = labels(r, rows, 4);
    float[] g = new float[rows * in];
    double clean = model.lossGradient(x, y, rows, g);
    Pgd attack = Pgd.linf(0.2f).steps(20).randomStart(77).range(0, 1);
    float[] adv = attack.perturb(model, x, y, rows);
    double attacked = model.lossGradient(adv, y, rows, g);
    assertTrue(attacked > clean + 0.5, "PGD raised the loss from " + clean + " to only " + attacked);
    double fgsm = model.lossGradient(Fgsm.linf(0.2f).range(0, 1).perturb(model, x, y, rows), y, rows, g);
    assertTrue(attacked >= fgsm, "PGD-20 " + attacked + " below FGSM " + fgsm);

    assertArrayEquals(adv, attack.perturb(model, x, y, rows), "same seed, same bits");
    // 20 sign steps reach the same corner from any start; two short ones still show where they began.
    Pgd short2 = Pgd.linf(0.2f).steps(2).stepSize(0.02f).range(0, 1);
    assertNotEquals(java.util.Arrays.toString(short2.randomStart(77).perturb(model, x, y, rows)),
        java.util.Arrays.toString(short2.randomStart(78).perturb(model, x, y, rows)));
    // Rows 3.. attacked alone, as rows 3.. of the data: the same bits as in the whole batch.
    int tail = rows - 3;
    float[] xs = java.util.Arrays.copyOfRange(x, 3 * in, rows * in);
    int[] ys = java.util.Arrays.copyOfRange(y, 3, rows);
    Pgd started = short2.randomStart(77);
    float[] whole = started.perturb(model, x, y, rows);
    float[] part = new float[tail * in];
    started.perturb(model, xs, ys, tail, part, new float[tail * in], started.seed(), 3);
    assertArrayEquals(java.util.Arrays.copyOfRange(whole, 3 * in, rows * in), part);
  }

  @Test
  void zeroEpsilonLeavesTheSamples() {
    TanhMlp model = new TanhMlp(4, 3, 3, 1);
    float[] x = {0.1f, 0.2f, 0.3f, 0.4f};
    assertArrayEquals(x, Pgd.l2(0).randomStart(3).perturb(model, x, new int[] {1}, 1));
    assertEquals(2.5f * 0.4f / 10, Pgd.linf(0.4f).stepSize(), 1e-7f, "Madry's default step");
    assertEquals(0.05f, Pgd.linf(0.1f).stepSize(0.025f).withEpsilon(0.2f).stepSize(), 1e-7f, "kept as a fraction");
    assertEquals("FGSM L∞", Fgsm.linf(0.1f).name());
    assertEquals("PGD-7 L2", Pgd.l2(1).steps(7).name());
  }

  @Test
  void badInputIsNamed() {
    TanhMlp model = new TanhMlp(2, 3, 3, 1);
    Pgd attack = Pgd.linf(0.1f).range(0, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> attack.perturb(model, new float[] {0.5f, 0.5f, 0.5f, 1.5f}, new int[] {0, 1}, 2));
    assertTrue(e.getMessage().contains("row 1, feature 1 is 1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pgd.linf(-1));
    assertTrue(e.getMessage().contains("epsilon"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pgd.linf(0.1f).steps(0));
    assertTrue(e.getMessage().contains("steps"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> InputRange.of(1, 0));
    assertTrue(e.getMessage().contains("lo <= hi"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> attack.perturb(model, new float[] {0.5f, 0.5f}, new int[] {0}, 2));
    assertTrue(e.getMessage().contains("x has 2 floats"), e.getMessage());
  }
}
