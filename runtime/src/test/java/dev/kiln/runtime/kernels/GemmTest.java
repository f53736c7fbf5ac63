package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GemmTest {
  /**
   * {m, n, k}: tails of every kind in every dimension, k-blocks (KC = 128) crossed, one 1001 each; then
   * the packed path's edges: the fewest rows it packs (8) and one fewer, 4- and 8-row tiles with 4-row
   * and single rows left over, bands of 256 rows crossed with a ragged last band, one and several
   * k-blocks with a short last one, column strips with tails narrower and wider than one vector.
   */
  static final int[][] SIZES = {
    {1, 1, 1}, {7, 17, 37}, {16, 16, 16}, {17, 37, 7}, {37, 1001, 17}, {5, 33, 1001}, {1001, 7, 16},
    {64, 64, 130}, {70, 40, 300}, {3, 0, 4}, {2, 3, 0},
    {8, 45, 129}, {7, 45, 129}, {13, 70, 257}, {14, 2, 2}, {263, 50, 140}, {530, 97, 129}, {19, 96, 384},
  };

  enum Layout { NN, NT, TN }

  @Test
  void vectorBackendIsActiveInTheseTests() {
    // Every "vector vs scalar" comparison below is vacuous without it.
    assertTrue(Backend.vectorized(), "run the tests with --add-modules jdk.incubator.vector");
  }

  @Test
  void allLayoutsMatchDoubleReferenceAndScalarAtAwkwardSizes() {
    Random rnd = new Random(42);
    for (Layout layout : Layout.values()) {
      for (int[] s : SIZES) {
        for (boolean acc : new boolean[] {false, true}) {
          check(layout, s[0], s[1], s[2], acc, rnd);
        }
      }
    }
  }

  private static void check(Layout layout, int m, int n, int k, boolean acc, Random rnd) {
    int aOff = 3, bOff = 5, cOff = 11;
    float[] a = embedded(rnd, aOff, m * k);
    float[] b = embedded(rnd, bOff, k * n);
    float[] c = embedded(rnd, cOff, m * n);
    float[] cScalar = c.clone();
    double[] expected = switch (layout) {
      case NN -> Reference.matmul(m, n, k, a, aOff, k, 1, b, bOff, n, 1);
      case NT -> Reference.matmul(m, n, k, a, aOff, k, 1, b, bOff, 1, k);
      case TN -> Reference.matmul(m, n, k, a, aOff, 1, m, b, bOff, n, 1);
    };
    if (acc) {
      for (int i = 0; i < m * n; i++) {
        expected[i] += c[cOff + i];
      }
    }
    switch (layout) {
      case NN -> {
        Gemm.nn(m, n, k, a, aOff, b, bOff, c, cOff, acc);
        ScalarKernels.gemmNn(m, n, k, a, aOff, b, bOff, cScalar, cOff, acc);
      }
      case NT -> {
        Gemm.nt(m, n, k, a, aOff, b, bOff, c, cOff, acc);
        ScalarKernels.gemmNt(m, n, k, a, aOff, b, bOff, cScalar, cOff, acc);
      }
      case TN -> {
        Gemm.tn(m, n, k, a, aOff, b, bOff, c, cOff, acc);
        ScalarKernels.gemmTn(m, n, k, a, aOff, b, bOff, cScalar, cOff, acc);
      }
    }
    String what = layout + " " + m + "x" + n + "x" + k + " acc=" + acc;
    // Float sums of k products: error grows like √k·eps·|a||b|; 1e-4 of the result's scale covers k = 1001.
    assertClose(expected, c, cOff, 1e-4, what + " vector");
    assertClose(expected, cScalar, cOff, 1e-4, what + " scalar");
    assertSentinels(c, cOff, m * n);
  }

  @Test
  void resultIsBitwiseIdenticalForOneAndTwoThreads() {
    int before = Parallelism.threads();
    try {
      for (int[] s : new int[][] {{300, 200, 150}, {1, 2000, 300}, {3, 1001, 700}, {530, 97, 260}}) {
        int m = s[0], n = s[1], k = s[2];
        Random rnd = new Random(7);
        float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, k * n), bt = Reference.random(rnd, n * k);
        float[] at = Reference.random(rnd, k * m);
        float[][] one = new float[3][], two = new float[3][];
        for (int threads : new int[] {1, 2}) {
          Parallelism.setThreads(threads);
          float[][] out = threads == 1 ? one : two;
          out[0] = new float[m * n];
          out[1] = new float[m * n];
          out[2] = new float[m * n];
          Gemm.nn(m, n, k, a, 0, b, 0, out[0], 0, false);
          Gemm.nt(m, n, k, a, 0, bt, 0, out[1], 0, false);
          Gemm.tn(m, n, k, at, 0, b, 0, out[2], 0, false);
        }
        for (int l = 0; l < 3; l++) {
          assertArrayEquals(one[l], two[l], "layout " + l + " at " + Arrays.toString(s));
        }
        assertClose(Reference.matmul(m, n, k, a, 0, k, 1, b, 0, n, 1), two[0], 0, 1e-4, "parallel nn");
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void eachRowIsBitwiseTheSameAloneAsInABatch() {
    // Whole 4-row tiles (packed B panels), leftover rows and a single row take different kernels;
    // a sample's prediction must not depend on which batch it was in.
    for (int[] s : new int[][] {{37, 300, 200}, {9, 1001, 130}, {70, 64, 784}, {263, 70, 257}}) {
      int m = s[0], n = s[1], k = s[2];
      Random rnd = new Random(11);
      float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, k * n);
      float[] batch = new float[m * n];
      Gemm.nn(m, n, k, a, 0, b, 0, batch, 0, false);
      for (int r = 0; r < m; r++) {
        float[] single = new float[n];
        Gemm.nn(1, n, k, a, r * k, b, 0, single, 0, false);
        assertArrayEquals(single, Arrays.copyOfRange(batch, r * n, r * n + n), "row " + r + " of " + Arrays.toString(s));
      }
    }
  }

  @Test
  void rejectsRangesThatDoNotFit() {
    float[] a = new float[6], b = new float[6], c = new float[3];
    assertThrows(IndexOutOfBoundsException.class, () -> Gemm.nn(2, 2, 3, a, 0, b, 0, c, 0, false));
    assertThrows(IllegalArgumentException.class, () -> Gemm.nn(-1, 2, 3, a, 0, b, 0, c, 0, false));
  }
}
