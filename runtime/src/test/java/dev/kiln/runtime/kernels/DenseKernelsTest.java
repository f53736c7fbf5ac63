package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseKernelsTest {
  /** {n, in, out}; the last two cross k-blocks, the packed path's 256-row bands and its column tails. */
  static final int[][] SIZES = {{1, 7, 17}, {7, 37, 1}, {17, 16, 1001}, {37, 130, 33}, {1001, 5, 7},
    {13, 140, 45}, {263, 257, 70}};

  @Test
  void forwardFusesBiasAndEveryActivationLikeTheDoubleReference() {
    Random rnd = new Random(1);
    for (Activation act : Activation.values()) {
      for (int[] s : SIZES) {
        for (boolean bias : new boolean[] {true, false}) {
          for (boolean saveZ : new boolean[] {true, false}) {
            forward(act, s[0], s[1], s[2], bias, saveZ, rnd);
          }
        }
      }
    }
  }

  private static void forward(Activation act, int n, int in, int out, boolean withBias, boolean saveZ, Random rnd) {
    int xOff = 2, wOff = 3, bOff = 4, yOff = 5, zOff = 6;
    float alpha = 0.1f;
    float[] x = embedded(rnd, xOff, n * in), w = embedded(rnd, wOff, in * out);
    float[] b = withBias ? embedded(rnd, bOff, out) : null;
    float[] y = embedded(rnd, yOff, n * out), z = saveZ ? embedded(rnd, zOff, n * out) : null;
    float[] yScalar = y.clone(), zScalar = saveZ ? z.clone() : null;
    double[] zRef = Reference.matmul(n, out, in, x, xOff, in, 1, w, wOff, out, 1);
    for (int i = 0; i < n * out; i++) {
      zRef[i] += withBias ? b[bOff + i % out] : 0;
    }
    double[] yRef = new double[n * out];
    for (int r = 0; r < n; r++) {
      if (act == Activation.SOFTMAX) {
        System.arraycopy(Reference.softmax(zRef, r * out, out), 0, yRef, r * out, out);
      } else {
        for (int j = 0; j < out; j++) {
          yRef[r * out + j] = Reference.activation(act, alpha, zRef[r * out + j]);
        }
      }
    }
    DenseKernels.forward(n, in, out, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
    ScalarKernels.denseForward(n, in, out, x, xOff, w, wOff, b, bOff, act, alpha, yScalar, yOff, zScalar, zOff);
    String what = act + " " + n + "x" + in + "x" + out + " bias=" + withBias + " z=" + saveZ;
    assertClose(yRef, y, yOff, 1e-4, what + " y vector");
    assertClose(yRef, yScalar, yOff, 1e-4, what + " y scalar");
    assertSentinels(y, yOff, n * out);
    if (saveZ) {
      assertClose(zRef, z, zOff, 1e-4, what + " z vector");
      assertSentinels(z, zOff, n * out);
    }
  }

  @Test
  void backwardInputFoldsPreviousActivationDerivativeAndMask() {
    Random rnd = new Random(2);
    float alpha = 0.2f;
    for (Activation prev : new Activation[] {Activation.LINEAR, Activation.RELU, Activation.LEAKY_RELU,
        Activation.SIGMOID, Activation.TANH, Activation.GELU}) {
      for (int[] s : SIZES) {
        for (boolean withMask : new boolean[] {false, true}) {
          int n = s[0], in = s[1], out = s[2];
          int dzOff = 1, wOff = 2, dxOff = 3, yOff = 4, zOff = 5, mOff = 6;
          float[] dz = embedded(rnd, dzOff, n * out), w = embedded(rnd, wOff, in * out);
          float[] prevZ = embedded(rnd, zOff, n * in), prevY = new float[yOff + n * in];
          for (int i = 0; i < n * in; i++) {
            prevY[yOff + i] = (float) Reference.activation(prev, alpha, prevZ[zOff + i]);
          }
          float[] mask = withMask ? embedded(rnd, mOff, n * in) : null;
          if (withMask) {
            for (int i = 0; i < n * in; i++) {
              mask[mOff + i] = rnd.nextBoolean() ? 0f : 2f; // dropout keep 0.5, scaled
            }
          }
          float[] dx = embedded(rnd, dxOff, n * in), dxScalar = dx.clone();
          double[] ref = Reference.matmul(n, in, out, dz, dzOff, out, 1, w, wOff, 1, out);
          for (int i = 0; i < n * in; i++) {
            ref[i] *= derivative(prev, alpha, prevZ[zOff + i]) * (withMask ? mask[mOff + i] : 1);
          }
          DenseKernels.backwardInput(n, in, out, dz, dzOff, w, wOff, dx, dxOff, prev, alpha,
              prevY, yOff, prevZ, zOff, mask, mOff);
          ScalarKernels.denseBackwardInput(n, in, out, dz, dzOff, w, wOff, dxScalar, dxOff, prev, alpha,
              prevY, yOff, prevZ, zOff, mask, mOff);
          String what = prev + " " + n + "x" + in + "x" + out + " mask=" + withMask;
          assertClose(ref, dx, dxOff, 1e-4, what + " vector");
          assertClose(ref, dxScalar, dxOff, 1e-4, what + " scalar");
          assertSentinels(dx, dxOff, n * in);
        }
      }
    }
  }

  /** Analytic derivative in double, by central difference of the reference activation. */
  static double derivative(Activation act, double alpha, double z) {
    if (act == Activation.RELU || act == Activation.LEAKY_RELU) {
      return z > 0 ? 1 : act == Activation.RELU ? 0 : alpha;
    }
    double h = 1e-5;
    return (Reference.activation(act, alpha, z + h) - Reference.activation(act, alpha, z - h)) / (2 * h);
  }

  @Test
  void backwardParamsAccumulatesWeightAndBiasGradients() {
    Random rnd = new Random(3);
    for (int[] s : SIZES) {
      for (boolean withBias : new boolean[] {true, false}) {
        int n = s[0], in = s[1], out = s[2];
        int xOff = 1, dzOff = 2, dwOff = 3, dbOff = 4;
        float[] x = embedded(rnd, xOff, n * in), dz = embedded(rnd, dzOff, n * out);
        float[] dw = embedded(rnd, dwOff, in * out), db = withBias ? embedded(rnd, dbOff, out) : null;
        double[] dwRef = Reference.matmul(in, out, n, x, xOff, 1, in, dz, dzOff, out, 1);
        for (int i = 0; i < in * out; i++) {
          dwRef[i] += dw[dwOff + i];
        }
        double[] dbRef = new double[out];
        for (int j = 0; j < out && withBias; j++) {
          dbRef[j] = db[dbOff + j];
          for (int r = 0; r < n; r++) {
            dbRef[j] += dz[dzOff + r * out + j];
          }
        }
        float[] dwScalar = dw.clone(), dbScalar = withBias ? db.clone() : null;
        DenseKernels.backwardParams(n, in, out, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
        ScalarKernels.denseBackwardParams(n, in, out, x, xOff, dz, dzOff, dwScalar, dwOff, dbScalar, dbOff);
        String what = n + "x" + in + "x" + out;
        assertClose(dwRef, dw, dwOff, 1e-4, what + " dw vector");
        assertClose(dwRef, dwScalar, dwOff, 1e-4, what + " dw scalar");
        assertSentinels(dw, dwOff, in * out);
        if (withBias) {
          assertClose(dbRef, db, dbOff, 1e-4, what + " db vector");
          assertClose(dbRef, dbScalar, dbOff, 1e-4, what + " db scalar");
          assertSentinels(db, dbOff, out);
        }
      }
    }
  }

  @Test
  void backwardInputRejectsSoftmaxAsPreviousActivation() {
    float[] a = new float[4];
    assertThrows(IllegalArgumentException.class, () -> DenseKernels.backwardInput(1, 2, 2, a, 0, a, 0, a, 0,
        Activation.SOFTMAX, 0f, a, 0, null, 0, null, 0));
  }
}
