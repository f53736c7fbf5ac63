package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Sgd;
import java.lang.management.ManagementFactory;
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
      Runnable step = () -> {
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
      for (int window = 0; window < 20 && allocated != 0; window++) {
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
}
