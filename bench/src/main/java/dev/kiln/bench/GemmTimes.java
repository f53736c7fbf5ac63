package dev.kiln.bench;

import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.VectorShape;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GFLOP/s of Kiln's GEMM layouts on given shapes: the median of 15 samples of about 20 ms each after
 * 1.5 s of warm-up per shape; {@code bench/compare}'s gemm rows call {@link #gflops}. Prints the vector
 * species and register tile first. Meant for A/B runs of two builds alternating in one session
 * (run the two jars one after the other, several rounds, and compare medians).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.GemmTimes threads layout:MxKxN ...} with layout nn (C = A·B), tn (C = Aᵀ·B, A stored
 * k×m) or nt (C = A·Bᵀ, B stored n×k); e.g. {@code 2 nn:128x784x256 nn:128x256x128 nn:1024x1024x1024}.
 */
public final class GemmTimes {
  private GemmTimes() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: GemmTimes threads layout:MxKxN ...   (layout nn, tn or nt)");
      System.exit(2);
    }
    Parallelism.setThreads(Integer.parseInt(args[0]));
    System.out.printf(Locale.ROOT, "species %d-bit (%d lanes), %d registers, tile %dx2, %d threads%n",
        VectorShape.FLOAT.vectorBitSize(), VectorShape.FLOAT.length(), VectorShape.REGISTERS,
        VectorShape.TILE_ROWS, Parallelism.threads());
    for (int i = 1; i < args.length; i++) {
      String[] lk = args[i].split(":");
      String[] d = lk[1].split("x");
      int m = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]), n = Integer.parseInt(d[2]);
      System.out.printf(Locale.ROOT, "%s %dx%dx%d %.1f GFLOP/s%n", lk[0], m, k, n, gflops(lk[0], m, k, n));
    }
  }

  static double gflops(String layout, int m, int k, int n) {
    SplittableRandom r = new SplittableRandom(7);
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    float[] c = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextDouble() - 0.5);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (r.nextDouble() - 0.5);
    }
    Runnable call = switch (layout) {
      case "nn" -> () -> Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false);
      case "tn" -> () -> Gemm.tn(m, n, k, a, 0, b, 0, c, 0, false);
      case "nt" -> () -> Gemm.nt(m, n, k, a, 0, b, 0, c, 0, false);
      default -> throw new IllegalArgumentException("layout must be nn, tn or nt, not " + layout);
    };
    double flops = 2.0 * m * n * k;
    int reps = (int) Math.max(1, Math.min(100_000, 2e9 / flops));
    long warmEnd = System.nanoTime() + 1_500_000_000L;
    while (System.nanoTime() < warmEnd) {
      call.run();
    }
    double[] samples = new double[15];
    for (int s = 0; s < samples.length; s++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        call.run();
      }
      samples[s] = flops * reps / (System.nanoTime() - t0);
    }
    return EndToEnd.median(samples);
  }
}
