package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.GradientClipping;
import dev.kiln.runtime.optim.Sgd;
import dev.kiln.runtime.train.GradientNormTracker;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A training step must not allocate: vectors have to stay in registers (escape analysis) and kernels
 * may not create per-call arrays. Only C2-compiled code achieves this (the interpreter and C1 box every
 * vector), so the test warms up first and then measures windows of calls; the JIT compiles in the
 * background, so a few windows are allowed before one must come out at exactly 0 bytes.
 */
class AllocationFreeTest {
  static final int N = 33, IN = 40, OUT = 37;
  /**
   * How long windows are measured at least: the JIT's queue holds every method the suite compiled
   * before this test, and on a loaded machine C2 can take seconds to reach (and recompile) the kernels,
   * so a fixed count of windows failed now and then while the same step allocated nothing in a rerun.
   * A step that keeps allocating still fails.
   */
  static final long WINDOW_NANOS = 15_000_000_000L;

  @Test
  void singleThreadedTrainingStepKernelsAllocateNothingOnceCompiled() {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int before = Parallelism.threads();
    Parallelism.setThreads(1);
    try {
      Random rnd = new Random(12);
      float[] x = Reference.random(rnd, N * IN), w = Reference.random(rnd, IN * OUT), b = Reference.random(rnd, OUT);
      float[] y = new float[N * OUT], z = new float[N * OUT], dz = new float[N * OUT], dx = new float[N * IN];
      float[] dw = new float[IN * OUT], db = new float[OUT], c = new float[N * OUT];
      float[] prevY = Reference.random(rnd, N * IN), mask = Reference.random(rnd, N * IN);
      int[] labels = new int[N];
      float[] params = Reference.random(rnd, 1001), grads = Reference.random(rnd, 1001);
      Adam adam = new Adam(1001, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true);
      Sgd sgd = new Sgd(1001, 1e-3f, 0.9f, true, 1e-4f);
      // Clipping and gradient norms over trainable ranges that leave out a frozen [500, 600).
      float[] rawGrads = grads.clone();
      int[] ranges = {0, 500, 600, 401};
      GradientClipping clipping = new GradientClipping(0.5, 0.03);
      GradientNormTracker norms =
          new GradientNormTracker(List.of("a", "b", "c"), List.of(new int[] {0, 400, 400, 100}, new int[] {500, 100}, new int[] {600, 401}));
      Runnable step = () -> {
        System.arraycopy(rawGrads, 0, grads, 0, grads.length);
        double norm = Math.sqrt(clipping.sumOfSquares(grads, ranges));
        norms.record(grads, ranges, norm, clipping);
        clipping.clip(grads, ranges, norm);
        Gemm.nn(N, OUT, IN, x, 0, w, 0, c, 0, false);
        DenseKernels.forward(N, IN, OUT, x, 0, w, 0, b, 0, Activation.GELU, 0f, y, 0, z, 0);
        DenseKernels.forward(N, IN, OUT, x, 0, w, 0, b, 0, Activation.LEAKY_RELU, 0.1f, y, 0, null, 0);
        Losses.softmaxCrossEntropy(N, OUT, y, 0, labels, 0, null, 0, dz, 0, 1f / N);
        Losses.meanSquaredError(N, OUT, y, 0, z, 0, dz, 0, 1f / N);
        Losses.sigmoidBinaryCrossEntropy(N, y, 0, z, 0, null, 0, dz, 0, 1f / N);
        DenseKernels.backwardParams(N, IN, OUT, x, 0, dz, 0, dw, 0, db, 0);
        DenseKernels.backwardInput(N, IN, OUT, dz, 0, w, 0, dx, 0, Activation.TANH, 0f, prevY, 0, null, 0, mask, 0);
        adam.step(params, grads, 0, 1001);
        sgd.step(params, grads, 0, 1001);
      };
      for (int i = 0; i < 20_000; i++) {
        step.run();
      }
      long allocated = -1;
      long deadline = System.nanoTime() + WINDOW_NANOS;
      for (int window = 0; allocated != 0 && (window < 20 || System.nanoTime() < deadline); window++) {
        long start = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 300; i++) {
          step.run();
        }
        allocated = bean.getCurrentThreadAllocatedBytes() - start;
      }
      assertEquals(0, allocated, "bytes allocated by 300 steps after warm-up");
    } finally {
      Parallelism.setThreads(before);
    }
  }
  @Test
  void convolutionPoolingAndBatchNormKernelsAllocateNothingOnceCompiled() {
    for (int threads : new int[] {1, 2}) {
      spatialStepAllocatesNothing(threads);
    }
  }

  @Test
  void embeddingAndRecurrentKernelsAllocateNothingOnceCompiled() {
    for (int threads : new int[] {1, 2}) {
      recurrentStepAllocatesNothing(threads);
    }
  }

  /**
   * Embedding → bidirectional LSTM (sequences, lengths from the padding id, initial state) → GRU and
   * plain RNNs (last state), forward, final state and backward, then the embedding's scatter-add.
   */
  private static void recurrentStepAllocatesNothing(int threads) {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int before = Parallelism.threads();
    Parallelism.setThreads(threads);
    try {
      Random rnd = new Random(14);
      int n = 4, steps = 6, vocabulary = 11, dim = 7, hidden = 9, out = 2 * hidden;
      int[] ids = new int[n * steps], lengths = new int[n];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1 + rnd.nextInt(vocabulary - 1);
      }
      ids[steps - 2] = 0;
      ids[steps - 1] = 0;
      float[] table = Reference.random(rnd, vocabulary * dim), dTable = new float[table.length];
      float[] emb = new float[n * steps * dim], dEmb = new float[emb.length];
      RecurrentCell[] cells = RecurrentCell.values();
      int params = 0, ws = 0;
      for (RecurrentCell cell : cells) {
        int gh = cell.gates * hidden;
        params = Math.max(params, 2 * gh * (dim + hidden + 2));
        ws = Math.max(ws, n * RecurrentKernels.workspacePerSample(cell, steps, dim, hidden));
      }
      float[] w = Reference.random(rnd, params), g = new float[params];
      float[] ws0 = new float[ws], ws1 = new float[ws];
      float[] state0 = Reference.random(rnd, 2 * n * hidden), state1 = new float[2 * n * hidden];
      float[] seq = new float[n * steps * out], dSeq = Reference.random(rnd, seq.length);
      float[] lastOut = new float[n * hidden], dLast = Reference.random(rnd, lastOut.length);
      Runnable step = () -> {
        EmbeddingKernels.lengths(n, steps, ids, 0, 0, lengths, 0);
        EmbeddingKernels.forward(ids.length, vocabulary, dim, ids, 0, table, 0, emb, 0);
        for (RecurrentCell cell : cells) {
          int gh = cell.gates * hidden, half = gh * (dim + hidden + 2);
          for (int d = 0; d < 2; d++) {
            int p = d * half, hh = p + gh * dim, bi = hh + gh * hidden, bh = bi + gh;
            float[] wsd = d == 0 ? ws0 : ws1;
            boolean sequences = cell == RecurrentCell.LSTM;
            float[] y = sequences ? seq : lastOut, dy = sequences ? dSeq : dLast;
            int width = sequences ? out : hidden, col = sequences ? d * hidden : 0;
            RecurrentKernels.forward(cell, n, steps, dim, hidden, d == 1, emb, 0, w, p, hh, bi, bh, lengths, 0,
                state0, 0, wsd, 0, y, 0, width, col, sequences);
            RecurrentKernels.finalState(cell, n, steps, hidden, d == 1, lengths, 0, wsd, 0, state1, 0);
            RecurrentKernels.backward(cell, n, steps, dim, hidden, d == 1, emb, 0, w, p, hh, bi, bh, lengths, 0,
                state0, 0, wsd, 0, dy, 0, width, col, sequences, dEmb, 0, d == 1, g, p, hh, bi, bh);
          }
        }
        EmbeddingKernels.backward(ids.length, vocabulary, dim, ids, 0, dEmb, 0, dTable, 0, 0);
      };
      for (int i = 0; i < 5_000; i++) {
        step.run();
      }
      long allocated = -1;
      long deadline = System.nanoTime() + WINDOW_NANOS;
      for (int window = 0; allocated != 0 && (window < 20 || System.nanoTime() < deadline); window++) {
        long start = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200; i++) {
          step.run();
        }
        allocated = bean.getCurrentThreadAllocatedBytes() - start;
      }
      assertEquals(0, allocated, "bytes allocated on the calling thread by 200 steps after warm-up, " + threads + " threads");
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /** A small conv → batch norm → max pool → conv (1x1) → global average pool step, forward and backward. */
  private static void spatialStepAllocatesNothing(int threads) {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int before = Parallelism.threads();
    Parallelism.setThreads(threads);
    try {
      Random rnd = new Random(13);
      int n = 3;
      Conv2dGeometry c1 = new Conv2dGeometry(3, 12, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
      Pool2dGeometry p1 = new Pool2dGeometry(8, 12, 11, 2, 2, 2, 2, 0, 0, 0, 0);
      Conv2dGeometry c2 = new Conv2dGeometry(8, 6, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2);
      int hw1 = 12 * 11, hw2 = 6 * 5;
      float[] x = Reference.random(rnd, n * c1.inSize()), w1 = Reference.random(rnd, c1.weightSize());
      float[] b1 = Reference.random(rnd, 8), w2 = Reference.random(rnd, c2.weightSize());
      float[] z1 = new float[n * c1.outSize()], a1 = new float[z1.length], d1 = new float[z1.length];
      float[] gamma = Reference.random(rnd, 8), beta = Reference.random(rnd, 8), rm = new float[8], rv = new float[8];
      float[] sm = new float[8], si = new float[8], dg = new float[8], dbeta = new float[8];
      float[] pooled = new float[n * p1.outSize()], dPooled = new float[pooled.length];
      int[] arg = new int[pooled.length];
      float[] z2 = new float[n * c2.outSize()], g = new float[n * 4], dz2 = new float[z2.length];
      float[] dw1 = new float[w1.length], db1 = new float[8], dw2 = new float[w2.length], dx = new float[x.length];
      float[] cat = new float[n * (8 + 4)], dcat = Reference.random(rnd, cat.length);
      Runnable step = () -> {
        ConvKernels.forward(c1, n, x, 0, w1, 0, b1, 0, Activation.LINEAR, 0f, z1, 0, null, 0);
        BatchNormKernels.trainForward(n, 8, hw1, z1, 0, gamma, 0, beta, 0, 1e-5f, 0.1f, rm, 0, rv, 0, sm, 0, si, 0, a1, 0);
        BatchNormKernels.evalForward(n, 8, hw1, z1, 0, gamma, 0, beta, 0, 1e-5f, rm, 0, rv, 0, a1, 0);
        PoolKernels.maxForward(p1, n, a1, 0, pooled, 0, null, 0); // inference: the branch-free 2x2 path
        PoolKernels.maxForward(p1, n, a1, 0, pooled, 0, arg, 0);
        PoolKernels.avgForward(p1, n, a1, 0, pooled, 0);
        ConvKernels.forward(c2, n, pooled, 0, w2, 0, null, 0, Activation.RELU, 0f, z2, 0, null, 0);
        PoolKernels.globalAvgForward(n, 4, hw2, z2, 0, g, 0);
        TensorOps.copyColumns(n, 4, g, 0, 4, cat, 0, 12, 8);
        TensorOps.add(g.length, g, 0, g, 0, g, 0);
        TensorOps.gatherColumns(n, 4, dcat, 0, 12, 8, g, 0, 4, false);
        TensorOps.accumulate(g.length, g, 0, g, 0, true);
        PoolKernels.globalAvgBackward(n, 4, hw2, g, 0, dz2, 0, false);
        ConvKernels.backwardParams(c2, n, pooled, 0, dz2, 0, dw2, 0, null, 0);
        ConvKernels.backwardInput(c2, n, dz2, 0, w2, 0, dPooled, 0, false);
        PoolKernels.maxBackward(p1, n, dPooled, 0, arg, 0, d1, 0, false);
        PoolKernels.avgBackward(p1, n, dPooled, 0, d1, 0, true);
        BatchNormKernels.backward(n, 8, hw1, z1, 0, d1, 0, gamma, 0, sm, 0, si, 0, d1, 0, false, dg, 0, dbeta, 0);
        ConvKernels.backwardParams(c1, n, x, 0, d1, 0, dw1, 0, db1, 0);
        ConvKernels.backwardInput(c1, n, d1, 0, w1, 0, dx, 0, false);
      };
      for (int i = 0; i < 10_000; i++) {
        step.run();
      }
      long allocated = -1;
      long deadline = System.nanoTime() + WINDOW_NANOS;
      for (int window = 0; allocated != 0 && (window < 20 || System.nanoTime() < deadline); window++) {
        long start = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200; i++) {
          step.run();
        }
        allocated = bean.getCurrentThreadAllocatedBytes() - start;
      }
      assertEquals(0, allocated, "bytes allocated on the calling thread by 200 steps after warm-up, " + threads + " threads");
    } finally {
      Parallelism.setThreads(before);
    }
  }
}
