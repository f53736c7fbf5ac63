package dev.kiln.bench;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.Pool2dGeometry;
import dev.kiln.runtime.kernels.PoolKernels;
import java.util.Arrays;

/**
 * Where FashionCnn's inference time goes: each forward kernel of the network alone, at batch 1 and
 * 128, median microseconds of 31 timed groups of 20 calls after a second of warm-up, with GFLOP/s
 * for the convolutions; then the two convolutions' weight gradients (training), the same way. Written to find the slow path behind the FashionCnn rows of
 * {@code bench/compare}: on the 2-vCPU Zen 5 machine max pooling took as long as the second
 * convolution (README, Performance).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.CnnKernelTimes [threads [batch,batch,...]]} (default batches 1 and 128)
 */
public final class CnnKernelTimes {
  private CnnKernelTimes() {}

  private static double micros(Runnable body) {
    long end = System.nanoTime() + 1_000_000_000L;
    while (System.nanoTime() < end) {
      body.run();
    }
    double[] t = new double[31];
    for (int s = 0; s < t.length; s++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        body.run();
      }
      t[s] = (System.nanoTime() - t0) / 20e3;
    }
    return EndToEnd.median(t);
  }

  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    Parallelism.setThreads(threads);
    Conv2dGeometry c1 = new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    Conv2dGeometry c2 = Compare.FASHION_CNN_CONV2;
    Pool2dGeometry p1 = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
    Pool2dGeometry p2 = new Pool2dGeometry(64, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0);
    int[] batches = args.length > 1
        ? java.util.Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 128};
    for (int n : batches) {
      float[] x = new float[n * c1.inSize()];
      Arrays.fill(x, 0.5f);
      float[] w1 = new float[c1.weightSize()];
      Arrays.fill(w1, 0.1f);
      float[] y1 = new float[n * c1.outSize()];
      float[] q1 = new float[n * p1.outSize()];
      int[] i1 = new int[n * p1.outSize()];
      float[] w2 = new float[c2.weightSize()];
      Arrays.fill(w2, 0.01f);
      float[] y2 = new float[n * c2.outSize()];
      float[] q2 = new float[n * p2.outSize()];
      int[] i2 = new int[n * p2.outSize()];
      float[] wd = new float[1600 * 128];
      float[] b1 = new float[32];
      float[] b2 = new float[64];
      float[] bd = new float[128];
      float[] h = new float[n * 128];
      double t1 = micros(() -> ConvKernels.forward(c1, n, x, 0, w1, 0, b1, 0, Activation.RELU, 0f, y1, 0, null, 0));
      double t2 = micros(() -> PoolKernels.maxForward(p1, n, y1, 0, q1, 0, i1, 0));
      double t3 = micros(() -> ConvKernels.forward(c2, n, q1, 0, w2, 0, b2, 0, Activation.RELU, 0f, y2, 0, null, 0));
      double t4 = micros(() -> PoolKernels.maxForward(p2, n, y2, 0, q2, 0, i2, 0));
      double t5 = micros(() -> DenseKernels.forward(n, 1600, 128, q2, 0, wd, 0, bd, 0, Activation.RELU, 0f, h, 0, null, 0));
      System.out.printf(
          "threads %d, batch %3d: conv1 %8.1f us (%5.1f GFLOP/s), pool1 %8.1f us, conv2 %8.1f us (%5.1f GFLOP/s), "
              + "pool2 %7.1f us, dense 1600x128 %6.1f us%n",
          threads, n, t1, c1.flops(n) / t1 / 1e3, t2, t3, c2.flops(n) / t3 / 1e3, t4, t5);
      // The weight gradients (training only), on dy = the forward outputs (ReLU-shaped, as in training).
      float[] dw1 = new float[c1.weightSize()], dw2 = new float[c2.weightSize()];
      double t6 = micros(() -> ConvKernels.backwardParams(c1, n, x, 0, y1, 0, dw1, 0, b1, 0));
      double t7 = micros(() -> ConvKernels.backwardParams(c2, n, q1, 0, y2, 0, dw2, 0, b2, 0));
      System.out.printf("threads %d, batch %3d: conv1 dW %8.1f us (%5.1f GFLOP/s), conv2 dW %8.1f us (%5.1f GFLOP/s)%n",
          threads, n, t6, c1.flops(n) / t6 / 1e3, t7, c2.flops(n) / t7 / 1e3);
    }
  }
}
