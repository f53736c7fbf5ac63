package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static dev.kiln.runtime.kernels.Reference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The im2col + GEMM convolution equals the direct scalar reference, at awkward geometries and any thread count. */
class ConvKernelsTest {
  /** Odd channels, 1x1 (pointwise and not), 5x5, stride 2, dilation 2, groups 2, depthwise, asymmetric padding. */
  static final Conv2dGeometry[] GEOMETRIES = {
    new Conv2dGeometry(3, 7, 9, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    new Conv2dGeometry(3, 6, 5, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    new Conv2dGeometry(2, 9, 8, 3, 5, 5, 2, 2, 2, 1, 0, 2, 1, 1, 1),
    new Conv2dGeometry(4, 10, 11, 6, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 2),
    new Conv2dGeometry(5, 8, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5),
    new Conv2dGeometry(6, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2),
    new Conv2dGeometry(3, 4, 5, 2, 1, 1, 2, 2, 1, 0, 0, 1, 1, 1, 1),
    new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    new Conv2dGeometry(17, 13, 13, 19, 3, 3, 1, 1, 1, 0, 2, 1, 1, 1, 1),
    new Conv2dGeometry(2, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1),
    // small patch, stride 1, unpadded, an odd channel count (GEOMETRIES[7] is the direct forward's conv1)
    new Conv2dGeometry(2, 9, 21, 11, 2, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    // above Parallelism.MIN_SPLIT_FLOPS at batch 1 (so the batch-1 forward goes through the split
    // rule), with groups, padding, stride and dilation
    new Conv2dGeometry(8, 20, 19, 12, 3, 3, 1, 2, 1, 2, 0, 1, 2, 1, 2),
    // the shifted-window kernel: FashionCnn's conv2, and a 5x5 kernel with vertical dilation
    // and 7 filters (one 4-filter tile, then three single filters)
    new Conv2dGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    new Conv2dGeometry(3, 17, 19, 7, 5, 5, 1, 1, 0, 0, 0, 0, 2, 1, 1),
    // 13 filters and 13 channels: with 8-filter tiles (32 registers) one of 8, one of 4 and a single
    // filter, forward and input gradient alike; with 4-filter tiles three of 4 and a single one. Its
    // 106 positions leave 10 after whole 3-vector tiles at 512 and 256 bits, so the 8-filter block
    // ends with the 2-vector tile (as conv1's 726 do); conv2's 141 leave 45 and 21, more than two
    // vectors, so its last 3-vector tile is moved back instead
    new Conv2dGeometry(13, 11, 12, 13, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    // 5x5 with horizontal dilation 2 (the general tiles, not the 3-tap one) and 12 filters: 8 + 4
    new Conv2dGeometry(5, 14, 23, 12, 5, 5, 1, 1, 0, 0, 0, 0, 1, 2, 1),
  };

  @Test
  void vectorBackendIsActiveInTheseTests() {
    assertTrue(Backend.vectorized(), "run the tests with --add-modules jdk.incubator.vector");
  }

  @Test
  void geometryFollowsPyTorchsOutputFormula() {
    Conv2dGeometry g = new Conv2dGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    assertEquals(11, g.outH());
    assertEquals(11, g.outW());
    assertEquals(32 * 169, g.inSize());
    assertEquals(64 * 121, g.outSize());
    assertEquals(64 * 32 * 9, g.weightSize());
    assertEquals(2L * 128 * 64 * 121 * 32 * 9, g.flops(128));
    Conv2dGeometry h = new Conv2dGeometry(4, 10, 11, 6, 3, 3, 1, 2, 2, 1, 0, 3, 2, 2, 2);
    assertEquals((10 + 2 + 0 - 2 * 2 - 1) / 1 + 1, h.outH());
    assertEquals((11 + 1 + 3 - 2 * 2 - 1) / 2 + 1, h.outW());
    assertEquals(6 * 2 * 9, h.weightSize());
  }

  @Test
  void geometryRejectsWhatCannotBeConvolved() {
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(0, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(2, 5, 5, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(1, 2, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(1, 5, 5, 1, 3, 3, 1, 1, -1, 0, 0, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(1, 5, 5, 1, 3, 3, 0, 1, 0, 0, 0, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Conv2dGeometry(1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 3, 1, 1));
  }

  @Test
  void facadeChecksRangesAndRefusesSoftmax() {
    Conv2dGeometry g = GEOMETRIES[0];
    float[] x = new float[2 * g.inSize()], w = new float[g.weightSize()], y = new float[2 * g.outSize()];
    assertThrows(IndexOutOfBoundsException.class,
        () -> ConvKernels.forward(g, 3, x, 0, w, 0, null, 0, Activation.RELU, 0f, y, 0, null, 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> ConvKernels.forward(g, 2, x, 0, w, 1, null, 0, Activation.RELU, 0f, y, 0, null, 0));
    assertThrows(IllegalArgumentException.class,
        () -> ConvKernels.forward(g, 2, x, 0, w, 0, null, 0, Activation.SOFTMAX, 0f, y, 0, null, 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> ConvKernels.backwardParams(g, 2, x, 0, y, 0, w, 0, new float[g.outC() - 1], 0));
  }

  @Test
  void vectorMatchesScalarReferenceAtAwkwardGeometries() {
    Random rnd = new Random(7);
    for (Conv2dGeometry g : GEOMETRIES) {
      for (int n : new int[] {1, 3}) {
        check(g, n, rnd);
      }
    }
  }

  private static void check(Conv2dGeometry g, int n, Random rnd) {
    String what = g + " n=" + n;
    int xOff = 3, wOff = 5, bOff = 2, yOff = 7, zOff = 4, dOff = 6;
    int in = n * g.inSize(), out = n * g.outSize();
    float[] x = embedded(rnd, xOff, in), w = embedded(rnd, wOff, g.weightSize()), b = embedded(rnd, bOff, g.outC());
    for (Activation act : new Activation[] {Activation.LINEAR, Activation.LEAKY_RELU, Activation.GELU}) {
      float[] b1 = act == Activation.LINEAR ? null : b;
      float[] y = embedded(rnd, yOff, out), z = embedded(rnd, zOff, out);
      float[] ys = new float[out], zs = new float[out];
      ConvKernels.forward(g, n, x, xOff, w, wOff, b1, bOff, act, 0.1f, y, yOff, z, zOff);
      ScalarConvKernels.forward(g, n, x, xOff, w, wOff, b1, bOff, act, 0.1f, ys, 0, zs, 0);
      assertClose(toDouble(zs, 0, out), z, zOff, 1e-5, what + " " + act + " z");
      assertClose(toDouble(ys, 0, out), y, yOff, 1e-5, what + " " + act + " y");
      assertSentinels(y, yOff, out);
      assertSentinels(z, zOff, out);
      float[] yOnly = embedded(rnd, yOff, out);
      ConvKernels.forward(g, n, x, xOff, w, wOff, b1, bOff, act, 0.1f, yOnly, yOff, null, 0);
      assertClose(toDouble(ys, 0, out), yOnly, yOff, 1e-5, what + " " + act + " y without z");
    }
    float[] dy = embedded(rnd, dOff, out);
    for (boolean acc : new boolean[] {false, true}) {
      float[] dx = embedded(rnd, xOff, in);
      if (acc) {
        java.util.Arrays.fill(dx, xOff, xOff + in, 0.5f);
      }
      float[] dxs = new float[in];
      java.util.Arrays.fill(dxs, acc ? 0.5f : 0f);
      ConvKernels.backwardInput(g, n, dy, dOff, w, wOff, dx, xOff, acc);
      ScalarConvKernels.backwardInput(g, n, dy, dOff, w, wOff, dxs, 0, acc);
      assertClose(toDouble(dxs, 0, in), dx, xOff, 1e-5, what + " dx acc=" + acc);
      assertSentinels(dx, xOff, in);
    }
    float[] dw = embedded(rnd, wOff, g.weightSize()), db = embedded(rnd, bOff, g.outC());
    float[] dws = java.util.Arrays.copyOfRange(dw, wOff, wOff + g.weightSize());
    float[] dbs = java.util.Arrays.copyOfRange(db, bOff, bOff + g.outC());
    ConvKernels.backwardParams(g, n, x, xOff, dy, dOff, dw, wOff, db, bOff);
    ScalarConvKernels.backwardParams(g, n, x, xOff, dy, dOff, dws, 0, dbs, 0);
    assertClose(toDouble(dws, 0, g.weightSize()), dw, wOff, 1e-5, what + " dw");
    assertClose(toDouble(dbs, 0, g.outC()), db, bOff, 1e-5, what + " db");
    assertSentinels(dw, wOff, g.weightSize());
    assertSentinels(db, bOff, g.outC());
  }

  /**
   * Both forms of the stride-1 input gradient, called directly whichever one this register file uses by
   * default (the scatter form with 16 registers, the shifted-window one with 32), against the scalar
   * reference, overwriting and accumulating, on 1 to 3 threads (bitwise the same on each): padded,
   * dilated, odd channel counts, one input channel, 1x1 and 5x5 kernels, FashionCnn's conv2.
   */
  @Test
  void bothStrideOneInputGradientFormsMatchReference() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(29);
      int checked = 0;
      for (Conv2dGeometry g : GEOMETRIES) {
        boolean scatter = VectorConvKernels.scatterInputGradient(g), shifted = VectorConvKernels.shiftedInputGradient(g);
        if (!scatter && !shifted) {
          continue;
        }
        int n = 3, in = n * g.inSize();
        float[] w = Reference.random(rnd, g.weightSize()), dy = Reference.random(rnd, n * g.outSize());
        float[] expected = new float[in];
        ScalarConvKernels.backwardInput(g, n, dy, 0, w, 0, expected, 0, false);
        for (int form = 0; form < 2; form++) {
          if (form == 0 ? !scatter : !shifted) {
            continue;
          }
          float[] first = null;
          for (int threads = 1; threads <= 3; threads++) {
            Parallelism.setThreads(threads);
            String what = g + (form == 0 ? " scatter" : " shifted") + " threads=" + threads;
            float[] dx = new float[in], dxAcc = new float[in];
            Arrays.fill(dxAcc, 0.25f);
            if (form == 0) {
              VectorConvKernels.backwardInputScatter(g, n, dy, 0, w, 0, dx, 0, false);
              VectorConvKernels.backwardInputScatter(g, n, dy, 0, w, 0, dxAcc, 0, true);
            } else {
              VectorConvKernels.backwardInputShifted(g, n, dy, 0, w, 0, dx, 0, false);
              VectorConvKernels.backwardInputShifted(g, n, dy, 0, w, 0, dxAcc, 0, true);
            }
            assertClose(toDouble(expected, 0, in), dx, 0, 1e-5, what + " dx");
            double[] accumulated = toDouble(expected, 0, in);
            for (int k = 0; k < in; k++) {
              accumulated[k] += 0.25;
            }
            assertClose(accumulated, dxAcc, 0, 1e-5, what + " dx accumulated");
            if (first == null) {
              first = dx;
            } else {
              assertArrayEquals(first, dx, what + " against 1 thread");
            }
          }
          checked++;
        }
      }
      assertTrue(checked >= 10, "forms checked: " + checked);
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void shiftedWindowKernelTakesUngroupedUnpaddedStrideOneConvolutions() {
    for (int i : new int[] {7, 10, 12, 13, 14, 15}) {
      assertTrue(VectorConvKernels.shifted(GEOMETRIES[i]), GEOMETRIES[i].toString());
    }
    for (int i : new int[] {2, 3, 4, 5, 8}) {
      assertFalse(VectorConvKernels.shifted(GEOMETRIES[i]), GEOMETRIES[i].toString());
    }
  }

  /**
   * The shifted-window kernel and im2col + GEMM sum bias + the patch in the same order, so they give
   * the same floats, y and the saved pre-activation z alike, at batch 1 and 3, on 1, 2 and 3 threads
   * (3: a sample's filter blocks split unevenly).
   */
  @Test
  void shiftedWindowKernelEqualsIm2colGemmBitwise() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(11);
      for (int i : new int[] {7, 10, 12, 13, 14, 15}) {
        Conv2dGeometry g = GEOMETRIES[i];
        float[] x = Reference.random(rnd, 3 * g.inSize()), w = Reference.random(rnd, g.weightSize());
        float[] b = Reference.random(rnd, g.outC());
        for (Activation act : new Activation[] {Activation.RELU, Activation.LINEAR, Activation.TANH}) {
          for (int n : new int[] {1, 3}) {
            float[] y = new float[n * g.outSize()], z = new float[n * g.outSize()];
            Parallelism.setThreads(1);
            VectorConvKernels.forwardIm2col(g, n, x, 0, w, 0, b, 0, act, 0f, y, 0, z, 0);
            for (int threads = 1; threads <= 3; threads++) {
              Parallelism.setThreads(threads);
              float[] ys = new float[n * g.outSize()], zs = new float[n * g.outSize()], yOnly = new float[n * g.outSize()];
              ConvKernels.forward(g, n, x, 0, w, 0, b, 0, act, 0f, ys, 0, zs, 0);
              ConvKernels.forward(g, n, x, 0, w, 0, b, 0, act, 0f, yOnly, 0, null, 0);
              String what = g + " " + act + " n=" + n + " threads=" + threads;
              assertArrayEquals(y, ys, what + " y");
              assertArrayEquals(z, zs, what + " z");
              assertArrayEquals(y, yOnly, what + " y without z");
            }
          }
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /**
   * The implicit-GEMM weight gradient (blocks of {@link VectorConvKernels#DW_SAMPLES} samples) and the
   * shifted input gradient (flipped weights over a zero-padded dy) at a batch of 17 (two full blocks and
   * one sample): equal to the scalar reference, overwriting and accumulating, and bitwise the same on
   * 1, 2 and 3 threads. The geometries cover padding (for the input gradient), dilation, 1x1 and odd
   * channel counts.
   */
  @Test
  void backwardPathsMatchReferenceAcrossSampleBlocksAndThreadCounts() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(17);
      int n = 2 * VectorConvKernels.DW_SAMPLES + 1;
      for (int i : new int[] {0, 1, 7, 8, 10, 12, 13, 14, 15}) {
        Conv2dGeometry g = GEOMETRIES[i];
        float[] x = Reference.random(rnd, n * g.inSize()), w = Reference.random(rnd, g.weightSize());
        float[] dy = Reference.random(rnd, n * g.outSize());
        float[] dxs = new float[n * g.inSize()], dws = new float[g.weightSize()], dbs = new float[g.outC()];
        ScalarConvKernels.backwardInput(g, n, dy, 0, w, 0, dxs, 0, false);
        ScalarConvKernels.backwardParams(g, n, x, 0, dy, 0, dws, 0, dbs, 0);
        float[][] first = null;
        for (int threads = 1; threads <= 3; threads++) {
          Parallelism.setThreads(threads);
          String what = g + " n=" + n + " threads=" + threads;
          float[] dx = new float[n * g.inSize()], dxAcc = new float[n * g.inSize()];
          Arrays.fill(dxAcc, 0.25f);
          float[] dw = new float[g.weightSize()], db = new float[g.outC()];
          ConvKernels.backwardInput(g, n, dy, 0, w, 0, dx, 0, false);
          ConvKernels.backwardInput(g, n, dy, 0, w, 0, dxAcc, 0, true);
          ConvKernels.backwardParams(g, n, x, 0, dy, 0, dw, 0, db, 0);
          assertClose(toDouble(dxs, 0, dxs.length), dx, 0, 1e-5, what + " dx");
          double[] accumulated = toDouble(dxs, 0, dxs.length);
          for (int k = 0; k < accumulated.length; k++) {
            accumulated[k] += 0.25;
          }
          assertClose(accumulated, dxAcc, 0, 1e-5, what + " dx accumulated");
          assertClose(toDouble(dws, 0, dws.length), dw, 0, 1e-5, what + " dw");
          assertClose(toDouble(dbs, 0, dbs.length), db, 0, 1e-5, what + " db");
          float[][] all = {dx, dxAcc, dw, db};
          if (first == null) {
            first = all;
          } else {
            for (int k = 0; k < all.length; k++) {
              assertArrayEquals(first[k], all[k], what + " output " + k + " against 1 thread");
            }
          }
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /**
   * Every kind of implicit weight gradient (transposed dy with the 6 x 2 or the 4 x 4 tile, and the
   * direct kernel with its tile for this run's register count) on every geometry it can take, under this
   * run's species: equal to the scalar reference at a batch of 17 (two full sample blocks and one sample),
   * accumulating into dw and db, and bitwise the same on 1, 2 and 3 threads. Besides the implicit
   * geometries above: a 5x5 patch with vertical stride 2 and horizontal dilation 2 (13 filters), rows of
   * exactly 16 positions (37 filters), and horizontal stride 2 with 70 filters (two wide tiles at 512 bits).
   */
  @Test
  void everyWeightGradientKindMatchesReference() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(23);
      int n = 2 * VectorConvKernels.DW_SAMPLES + 1;
      Conv2dGeometry[] shapes = {GEOMETRIES[0], GEOMETRIES[1], GEOMETRIES[7], GEOMETRIES[10], GEOMETRIES[12],
          GEOMETRIES[13], new Conv2dGeometry(1, 30, 37, 13, 5, 5, 2, 1, 0, 0, 0, 0, 1, 2, 1),
          new Conv2dGeometry(3, 11, 18, 37, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
          new Conv2dGeometry(5, 12, 13, 70, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1)};
      int dotShapes = 0;
      for (Conv2dGeometry g : shapes) {
        assertTrue(VectorConvKernels.implicitWeightGradient(g), g.toString());
        float[] x = Reference.random(rnd, n * g.inSize()), dy = Reference.random(rnd, n * g.outSize());
        float[] dws = new float[g.weightSize()], dbs = new float[g.outC()];
        Arrays.fill(dws, 0.5f);
        Arrays.fill(dbs, -0.25f);
        ScalarConvKernels.backwardParams(g, n, x, 0, dy, 0, dws, 0, dbs, 0);
        for (int kind : new int[] {VectorConvKernels.DW_NARROW, VectorConvKernels.DW_WIDE, VectorConvKernels.DW_DOT}) {
          if (kind == VectorConvKernels.DW_DOT && !VectorConvKernels.dotWeightGradient(g)) {
            continue;
          }
          dotShapes += kind == VectorConvKernels.DW_DOT ? 1 : 0;
          float[][] first = null;
          for (int threads = 1; threads <= 3; threads++) {
            Parallelism.setThreads(threads);
            String what = g + " kind=" + kind + " threads=" + threads;
            float[] dw = new float[g.weightSize()], db = new float[g.outC()];
            Arrays.fill(dw, 0.5f);
            Arrays.fill(db, -0.25f);
            VectorConvKernels.backwardParamsImplicit(kind, g, n, x, 0, dy, 0, dw, 0, db, 0);
            assertClose(toDouble(dws, 0, dws.length), dw, 0, 1e-5, what + " dw");
            assertClose(toDouble(dbs, 0, dbs.length), db, 0, 1e-5, what + " db");
            if (first == null) {
              first = new float[][] {dw, db};
            } else {
              assertArrayEquals(first[0], dw, what + " dw against 1 thread");
              assertArrayEquals(first[1], db, what + " db against 1 thread");
            }
          }
        }
      }
      assertTrue(dotShapes >= 3, "the direct kernel ran on " + dotShapes + " geometries");
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void resultsAreBitwiseIdenticalForOneAndTwoThreads() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(3);
      Conv2dGeometry[] shapes = {GEOMETRIES[3], GEOMETRIES[4], GEOMETRIES[5], GEOMETRIES[7], GEOMETRIES[10], GEOMETRIES[11],
          new Conv2dGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1)};
      for (Conv2dGeometry g : shapes) {
        for (int n : new int[] {1, 5}) {
          float[] x = Reference.random(rnd, n * g.inSize()), w = Reference.random(rnd, g.weightSize());
          float[] b = Reference.random(rnd, g.outC()), dy = Reference.random(rnd, n * g.outSize());
          float[][] one = run(g, n, x, w, b, dy, 1), two = run(g, n, x, w, b, dy, 2);
          for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], two[i], g + " n=" + n + " output " + i);
          }
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  private static float[][] run(Conv2dGeometry g, int n, float[] x, float[] w, float[] b, float[] dy, int threads) {
    Parallelism.setThreads(threads);
    float[] y = new float[n * g.outSize()], dx = new float[n * g.inSize()];
    float[] dw = new float[g.weightSize()], db = new float[g.outC()];
    ConvKernels.forward(g, n, x, 0, w, 0, b, 0, Activation.RELU, 0f, y, 0, null, 0);
    ConvKernels.backwardInput(g, n, dy, 0, w, 0, dx, 0, false);
    ConvKernels.backwardParams(g, n, x, 0, dy, 0, dw, 0, db, 0);
    ConvKernels.backwardParams(g, n, x, 0, dy, 0, dw, 0, db, 0);
    return new float[][] {y, dx, dw, db};
  }
}
