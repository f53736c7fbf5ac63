package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ActivationsTest {
  static final float ALPHA = 0.05f;

  @Test
  void applyMatchesDoubleReferenceInPlaceAndOutOfPlace() {
    Random rnd = new Random(4);
    int rows = 7, cols = 37;
    for (Activation act : Activation.values()) {
      float[] z = Reference.random(rnd, 3 + rows * cols);
      for (int i = 0; i < z.length; i++) {
        z[i] *= 4; // reach the saturated parts of sigmoid/tanh/gelu
      }
      double[] ref = new double[rows * cols];
      for (int r = 0; r < rows; r++) {
        if (act == Activation.SOFTMAX) {
          System.arraycopy(Reference.softmax(Reference.toDouble(z, 3, rows * cols), r * cols, cols), 0, ref, r * cols, cols);
        } else {
          for (int j = 0; j < cols; j++) {
            ref[r * cols + j] = Reference.activation(act, ALPHA, z[3 + r * cols + j]);
          }
        }
      }
      float[] y = new float[1 + rows * cols], yScalar = new float[1 + rows * cols];
      Activations.apply(act, ALPHA, z, 3, y, 1, rows, cols);
      ScalarKernels.applyActivation(act, ALPHA, z, 3, yScalar, 1, rows, cols);
      // GELU: the erf approximation (1.5e-7 abs) times |z| <= ~16 stays far below 1e-5 of the scale.
      assertClose(ref, y, 1, 1e-5, act + " vector");
      assertClose(ref, yScalar, 1, 1e-5, act + " scalar");
      float[] inPlace = z.clone();
      Activations.apply(act, ALPHA, inPlace, 3, inPlace, 3, rows, cols);
      assertClose(ref, inPlace, 3, 1e-5, act + " in place");
    }
  }

  @Test
  void softmaxIsStableForHugeLogits() {
    float[] z = {1000f, 1000f, -1000f, 88.7f, 88.7f, 88.7f};
    float[] y = new float[6];
    Activations.apply(Activation.SOFTMAX, 0, z, 0, y, 0, 2, 3);
    assertEquals(0.5f, y[0], 1e-6f);
    assertEquals(0f, y[2], 1e-6f);
    assertEquals(1f / 3, y[4], 1e-6f);
  }

  @Test
  void derivativesMatchFiniteDifferencesOfTheDoubleReference() {
    Random rnd = new Random(5);
    int len = 1001;
    for (Activation act : Activation.values()) {
      if (act == Activation.SOFTMAX) {
        continue;
      }
      float[] z = new float[len];
      for (int i = 0; i < len; i++) {
        float v = (float) (rnd.nextGaussian() * 3);
        // Keep kinks out of the finite-difference stencil.
        z[i] = Math.abs(v) < 0.01f ? 0.5f : v;
      }
      float[] y = new float[len];
      Activations.apply(act, ALPHA, z, 0, y, 0, 1, len);
      float[] g = new float[len + 2], gScalar = new float[len + 2];
      java.util.Arrays.fill(g, 1f);
      java.util.Arrays.fill(gScalar, 1f);
      Activations.multiplyDerivative(act, ALPHA, y, 0, z, 0, g, 2, len);
      ScalarKernels.multiplyDerivative(act, ALPHA, y, 0, z, 0, gScalar, 2, len);
      double[] fd = new double[len];
      double h = 1e-4;
      for (int i = 0; i < len; i++) {
        fd[i] = (Reference.activation(act, ALPHA, z[i] + h) - Reference.activation(act, ALPHA, z[i] - h)) / (2 * h);
      }
      assertClose(fd, g, 2, 1e-5, act + " vector derivative");
      assertClose(fd, gScalar, 2, 1e-5, act + " scalar derivative");
      assertEquals(1f, g[0]);
      assertEquals(1f, g[1]);
    }
  }

  @Test
  void onlyGeluNeedsThePreActivation() {
    for (Activation act : Activation.values()) {
      assertEquals(act == Activation.GELU, act.needsPreActivation(), act.name());
    }
  }

  @Test
  void multiplyDerivativeRejectsSoftmax() {
    float[] a = new float[2];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Activations.multiplyDerivative(Activation.SOFTMAX, 0, a, 0, a, 0, a, 0, 2));
    assertTrue(e.getMessage().contains("SOFTMAX"));
  }
}
