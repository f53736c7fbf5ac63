package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every GEMM layout and every fused dense kernel, at the narrow and ragged shapes that reach the
 * column-tail and row-tail paths of the micro-kernels (widths around one and two vectors of this JVM's
 * species, 1 to 13 rows), must allocate nothing once compiled: a guard over the shapes that
 * {@link AllocationFreeTest}'s one training-step shape does not reach. (Measured right after 20,000
 * calls, 2x16x4 showed ~2.5 KB per call; that was C2 not yet done, and it reached 0 within about
 * 0.3 s, before and after the kernels lost their masks, so windows are repeated here.)
 *
 * <p>All shapes are warmed up together (as a network's layers are, so the kernels' profiles see every
 * width), then each shape is measured on its own; the JIT compiles in the background, so a shape that
 * still allocates is measured again until it comes out at 0 bytes or the deadline passes.
 */
class GemmTailAllocationTest {
  private static final int L = Backend.VECTOR ? VectorShape.FLOAT.length() : 8;
  private static final int[] MS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
  private static final int[] NS = {1, 3, L - 1, L, L + 1, 2 * L - 1, 2 * L, 2 * L + 3, 3 * L};
  private static final int[] KS = {1, 4, 9};
  private static final Activation[] ACTS = {Activation.RELU, Activation.LEAKY_RELU, Activation.SIGMOID,
      Activation.TANH, Activation.GELU, Activation.LINEAR};
  private static final String[] KINDS = {"Gemm.nn", "Gemm.nt", "Gemm.tn", "DenseKernels.forward",
      "DenseKernels.backwardInput", "DenseKernels.backwardParams"};
  /** Warm-up over the whole grid: each micro-kernel runs hundreds of thousands of times. */
  private static final long WARMUP_NANOS = 4_000_000_000L;
  /** How long shapes that still allocate are re-measured (the JIT may still be compiling). */
  private static final long RETRY_NANOS = 8_000_000_000L;
  private static final int CALLS_PER_WINDOW = 20;

  /** One kernel at one shape, with its own arrays. */
  private static final class Case {
    final int kind, m, n, k;
    final Activation act;
    final float[] a, b, c, bias, z, mask, db;

    Case(Random rnd, int kind, int m, int n, int k, Activation act) {
      this.kind = kind;
      this.m = m;
      this.n = n;
      this.k = k;
      this.act = act;
      a = Reference.random(rnd, m * k);
      b = Reference.random(rnd, k * n);
      c = Reference.random(rnd, m * n);
      bias = Reference.random(rnd, n);
      z = new float[m * n];
      mask = Reference.random(rnd, m * n);
      db = new float[n];
    }

    void run() {
      switch (kind) {
        case 0 -> Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false);
        case 1 -> Gemm.nt(m, n, k, a, 0, b, 0, c, 0, true);
        case 2 -> Gemm.tn(m, n, k, a, 0, b, 0, c, 0, false);
        // x[m,k]·w[k,n] + bias, then the activation (GELU also saves z).
        case 3 -> DenseKernels.forward(m, k, n, a, 0, b, 0, bias, 0, act, 0.1f, c, 0,
            act == Activation.GELU ? z : null, 0);
        // dx[m,n] = dz[m,k]·w[n,k]ᵀ ⊙ act'(prevY = mask, prevZ = z) ⊙ mask.
        case 4 -> DenseKernels.backwardInput(m, n, k, a, 0, b, 0, c, 0, act, 0.1f, mask, 0, z, 0, mask, 0);
        // dw[k,n] += x[m,k]ᵀ·dz[m,n]; db[n] += column sums of dz.
        default -> DenseKernels.backwardParams(m, k, n, a, 0, c, 0, b, 0, db, 0);
      }
    }

    @Override
    public String toString() {
      return KINDS[kind] + " " + m + "x" + n + "x" + k + (kind >= 3 && kind <= 4 ? " " + act : "");
    }
  }

  @Test
  void narrowAndRaggedShapesAllocateNothingOnceCompiled() {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int before = Parallelism.threads();
    Parallelism.setThreads(1);
    try {
      Random rnd = new Random(21);
      List<Case> cases = new ArrayList<>();
      int shape = 0;
      for (int kind = 0; kind < KINDS.length; kind++) {
        for (int m : MS) {
          for (int n : NS) {
            for (int k : KS) {
              Activation act = ACTS[shape++ % ACTS.length];
              if (kind == 4 && act == Activation.LINEAR) {
                act = Activation.RELU;
              }
              cases.add(new Case(rnd, kind, m, n, k, act));
            }
          }
        }
      }
      long warmupEnd = System.nanoTime() + WARMUP_NANOS;
      int rounds = 0;
      while (rounds < 50 || System.nanoTime() < warmupEnd) {
        for (Case c : cases) {
          c.run();
        }
        rounds++;
      }
      // Each shape alone: its own warm-up burst, then windows until one allocates nothing.
      List<Case> allocating = new ArrayList<>();
      List<Long> bytes = new ArrayList<>();
      long deadline = System.nanoTime() + RETRY_NANOS;
      for (Case c : cases) {
        for (int i = 0; i < 200; i++) {
          c.run();
        }
        long allocated = -1;
        for (int window = 0; allocated != 0 && (window < 3 || System.nanoTime() < deadline); window++) {
          long start = bean.getCurrentThreadAllocatedBytes();
          for (int i = 0; i < CALLS_PER_WINDOW; i++) {
            c.run();
          }
          allocated = bean.getCurrentThreadAllocatedBytes() - start;
        }
        if (allocated != 0) {
          allocating.add(c);
          bytes.add(allocated / CALLS_PER_WINDOW);
        }
      }
      StringBuilder report = new StringBuilder();
      for (int i = 0; i < allocating.size(); i++) {
        report.append("\n  ").append(allocating.get(i)).append(": ").append(bytes.get(i)).append(" B/call");
      }
      assertTrue(allocating.isEmpty(), allocating.size() + " of " + cases.size() + " shapes allocate after "
          + rounds + " warm-up rounds (" + VectorShapeName.get() + "):" + report);
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /** The vector shape for the failure message, without touching VectorShape on the scalar backend. */
  private static final class VectorShapeName {
    static String get() {
      return Backend.VECTOR ? VectorShape.describe() : "scalar backend";
    }
  }
}
