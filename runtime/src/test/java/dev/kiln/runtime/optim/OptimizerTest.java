package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.kernels.Backend;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OptimizerTest {
  static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  @Test
  void vectorLoopsEqualScalarReferenceBitwiseOverSeveralSteps() {
    assertTrue(Backend.vectorized(), "run the tests with --add-modules jdk.incubator.vector");
    int size = 1001; // a scalar tail after the vectors
    Random rnd = new Random(13);
    float[] pv = random(rnd, size), ps = pv.clone();
    float[] m1 = new float[size], v1 = new float[size], m2 = new float[size], v2 = new float[size];
    float[] b1 = new float[size], b2 = new float[size];
    float[] qv = random(rnd, size), qs = qv.clone();
    for (int step = 0; step < 5; step++) {
      float[] g = random(rnd, size);
      VectorOptimizerLoops.adam(pv, g, m1, v1, 3, size - 3, 0.9f, 0.999f, 1e-8f, 0.01f, 1.3f, 0.999f, 0.01f);
      OptimizerLoops.adam(ps, g, m2, v2, 3, size - 3, 0.9f, 0.999f, 1e-8f, 0.01f, 1.3f, 0.999f, 0.01f);
      VectorOptimizerLoops.sgd(qv, g, b1, 3, size - 3, 0.1f, 0.9f, true, 0.01f, step == 0);
      OptimizerLoops.sgd(qs, g, b2, 3, size - 3, 0.1f, 0.9f, true, 0.01f, step == 0);
    }
    assertArrayEquals(ps, pv);
    assertArrayEquals(m2, m1);
    assertArrayEquals(v2, v1);
    assertArrayEquals(qs, qv);
    assertArrayEquals(b2, b1);
  }

  /** torch.optim.Adam / AdamW, written out in double for one parameter. */
  static double[] torchAdam(double p, double[] grads, double lr, double b1, double b2, double eps, double wd, boolean decoupled) {
    double m = 0, v = 0;
    double[] out = new double[grads.length];
    for (int t = 1; t <= grads.length; t++) {
      double g = grads[t - 1];
      if (decoupled) {
        p *= 1 - lr * wd;
      } else {
        g += wd * p;
      }
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
      p -= lr / (1 - Math.pow(b1, t)) * m / denom;
      out[t - 1] = p;
    }
    return out;
  }

  @Test
  void adamAndAdamWFollowPyTorchFormulas() {
    double[] grads = {0.5, -1.5, 0.25, 2.0};
    for (boolean decoupled : new boolean[] {false, true}) {
      double[] expected = torchAdam(1.0, grads, 0.1, 0.9, 0.999, 1e-8, 0.1, decoupled);
      Adam adam = new Adam(37, 0.1f, 0.9f, 0.999f, 1e-8f, 0.1f, decoupled);
      float[] p = new float[37], g = new float[37];
      java.util.Arrays.fill(p, 1f);
      for (int t = 0; t < grads.length; t++) {
        java.util.Arrays.fill(g, (float) grads[t]);
        adam.step(p, g, 0, 37);
        for (float pi : p) {
          assertEquals(expected[t], pi, 1e-6, "decoupled=" + decoupled + " step " + (t + 1));
        }
      }
      assertEquals(grads.length, adam.steps());
      assertEquals(2, adam.state().length);
    }
  }

  @Test
  void sgdMomentumAndNesterovFollowPyTorchFormulas() {
    double[] grads = {0.5, -1.5, 0.25};
    for (boolean nesterov : new boolean[] {false, true}) {
      // torch.optim.SGD, dampening 0: buf = g on the first step, then momentum·buf + g.
      double p = 2.0, buf = 0, lr = 0.1, mu = 0.9, wd = 0.01;
      double[] expected = new double[grads.length];
      for (int t = 0; t < grads.length; t++) {
        double g = grads[t] + wd * p;
        buf = t == 0 ? g : mu * buf + g;
        p -= lr * (nesterov ? g + mu * buf : buf);
        expected[t] = p;
      }
      Sgd sgd = new Sgd(17, 0.1f, 0.9f, nesterov, 0.01f);
      float[] params = new float[17], g = new float[17];
      java.util.Arrays.fill(params, 2f);
      for (int t = 0; t < grads.length; t++) {
        java.util.Arrays.fill(g, (float) grads[t]);
        sgd.step(params, g, 0, 17);
        assertEquals(expected[t], params[16], 1e-6, "nesterov=" + nesterov + " step " + (t + 1));
        assertEquals(expected[t], params[0], 1e-6);
      }
    }
  }

  @Test
  void plainSgdWithoutMomentumIsGradientStep() {
    Sgd sgd = new Sgd(3, 0.5f, 0f, false, 0f);
    float[] p = {1f, 2f, 3f};
    sgd.step(p, new float[] {1f, -2f, 0f}, 0, 3);
    assertArrayEquals(new float[] {0.5f, 3f, 3f}, p);
    sgd.setLearningRate(0.25f);
    assertEquals(0.25f, sgd.learningRate());
  }

  @Test
  void stepTouchesOnlyTheGivenRange() {
    Adam adam = new Adam(40, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, false);
    float[] p = new float[40], g = new float[40];
    java.util.Arrays.fill(g, 1f);
    adam.step(p, g, 5, 30);
    for (int i = 0; i < 40; i++) {
      assertEquals(i >= 5 && i < 35 ? -0.1f : 0f, p[i], 1e-6f, "index " + i);
    }
    assertThrows(IndexOutOfBoundsException.class, () -> adam.step(p, g, 20, 30));
  }

  /** Every optimizer with weight decay and momentum, so skipped floats would move if touched. */
  private static Optimizer[] decayingOptimizers(int size) {
    return new Optimizer[] {
      new Sgd(size, 0.1f, 0.9f, false, 0.01f),
      new Sgd(size, 0.1f, 0.9f, true, 0.01f),
      new Adam(size, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, false),
      new Adam(size, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, true)
    };
  }

  @Test
  void rangeStepLeavesFloatsOutsideTheRangesBitwiseUnchangedAndCountsOneStep() {
    int size = 100;
    int[] ranges = {10, 20, 50, 33};
    for (Optimizer opt : decayingOptimizers(size)) {
      Random rnd = new Random(3);
      float[] p = random(rnd, size);
      float[] before = p.clone();
      for (int t = 0; t < 4; t++) {
        opt.step(p, random(rnd, size), ranges);
      }
      assertEquals(4, opt.steps(), opt.getClass().getSimpleName());
      for (int i = 0; i < size; i++) {
        boolean inside = (i >= 10 && i < 30) || (i >= 50 && i < 83);
        if (inside) {
          assertTrue(p[i] != before[i], opt + " did not update index " + i);
        } else {
          assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(p[i]), "index " + i);
          for (float[] state : opt.state()) {
            assertEquals(0f, state[i], "optimizer state at frozen index " + i);
          }
        }
      }
    }
  }

  @Test
  void rangeStepEqualsSingleRangeStepsOfTheSameStepNumber() {
    int size = 64;
    Optimizer[] a = decayingOptimizers(size);
    Optimizer[] b = decayingOptimizers(size);
    for (int k = 0; k < a.length; k++) {
      Random rnd = new Random(5);
      float[] pa = random(rnd, size);
      float[] pb = pa.clone();
      for (int t = 0; t < 3; t++) {
        float[] g = random(rnd, size);
        a[k].step(pa, g, new int[] {0, size});
        b[k].step(pb, g, 0, size);
      }
      assertArrayEquals(pb, pa, "one range over the arena is the whole-arena step");
    }
  }

  @Test
  void rangeStepRejectsOddOrOutOfBoundsRanges() {
    Adam adam = new Adam(10, 0.1f, 0.9f, 0.999f, 1e-8f, 0f, false);
    float[] p = new float[10], g = new float[10];
    assertThrows(IllegalArgumentException.class, () -> adam.step(p, g, new int[] {0}));
    assertThrows(IndexOutOfBoundsException.class, () -> adam.step(p, g, new int[] {0, 5, 8, 3}));
    assertEquals(0, adam.steps());
  }
}
