package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static dev.kiln.runtime.kernels.Reference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Vector batch normalization equals the double-summing scalar reference, and is bitwise stable across thread counts. */
class BatchNormKernelsTest {
  /** {n, c, hw}: after a dense layer (hw 1), odd planes, one sample, a FashionCnn-sized plane. */
  static final int[][] SIZES = {{5, 7, 1}, {3, 5, 13}, {1, 3, 37}, {4, 2, 121}, {2, 33, 9}};

  @Test
  void vectorMatchesScalarReference() {
    Random rnd = new Random(11);
    for (int[] s : SIZES) {
      int n = s[0], c = s[1], hw = s[2], size = n * c * hw;
      String what = Arrays.toString(s);
      float[] x = embedded(rnd, 3, size);
      for (int i = 0; i < size; i++) {
        x[3 + i] = 4f + 3f * x[3 + i]; // an offset mean and a non-unit variance
      }
      float[] gamma = embedded(rnd, 1, c), beta = embedded(rnd, 2, c);
      float[] rm = embedded(rnd, 4, c), rv = embedded(rnd, 5, c);
      for (int i = 0; i < c; i++) {
        rv[5 + i] = 0.5f + Math.abs(rv[5 + i]);
      }
      float[] rms = Arrays.copyOfRange(rm, 4, 4 + c), rvs = Arrays.copyOfRange(rv, 5, 5 + c);
      float[] sm = embedded(rnd, 6, c), si = embedded(rnd, 7, c), y = embedded(rnd, 8, size);
      float[] sms = new float[c], sis = new float[c], ys = new float[size];
      BatchNormKernels.trainForward(n, c, hw, x, 3, gamma, 1, beta, 2, 1e-5f, 0.1f, rm, 4, rv, 5, sm, 6, si, 7, y, 8);
      ScalarBatchNormKernels.trainForward(n, c, hw, x, 3, gamma, 1, beta, 2, 1e-5f, 0.1f, rms, 0, rvs, 0,
          sms, 0, sis, 0, ys, 0);
      assertClose(toDouble(sms, 0, c), sm, 6, 1e-6, what + " mean");
      assertClose(toDouble(sis, 0, c), si, 7, 1e-5, what + " invStd");
      assertClose(toDouble(rms, 0, c), rm, 4, 1e-6, what + " running mean");
      assertClose(toDouble(rvs, 0, c), rv, 5, 1e-5, what + " running var");
      assertClose(toDouble(ys, 0, size), y, 8, 1e-5, what + " y");
      assertSentinels(y, 8, size);
      assertSentinels(sm, 6, c);
      BatchNormKernels.evalForward(n, c, hw, x, 3, gamma, 1, beta, 2, 1e-5f, rm, 4, rv, 5, y, 8);
      ScalarBatchNormKernels.evalForward(n, c, hw, x, 3, gamma, 1, beta, 2, 1e-5f, rm, 4, rv, 5, ys, 0);
      assertClose(toDouble(ys, 0, size), y, 8, 1e-5, what + " eval y");
      float[] dy = embedded(rnd, 9, size);
      for (boolean acc : new boolean[] {false, true}) {
        float[] dx = embedded(rnd, 2, size), dxs = Arrays.copyOfRange(dx, 2, 2 + size);
        float[] dg = embedded(rnd, 1, c), db = embedded(rnd, 3, c);
        float[] dgs = Arrays.copyOfRange(dg, 1, 1 + c), dbs = Arrays.copyOfRange(db, 3, 3 + c);
        BatchNormKernels.backward(n, c, hw, x, 3, dy, 9, gamma, 1, sm, 6, si, 7, dx, 2, acc, dg, 1, db, 3);
        ScalarBatchNormKernels.backward(n, c, hw, x, 3, dy, 9, gamma, 1, sm, 6, si, 7, dxs, 0, acc, dgs, 0, dbs, 0);
        assertClose(toDouble(dxs, 0, size), dx, 2, 1e-4, what + " dx acc=" + acc);
        assertClose(toDouble(dgs, 0, c), dg, 1, 1e-5, what + " dgamma");
        assertClose(toDouble(dbs, 0, c), db, 3, 1e-5, what + " dbeta");
        assertSentinels(dx, 2, size);
      }
    }
  }

  @Test
  void trainingRefusesASingleValuePerChannel() {
    float[] one = new float[1];
    assertThrows(IllegalArgumentException.class, () -> BatchNormKernels.trainForward(1, 1, 1, one, 0, one, 0, one, 0,
        1e-5f, 0.1f, one, 0, one, 0, one, 0, one, 0, one, 0));
  }

  @Test
  void resultsAreBitwiseIdenticalForOneAndTwoThreads() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(12);
      int n = 16, c = 32, hw = 121, size = n * c * hw;
      float[] x = Reference.random(rnd, size), dy = Reference.random(rnd, size);
      float[] gamma = Reference.random(rnd, c), beta = Reference.random(rnd, c);
      float[][] out = new float[2][];
      for (int t = 1; t <= 2; t++) {
        Parallelism.setThreads(t);
        float[] rm = new float[c], rv = new float[c], sm = new float[c], si = new float[c], y = new float[size];
        float[] dx = new float[size], dg = new float[c], db = new float[c], ye = new float[size];
        Arrays.fill(rv, 1f);
        BatchNormKernels.trainForward(n, c, hw, x, 0, gamma, 0, beta, 0, 1e-5f, 0.1f, rm, 0, rv, 0, sm, 0, si, 0, y, 0);
        BatchNormKernels.evalForward(n, c, hw, x, 0, gamma, 0, beta, 0, 1e-5f, rm, 0, rv, 0, ye, 0);
        BatchNormKernels.backward(n, c, hw, x, 0, dy, 0, gamma, 0, sm, 0, si, 0, dx, 0, false, dg, 0, db, 0);
        float[] all = new float[2 * size + size + 6 * c];
        int at = 0;
        for (float[] part : new float[][] {y, ye, dx, rm, rv, sm, si, dg, db}) {
          System.arraycopy(part, 0, all, at, part.length);
          at += part.length;
        }
        out[t - 1] = all;
      }
      assertArrayEquals(out[0], out[1]);
    } finally {
      Parallelism.setThreads(before);
    }
  }
}
