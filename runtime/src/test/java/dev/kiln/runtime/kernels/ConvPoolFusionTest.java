package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static dev.kiln.runtime.kernels.Reference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A convolution and its pooling as one call ({@link ConvKernels#forwardMaxPooled}, with the winners'
 * indices for training or without them for inference, and {@link ConvKernels#forwardAvgPooled}) give
 * bitwise what the two kernels give one after the other, whether the pair is fused (tiles pooled in
 * cache) or not (run through the convolution's output), at awkward sizes, on 1 to 3 threads; and
 * within float rounding what the scalar references give.
 */
class ConvPoolFusionTest {
  private static Conv2dGeometry conv(int c, int h, int w, int f, int kh, int kw, int stride, int pad, int dil, int groups) {
    return new Conv2dGeometry(c, h, w, f, kh, kw, stride, stride, pad, pad, pad, pad, dil, 1, groups);
  }

  private static Pool2dGeometry pool(Conv2dGeometry g, int k, int stride, int pad) {
    return new Pool2dGeometry(g.outC(), g.outH(), g.outW(), k, k, stride, stride, pad, pad, pad, pad);
  }

  /** Pairs the tiled kernel fuses (with RELU or no activation). */
  static final Conv2dGeometry[] FUSED = {
    conv(1, 28, 28, 32, 3, 3, 1, 0, 1, 1), // FashionCnn's conv1 + pool1
    conv(32, 13, 13, 64, 3, 3, 1, 0, 1, 1), // conv2 + pool2: 11x11 -> 5x5, the last row and column unread
    conv(3, 12, 16, 7, 3, 3, 1, 0, 1, 1), // odd channels, 7 filters (a 4-filter tile, then 3 single ones)
    conv(5, 14, 15, 13, 3, 3, 1, 0, 1, 1), // 13 filters: tiles of 8, 4 and 1 (32 registers) or 4, 4, 4, 1
    conv(3, 17, 19, 5, 5, 5, 1, 0, 2, 1), // 5x5, vertical dilation 2: 9x15 -> 4x7
    conv(1, 3, 50, 3, 2, 44, 1, 0, 1, 1), // 2x7 -> 1x3: a pooled plane narrower than a vector (scalar max)
  };

  /** Convolutions the tiled kernel does not take (stride 2, padding, groups): run unfused. */
  static final Conv2dGeometry[] UNFUSED_CONV = {
    conv(3, 15, 17, 5, 3, 3, 2, 0, 1, 1),
    conv(2, 12, 12, 6, 3, 3, 1, 1, 1, 1),
    conv(4, 12, 14, 6, 3, 3, 1, 0, 1, 2),
  };

  @Test
  void fusesOnlyWhatTheTiledKernelSupports() {
    for (Conv2dGeometry g : FUSED) {
      Pool2dGeometry p = pool(g, 2, 2, 0);
      assertTrue(VectorConvKernels.fusesPooling(g, p, Activation.RELU, false), g.toString());
      assertTrue(VectorConvKernels.fusesPooling(g, p, Activation.LINEAR, false), g.toString());
      assertFalse(VectorConvKernels.fusesPooling(g, p, Activation.TANH, false), g + " TANH");
      assertFalse(VectorConvKernels.fusesPooling(g, p, Activation.RELU, true), g + " saving the pre-activation");
    }
    Conv2dGeometry g = FUSED[1];
    assertFalse(VectorConvKernels.fusesPooling(g, pool(g, 3, 2, 0), Activation.RELU, false), "3x3 window");
    assertFalse(VectorConvKernels.fusesPooling(g, pool(g, 2, 1, 0), Activation.RELU, false), "stride 1");
    assertFalse(VectorConvKernels.fusesPooling(g, pool(g, 2, 2, 1), Activation.RELU, false), "padded");
    for (Conv2dGeometry u : UNFUSED_CONV) {
      assertFalse(VectorConvKernels.fusesPooling(u, pool(u, 2, 2, 0), Activation.RELU, false), u.toString());
    }
    // The fusion does not depend on the batch or the register file: FashionCnn's conv1 fuses although
    // its unfused forward takes the one-channel direct kernel at batch 128 on 16 registers.
    assertTrue(VectorConvKernels.direct(FUSED[0]) && !VectorConvKernels.direct(g), "conv1 is direct, conv2 not");
  }

  @Test
  void fusedCallEqualsConvolutionThenPoolingBitwise() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(5);
      for (Conv2dGeometry g : FUSED) {
        check(g, pool(g, 2, 2, 0), rnd);
      }
      // Not fused: the pooling windows, or the convolution.
      Conv2dGeometry g = FUSED[2];
      check(g, pool(g, 3, 2, 0), rnd);
      check(g, pool(g, 2, 1, 0), rnd);
      check(g, pool(g, 3, 2, 1), rnd);
      for (Conv2dGeometry u : UNFUSED_CONV) {
        check(u, pool(u, 2, 2, 0), rnd);
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /**
   * Every activation, both poolings, batch 1 and 3, 1-3 threads, NaN sentinels around every tensor,
   * and a NaN in one input (the pooling lets it through, as the unfused path does).
   */
  private static void check(Conv2dGeometry g, Pool2dGeometry pg, Random rnd) {
    int xOff = 3, wOff = 5, bOff = 2, yOff = 7, pOff = 4;
    boolean fuses = VectorPoolKernels.is2x2Stride2(pg) && VectorConvKernels.shifted(g);
    for (int n : new int[] {1, 3}) {
      float[] x = embedded(rnd, xOff, n * g.inSize()), w = embedded(rnd, wOff, g.weightSize());
      float[] b = embedded(rnd, bOff, g.outC());
      if (n == 3) {
        x[xOff + g.inSize() + 17] = Float.NaN;
      }
      for (Activation act : new Activation[] {Activation.RELU, Activation.LINEAR, Activation.TANH}) {
        for (boolean max : new boolean[] {true, false}) {
          String what = g + " " + pg + " n=" + n + " " + act + (max ? " max" : " avg");
          Parallelism.setThreads(1);
          float[] y = new float[n * g.outSize()], expected = new float[n * pg.outSize()];
          float[] expectedTraining = new float[n * pg.outSize()];
          int[] expectedArgmax = new int[n * pg.outSize()];
          ConvKernels.forward(g, n, x, xOff, w, wOff, b, bOff, act, 0f, y, 0, null, 0);
          if (max) {
            PoolKernels.maxForward(pg, n, y, 0, expected, 0, null, 0);
            PoolKernels.maxForward(pg, n, y, 0, expectedTraining, 0, expectedArgmax, 0);
          } else {
            PoolKernels.avgForward(pg, n, y, 0, expected, 0);
          }
          float[] ys = new float[n * g.outSize()], ps = new float[n * pg.outSize()];
          ScalarConvKernels.forward(g, n, x, xOff, w, wOff, b, bOff, act, 0f, ys, 0, null, 0);
          if (max) {
            ScalarPoolKernels.maxForward(pg, n, ys, 0, ps, 0, null, 0);
          } else {
            ScalarPoolKernels.avgForward(pg, n, ys, 0, ps, 0);
          }
          if (n == 1) { // the NaN sample is not compared with a tolerance
            assertClose(toDouble(ps, 0, ps.length), expected, 0, 1e-5, what + " against the scalar reference");
          }
          for (int threads = 1; threads <= 3; threads++) {
            Parallelism.setThreads(threads);
            float[] workspace = embedded(rnd, yOff, n * g.outSize());
            float[] untouched = workspace.clone();
            float[] p = embedded(rnd, pOff, n * pg.outSize());
            if (max) {
              ConvKernels.forwardMaxPooled(g, pg, n, x, xOff, w, wOff, b, bOff, act, 0f, workspace, yOff, null, 0, p, pOff);
            } else {
              ConvKernels.forwardAvgPooled(g, pg, n, x, xOff, w, wOff, b, bOff, act, 0f, workspace, yOff, null, 0, p, pOff);
            }
            String where = what + " threads=" + threads;
            assertArrayEquals(expected, Arrays.copyOfRange(p, pOff, pOff + expected.length), where);
            Reference.assertSentinels(p, pOff, expected.length);
            boolean fused = fuses && act != Activation.TANH && VectorConvKernels.fusesPooling(g, pg, act, false);
            if (fused) {
              assertArrayEquals(untouched, workspace, where + ": the fused call wrote the convolution's output");
            }
            if (max) {
              // With the winners' indices, as training calls it.
              int argOff = 6;
              int[] arg = new int[argOff + expectedArgmax.length + 2];
              Arrays.fill(arg, -7);
              p = embedded(rnd, pOff, n * pg.outSize());
              ConvKernels.forwardMaxPooled(g, pg, n, x, xOff, w, wOff, b, bOff, act, 0f, workspace, yOff, null, 0, p,
                  pOff, arg, argOff);
              assertArrayEquals(expectedTraining, Arrays.copyOfRange(p, pOff, pOff + expected.length), where + " argmax");
              assertArrayEquals(expectedArgmax, Arrays.copyOfRange(arg, argOff, argOff + expectedArgmax.length),
                  where + ": the winners' indices");
              Reference.assertSentinels(p, pOff, expected.length);
              for (int i : new int[] {0, argOff - 1, argOff + expectedArgmax.length, arg.length - 1}) {
                assertEquals(-7, arg[i], where + ": argmax[" + i + "] outside the call's range was written");
              }
              if (fused) {
                assertArrayEquals(untouched, workspace, where + ": the fused training call wrote the convolution's output");
              }
            }
          }
        }
      }
    }
  }

  /**
   * The weight gradient with the max pooling's backward folded in ({@link
   * ConvKernels#backwardParamsMaxPooled}) is bitwise the pooling's backward into a dy tensor followed by
   * {@link ConvKernels#backwardParams}, for RELU (derivative folded, from the pooled output) and LINEAR,
   * accumulating into dw and db, at the fused geometries and those the implicit weight gradient does not
   * take, batches 1, 3 and 11 (two blocks of samples), on 1 to 3 threads; where it is fused, the dy
   * workspace is not touched.
   */
  @Test
  void foldedPoolingBackwardEqualsScatterThenWeightGradientBitwise() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(21);
      List<Conv2dGeometry> all = new ArrayList<>(List.of(FUSED));
      all.addAll(List.of(UNFUSED_CONV));
      for (Conv2dGeometry g : all) {
        Pool2dGeometry pg = pool(g, 2, 2, 0);
        for (int n : new int[] {1, 3, 11}) {
          float[] x = embedded(rnd, 3, n * g.inSize()), w = embedded(rnd, 5, g.weightSize());
          float[] b = embedded(rnd, 2, g.outC());
          for (Activation act : new Activation[] {Activation.RELU, Activation.LINEAR}) {
            String what = g + " n=" + n + " " + act;
            Parallelism.setThreads(1);
            float[] y = new float[n * g.outSize()], p = new float[4 + n * pg.outSize()];
            int[] arg = new int[2 + n * pg.outSize()];
            ConvKernels.forward(g, n, x, 3, w, 5, b, 2, act, 0f, y, 0, null, 0);
            PoolKernels.maxForward(pg, n, y, 0, p, 4, arg, 2);
            float[] dp = embedded(rnd, 6, n * pg.outSize());
            float[] dw0 = embedded(rnd, 1, g.weightSize()), db0 = embedded(rnd, 7, g.outC());
            float[] dy = new float[n * g.outSize()], dw = dw0.clone(), db = db0.clone();
            if (act == Activation.RELU) {
              PoolKernels.maxBackwardFolded(pg, n, dp, 6, arg, 2, act, p, 4, dy, 0);
            } else {
              PoolKernels.maxBackward(pg, n, dp, 6, arg, 2, dy, 0, false);
            }
            ConvKernels.backwardParams(g, n, x, 3, dy, 0, dw, 1, db, 7);
            for (int threads = 1; threads <= 3; threads++) {
              Parallelism.setThreads(threads);
              String where = what + " threads=" + threads;
              float[] workspace = embedded(rnd, 9, n * g.outSize()), untouched = workspace.clone();
              float[] fw = dw0.clone(), fb = db0.clone();
              ConvKernels.backwardParamsMaxPooled(g, pg, n, x, 3, dp, 6, arg, 2, act, p, 4, workspace, 9, fw, 1, fb, 7);
              assertArrayEquals(dw, fw, where + ": dw");
              assertArrayEquals(db, fb, where + ": db");
              if (VectorConvKernels.fusesPoolingBackward(g) && Backend.VECTOR) {
                assertArrayEquals(untouched, workspace, where + ": the fused call wrote dy");
              }
            }
          }
        }
      }
      Conv2dGeometry g = FUSED[2];
      Pool2dGeometry pg = pool(g, 2, 2, 0);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvKernels.backwardParamsMaxPooled(
          g, pg, 1, new float[g.inSize()], 0, new float[pg.outSize()], 0, new int[pg.outSize()], 0, Activation.TANH,
          new float[pg.outSize()], 0, new float[g.outSize()], 0, new float[g.weightSize()], 0, null, 0));
      assertTrue(e.getMessage().contains("TANH"), e.getMessage());
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void aPoolingThatDoesNotReadTheConvolutionsOutputIsRefused() {
    Conv2dGeometry g = FUSED[2];
    Pool2dGeometry wrong = new Pool2dGeometry(g.outC() + 1, g.outH(), g.outW(), 2, 2, 2, 2, 0, 0, 0, 0);
    float[] x = new float[g.inSize()], w = new float[g.weightSize()], y = new float[g.outSize()], p = new float[1000];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvKernels.forwardMaxPooled(g, wrong, 1, x, 0, w, 0, null, 0, Activation.RELU, 0f, y, 0, null, 0, p, 0));
    assertTrue(e.getMessage().contains("the pooling reads [8, 10, 14] but the convolution writes [7, 10, 14]"),
        e.getMessage());
  }
}
