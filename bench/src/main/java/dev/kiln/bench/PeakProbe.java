package dev.kiln.bench;

import dev.kiln.runtime.kernels.VectorShape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's FP32 FMA throughput measured with the Vector API: independent FMA chains kept in
 * registers, on one core and on all cores. Every GFLOP/s figure of the benchmarks is reported as a
 * fraction of this peak, measured in the same run.
 *
 * <p>The species is {@link VectorShape#FLOAT}, the one the kernels use (so the peak follows
 * {@code -Dkiln.vectorBits} and {@code -XX:UseAVX}), not {@code SPECIES_PREFERRED}.
 *
 * <p>Why two chain counts: to keep every FMA unit busy a probe needs at least FMA latency × FMA
 * ports independent accumulators (4 cycles × 2 ports = 8 on most x86 cores, more where the latency
 * is longer or the ports more), and all of them must stay in vector registers. With 32 registers
 * (AVX-512) 12 chains saturate the units (measured: ~221 GFLOP/s per core on the AVX-512 machine
 * this was written on); with 16 registers (AVX2, or {@code -XX:UseAVX=2}) 14 to 16 chains are best
 * and 20 or more are worse, because the accumulators plus the two operands no longer fit and C2
 * spills. No single count is best on both, so the peak is the best of a 12-chain and a 16-chain
 * probe, measured in the same run. A probe that reads low would make every "% of peak" figure
 * flattering (OpenBLAS at over 100 % of it is the tell-tale).
 *
 * <p>Each chain accumulates in the addend, {@code c = a·b + c}, as a GEMM's accumulators do. On an
 * AMD EPYC (Zen 3, AVX2) the chain through the multiplicand, {@code c = c·a + b}, ran at 84 GFLOP/s per
 * core against 100 through the addend, and Kiln's own 4x2 GEMM kernel alone reached 95: that probe
 * read about 16 % low there (OpenBLAS's 1024³ came out at over 100 % of it on one thread).
 *
 * <p>Each chain count is its own small method with the accumulators in local variables: C2 keeps
 * locals in registers, whereas FloatVectors stored in an array (or a loop over chains) would be
 * boxed or spilled to memory and the probe would measure loads and stores instead of FMAs.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.kiln.bench.PeakProbe}
 */
public final class PeakProbe {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  /** The chain counts probed; the peak is the best of them. */
  static final int[] CHAIN_COUNTS = {12, 16};
  private static final long ITERATIONS = 20_000_000L;
  private static final long WARM_UP_NANOS = 1_000_000_000L;

  private PeakProbe() {}

  /** Peak GFLOP/s with {@code threads} threads: the best over the chain counts and {@code repeats} timed runs each. */
  public static double measure(int threads, int repeats) throws Exception {
    double best = 0;
    for (int chains : CHAIN_COUNTS) {
      best = Math.max(best, measure(threads, repeats, chains));
    }
    return best;
  }

  /** Peak GFLOP/s with {@code threads} threads and {@code chains} FMA chains, best of {@code repeats} timed runs. */
  static double measure(int threads, int repeats, int chains) throws Exception {
    // Warm-up for a second, not one run: a run lasts ~50 ms, and while C2 still compiles the probe
    // in the background it takes a core from a probe thread (with 2 cores and 2 threads this read
    // ~15 % low when the peak was the first thing a JVM measured).
    long warmEnd = System.nanoTime() + WARM_UP_NANOS;
    for (int r = 0; r < 2 || System.nanoTime() < warmEnd; r++) {
      once(threads, chains);
    }
    double best = 0;
    for (int r = 0; r < repeats; r++) {
      best = Math.max(best, once(threads, chains));
    }
    return best;
  }

  private static double once(int threads, int chains) throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    float[] sink = new float[threads];
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int id = t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                  float m = 1.0000001f + id * 1e-7f;
                  sink[id] = switch (chains) {
                    case 12 -> chains12(ITERATIONS, m);
                    case 16 -> chains16(ITERATIONS, m);
                    default -> throw new IllegalArgumentException("no probe with " + chains + " chains");
                  };
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      w.start();
      workers.add(w);
    }
    start.await();
    long t0 = System.nanoTime();
    for (Thread w : workers) {
      w.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    float keep = 0;
    for (float f : sink) {
      keep += f;
    }
    if (keep == 42f) {
      System.out.print(""); // keeps the results alive
    }
    return 2.0 * S.length() * chains * ITERATIONS * threads / seconds / 1e9;
  }

  /** Twelve independent FMA chains: enough for 32 registers (AVX-512). */
  private static float chains12(long iterations, float m) {
    FloatVector a = FloatVector.broadcast(S, m);
    FloatVector b = FloatVector.broadcast(S, 1e-9f);
    FloatVector c0 = FloatVector.broadcast(S, 0.1f);
    FloatVector c1 = FloatVector.broadcast(S, 0.2f);
    FloatVector c2 = FloatVector.broadcast(S, 0.3f);
    FloatVector c3 = FloatVector.broadcast(S, 0.4f);
    FloatVector c4 = FloatVector.broadcast(S, 0.5f);
    FloatVector c5 = FloatVector.broadcast(S, 0.6f);
    FloatVector c6 = FloatVector.broadcast(S, 0.7f);
    FloatVector c7 = FloatVector.broadcast(S, 0.8f);
    FloatVector c8 = FloatVector.broadcast(S, 0.9f);
    FloatVector c9 = FloatVector.broadcast(S, 1.0f);
    FloatVector c10 = FloatVector.broadcast(S, 1.1f);
    FloatVector c11 = FloatVector.broadcast(S, 1.2f);
    for (long i = 0; i < iterations; i++) {
      c0 = a.fma(b, c0);
      c1 = a.fma(b, c1);
      c2 = a.fma(b, c2);
      c3 = a.fma(b, c3);
      c4 = a.fma(b, c4);
      c5 = a.fma(b, c5);
      c6 = a.fma(b, c6);
      c7 = a.fma(b, c7);
      c8 = a.fma(b, c8);
      c9 = a.fma(b, c9);
      c10 = a.fma(b, c10);
      c11 = a.fma(b, c11);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
        .reduceLanes(VectorOperators.ADD);
  }

  /** Sixteen independent FMA chains: the best count with 16 registers (AVX2, {@code -XX:UseAVX=2}). */
  private static float chains16(long iterations, float m) {
    FloatVector a = FloatVector.broadcast(S, m);
    FloatVector b = FloatVector.broadcast(S, 1e-9f);
    FloatVector c0 = FloatVector.broadcast(S, 0.1f);
    FloatVector c1 = FloatVector.broadcast(S, 0.2f);
    FloatVector c2 = FloatVector.broadcast(S, 0.3f);
    FloatVector c3 = FloatVector.broadcast(S, 0.4f);
    FloatVector c4 = FloatVector.broadcast(S, 0.5f);
    FloatVector c5 = FloatVector.broadcast(S, 0.6f);
    FloatVector c6 = FloatVector.broadcast(S, 0.7f);
    FloatVector c7 = FloatVector.broadcast(S, 0.8f);
    FloatVector c8 = FloatVector.broadcast(S, 0.9f);
    FloatVector c9 = FloatVector.broadcast(S, 1.0f);
    FloatVector c10 = FloatVector.broadcast(S, 1.1f);
    FloatVector c11 = FloatVector.broadcast(S, 1.2f);
    FloatVector c12 = FloatVector.broadcast(S, 1.3f);
    FloatVector c13 = FloatVector.broadcast(S, 1.4f);
    FloatVector c14 = FloatVector.broadcast(S, 1.5f);
    FloatVector c15 = FloatVector.broadcast(S, 1.6f);
    for (long i = 0; i < iterations; i++) {
      c0 = a.fma(b, c0);
      c1 = a.fma(b, c1);
      c2 = a.fma(b, c2);
      c3 = a.fma(b, c3);
      c4 = a.fma(b, c4);
      c5 = a.fma(b, c5);
      c6 = a.fma(b, c6);
      c7 = a.fma(b, c7);
      c8 = a.fma(b, c8);
      c9 = a.fma(b, c9);
      c10 = a.fma(b, c10);
      c11 = a.fma(b, c11);
      c12 = a.fma(b, c12);
      c13 = a.fma(b, c13);
      c14 = a.fma(b, c14);
      c15 = a.fma(b, c15);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
        .add(c12).add(c13).add(c14).add(c15)
        .reduceLanes(VectorOperators.ADD);
  }

  public static void main(String[] args) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.println(VectorShape.describe());
    for (int chains : CHAIN_COUNTS) {
      System.out.printf("FMA, 1 thread, %d chains: %.1f GFLOP/s%n", chains, measure(1, 3, chains));
    }
    System.out.printf("FMA peak, 1 thread:  %.1f GFLOP/s%n", measure(1, 3));
    System.out.printf("FMA peak, %d threads: %.1f GFLOP/s%n", cores, measure(cores, 3));
  }
}
