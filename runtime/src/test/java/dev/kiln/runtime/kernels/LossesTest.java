package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class LossesTest {
  /** Central differences of a double-precision loss of the given point. */
  static double[] gradient(double[] x, ToDoubleFunction<double[]> loss) {
    double[] g = new double[x.length];
    double h = 1e-5;
    for (int i = 0; i < x.length; i++) {
      double keep = x[i];
      x[i] = keep + h;
      double up = loss.applyAsDouble(x);
      x[i] = keep - h;
      double down = loss.applyAsDouble(x);
      x[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  static double crossEntropy(double[] logits, int[] labels, int classes) {
    double total = 0;
    for (int r = 0; r < labels.length; r++) {
      total -= Math.log(Reference.softmax(logits, r * classes, classes)[labels[r]]);
    }
    return total;
  }

  @Test
  void softmaxCrossEntropyLossProbsAndGradient() {
    Random rnd = new Random(6);
    for (int[] s : new int[][] {{1, 1}, {7, 10}, {17, 37}, {3, 1001}}) {
      int n = s[0], classes = s[1];
      float[] logits = Reference.random(rnd, 2 + n * classes);
      int[] labels = new int[1 + n];
      for (int r = 0; r < n; r++) {
        labels[1 + r] = rnd.nextInt(classes);
      }
      int[] rowLabels = java.util.Arrays.copyOfRange(labels, 1, 1 + n);
      float scale = 1f / n;
      float[] probs = new float[3 + n * classes], grad = new float[4 + n * classes];
      double loss = Losses.softmaxCrossEntropy(n, classes, logits, 2, labels, 1, probs, 3, grad, 4, scale);
      double[] x = Reference.toDouble(logits, 2, n * classes);
      assertEquals(crossEntropy(x, rowLabels, classes), loss, 1e-5 * n);
      double[] fd = gradient(x, v -> crossEntropy(v, rowLabels, classes) * scale);
      assertClose(fd, grad, 4, 1e-4, "softmax CE gradient " + n + "x" + classes);
      for (int r = 0; r < n; r++) {
        assertClose(Reference.softmax(x, r * classes, classes), probs, 3 + r * classes, 1e-5, "probs");
      }
      // Evaluation mode: no gradient, same loss.
      assertEquals(loss, Losses.softmaxCrossEntropy(n, classes, logits, 2, labels, 1, null, 0, null, 0, 1f));
    }
  }

  @Test
  void softmaxCrossEntropyIsStableForHugeLogits() {
    float[] logits = {1000f, 0f, -1000f};
    double loss = Losses.softmaxCrossEntropy(1, 3, logits, 0, new int[] {1}, 0, new float[3], 0, new float[3], 0, 1f);
    assertEquals(1000.0, loss, 1e-3);
  }

  @Test
  void labelOutsideClassesNamesRowAndLabel() {
    float[] logits = new float[6];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        Losses.softmaxCrossEntropy(2, 3, logits, 0, new int[] {0, 3}, 0, null, 0, null, 0, 1f));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("label 3"), e.getMessage());
  }

  static double bce(double[] z, float[] t) {
    double total = 0;
    for (int r = 0; r < z.length; r++) {
      double p = 1 / (1 + Math.exp(-z[r]));
      total -= t[r] * Math.log(p) + (1 - t[r]) * Math.log(1 - p);
    }
    return total;
  }

  @Test
  void sigmoidBinaryCrossEntropyLossProbsAndGradient() {
    Random rnd = new Random(7);
    int n = 37;
    float[] logits = Reference.random(rnd, 1 + n), targets = new float[2 + n];
    for (int r = 0; r < n; r++) {
      targets[2 + r] = r % 3 == 0 ? 0.3f : r % 2;
    }
    float[] t = java.util.Arrays.copyOfRange(targets, 2, 2 + n);
    float[] probs = new float[n], grad = new float[n];
    double loss = Losses.sigmoidBinaryCrossEntropy(n, logits, 1, targets, 2, probs, 0, grad, 0, 1f / n);
    double[] x = Reference.toDouble(logits, 1, n);
    assertEquals(bce(x, t), loss, 1e-5 * n);
    assertClose(gradient(x, v -> bce(v, t) / n), grad, 0, 1e-4, "BCE gradient");
    for (int r = 0; r < n; r++) {
      assertEquals(1 / (1 + Math.exp(-x[r])), probs[r], 1e-6);
    }
    // Stable where the naive formula overflows: z = 100, t = 0 costs 100.
    assertEquals(100.0, Losses.sigmoidBinaryCrossEntropy(1, new float[] {100f}, 0, new float[] {0f}, 0, null, 0, null, 0, 1f), 1e-9);
  }

  static double mse(double[] p, float[] t, int cols) {
    double total = 0;
    for (int i = 0; i < p.length; i++) {
      total += (p[i] - t[i]) * (p[i] - t[i]) / cols;
    }
    return total;
  }

  @Test
  void meanSquaredErrorLossAndGradientMatchTorchMseLossConvention() {
    Random rnd = new Random(8);
    for (int[] s : new int[][] {{1, 1}, {7, 17}, {3, 1001}, {5, 16}}) {
      int n = s[0], cols = s[1];
      float[] pred = Reference.random(rnd, 1 + n * cols), targets = Reference.random(rnd, 2 + n * cols);
      float[] t = java.util.Arrays.copyOfRange(targets, 2, 2 + n * cols);
      float[] grad = new float[3 + n * cols], gradScalar = new float[3 + n * cols];
      double loss = Losses.meanSquaredError(n, cols, pred, 1, targets, 2, grad, 3, 1f / n);
      double lossScalar = ScalarKernels.meanSquaredError(n, cols, pred, 1, targets, 2, gradScalar, 3, 1f / n);
      double[] x = Reference.toDouble(pred, 1, n * cols);
      assertEquals(mse(x, t, cols), loss, 1e-5 * Math.max(1, mse(x, t, cols)));
      assertEquals(mse(x, t, cols), lossScalar, 1e-5 * Math.max(1, mse(x, t, cols)));
      double[] fd = gradient(x, v -> mse(v, t, cols) / n);
      assertClose(fd, grad, 3, 1e-4, "MSE gradient vector");
      assertClose(fd, gradScalar, 3, 1e-4, "MSE gradient scalar");
    }
  }
}
