package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * End to end: x[n,in] → dense(in→hid, act) → dropout mask → dense(hid→classes) → softmax cross-entropy.
 * Gradients from the fused kernels against central differences of an independent double-precision model.
 */
class DenseGradientCheckTest {
  static final int N = 3, IN = 5, HID = 17, CLASSES = 4;
  static final float ALPHA = 0.1f;

  /** Parameters laid out in one double arena: w1, b1, w2, b2, then the input x. */
  static final int W1 = 0, B1 = W1 + IN * HID, W2 = B1 + HID, B2 = W2 + HID * CLASSES, X = B2 + CLASSES,
      SIZE = X + N * IN;

  static double loss(double[] p, Activation act, float[] mask, int[] labels) {
    double[] h = new double[N * HID];
    for (int r = 0; r < N; r++) {
      for (int j = 0; j < HID; j++) {
        double z = p[B1 + j];
        for (int i = 0; i < IN; i++) {
          z += p[X + r * IN + i] * p[W1 + i * HID + j];
        }
        h[r * HID + j] = Reference.activation(act, ALPHA, z) * mask[r * HID + j];
      }
    }
    double[] logits = new double[N * CLASSES];
    for (int r = 0; r < N; r++) {
      for (int c = 0; c < CLASSES; c++) {
        double z = p[B2 + c];
        for (int j = 0; j < HID; j++) {
          z += h[r * HID + j] * p[W2 + j * CLASSES + c];
        }
        logits[r * CLASSES + c] = z;
      }
    }
    return LossesTest.crossEntropy(logits, labels, CLASSES) / N;
  }

  @Test
  void fusedBackwardMatchesFiniteDifferencesForEveryHiddenActivation() {
    for (Activation act : new Activation[] {Activation.LINEAR, Activation.SIGMOID, Activation.TANH,
        Activation.GELU, Activation.RELU, Activation.LEAKY_RELU}) {
      check(act);
    }
  }

  private static void check(Activation act) {
    Random rnd = new Random(9);
    float[] params = Reference.random(rnd, SIZE);
    float[] mask = new float[N * HID];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = i % 5 == 0 ? 0f : 1.25f; // dropout p = 0.2, inverted scaling
    }
    int[] labels = {1, 3, 0};
    // Keep every hidden pre-activation away from the ReLU kink so the differences stay on one side.
    float[] z1 = new float[N * HID], y1 = new float[N * HID];
    DenseKernels.forward(N, IN, HID, params, X, params, W1, params, B1, act, ALPHA, y1, 0, z1, 0);
    for (float z : z1) {
      assertTrue(Math.abs(z) > 1e-3, "pre-activation too close to 0 for a finite-difference check: " + z);
    }
    // Forward as generated code does it: dropout applied to y1 before the next layer.
    float[] h = new float[N * HID];
    for (int i = 0; i < h.length; i++) {
      h[i] = y1[i] * mask[i];
    }
    float[] logits = new float[N * CLASSES];
    DenseKernels.forward(N, HID, CLASSES, h, 0, params, W2, params, B2, Activation.LINEAR, 0f, logits, 0, null, 0);
    float[] dLogits = new float[N * CLASSES];
    double lossValue = Losses.softmaxCrossEntropy(N, CLASSES, logits, 0, labels, 0, null, 0, dLogits, 0, 1f / N);

    float[] grads = new float[SIZE];
    float[] dz1 = new float[N * HID];
    DenseKernels.backwardParams(N, HID, CLASSES, h, 0, dLogits, 0, grads, W2, grads, B2);
    DenseKernels.backwardInput(N, HID, CLASSES, dLogits, 0, params, W2, dz1, 0, act, ALPHA, y1, 0, z1, 0, mask, 0);
    DenseKernels.backwardParams(N, IN, HID, params, X, dz1, 0, grads, W1, grads, B1);
    DenseKernels.backwardInput(N, IN, HID, dz1, 0, params, W1, grads, X, Activation.LINEAR, 0f, null, 0, null, 0, null, 0);

    double[] p = Reference.toDouble(params, 0, SIZE);
    assertEquals(loss(p, act, mask, labels), lossValue / N, 1e-5, act + " loss");
    double[] fd = LossesTest.gradient(p, v -> loss(v, act, mask, labels));
    assertClose(fd, grads, 0, 1e-4, act + " gradients of w1, b1, w2, b2, x");
  }
}
