package dev.kiln.bench;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.VectorShape;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GFLOP/s of the convolution kernels (forward, input gradient, weight gradient) at FashionCnn's shapes,
 * batch 128, on 1 and 2 threads, each as a fraction of the FMA peak {@link PeakProbe} measures in the
 * same run with the same thread count. A pass counts {@link Conv2dGeometry#flops} (2 flops per
 * multiply-add; im2col, col2im and the bias sum are not counted). Each figure is the median of 15
 * timed calls after 2 s of warm-up.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.kiln.bench.ConvThroughput}
 */
public final class ConvThroughput {
  private static final int BATCH = 128;

  private ConvThroughput() {}

  public static void main(String[] args) throws Exception {
    Conv2dGeometry[] shapes = {
      new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
      new Conv2dGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    };
    String[] names = {"conv1 1x28x28 -> 32, 3x3", "conv2 32x13x13 -> 64, 3x3"};
    System.out.println(VectorShape.describe() + ", batch " + BATCH);
    for (int threads = 1; threads <= 2; threads++) {
      double peak = PeakProbe.measure(threads, 3);
      System.out.printf(Locale.ROOT, "%d thread(s): FMA peak %.1f GFLOP/s%n", threads, peak);
      Parallelism.setThreads(threads);
      for (int s = 0; s < shapes.length; s++) {
        Conv2dGeometry g = shapes[s];
        SplittableRandom r = new SplittableRandom(1);
        float[] x = random(r, BATCH * g.inSize()), w = random(r, g.weightSize()), b = random(r, g.outC());
        float[] y = new float[BATCH * g.outSize()], dy = random(r, BATCH * g.outSize());
        float[] dx = new float[BATCH * g.inSize()], dw = new float[g.weightSize()], db = new float[g.outC()];
        Runnable[] passes = {
          () -> ConvKernels.forward(g, BATCH, x, 0, w, 0, b, 0, Activation.RELU, 0f, y, 0, null, 0),
          () -> ConvKernels.backwardInput(g, BATCH, dy, 0, w, 0, dx, 0, false),
          () -> ConvKernels.backwardParams(g, BATCH, x, 0, dy, 0, dw, 0, db, 0),
        };
        String[] passNames = {"forward", "backwardInput", "backwardParams"};
        for (int p = 0; p < passes.length; p++) {
          double seconds = medianSeconds(passes[p]);
          double gflops = g.flops(BATCH) / seconds / 1e9;
          System.out.printf(Locale.ROOT, "  %-26s %-15s %8.2f ms  %6.1f GFLOP/s  %5.1f %% of peak%n",
              names[s], passNames[p], seconds * 1e3, gflops, 100 * gflops / peak);
        }
      }
    }
  }

  private static double medianSeconds(Runnable pass) {
    long warmEnd = System.nanoTime() + 2_000_000_000L;
    while (System.nanoTime() < warmEnd) {
      pass.run();
    }
    double[] times = new double[15];
    for (int i = 0; i < times.length; i++) {
      long t0 = System.nanoTime();
      pass.run();
      times[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(times);
    return times[times.length / 2];
  }

  private static float[] random(SplittableRandom r, int size) {
    float[] a = new float[size];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextDouble() - 0.5);
    }
    return a;
  }
}
