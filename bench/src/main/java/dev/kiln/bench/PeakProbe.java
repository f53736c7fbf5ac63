package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's FP32 FMA throughput measured with the Vector API: independent FMA chains kept in
 * registers, on one core and on all cores. Every GFLOP/s figure of the benchmarks is reported as a
 * fraction of this peak, measured in the same run.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.kiln.bench.PeakProbe}
 */
public final class PeakProbe {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int CHAINS = 12; // more independent chains than FMA latency × ports
  private static final long ITERATIONS = 20_000_000L;

  private PeakProbe() {}

  /** Peak GFLOP/s with {@code threads} threads, best of {@code repeats} timed runs. */
  public static double measure(int threads, int repeats) throws Exception {
    double best = 0;
    for (int r = 0; r < repeats + 1; r++) { // the first run is warm-up
      double g = once(threads);
      if (r > 0) {
        best = Math.max(best, g);
      }
    }
    return best;
  }

  private static double once(int threads) throws Exception {
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
                  sink[id] = chains(ITERATIONS, 1.0000001f + id * 1e-7f);
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
    return 2.0 * S.length() * CHAINS * ITERATIONS * threads / seconds / 1e9;
  }

  /** Twelve independent FMA chains; small enough for C2 to keep every vector in a register. */
  private static float chains(long iterations, float m) {
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
      c0 = c0.fma(a, b);
      c1 = c1.fma(a, b);
      c2 = c2.fma(a, b);
      c3 = c3.fma(a, b);
      c4 = c4.fma(a, b);
      c5 = c5.fma(a, b);
      c6 = c6.fma(a, b);
      c7 = c7.fma(a, b);
      c8 = c8.fma(a, b);
      c9 = c9.fma(a, b);
      c10 = c10.fma(a, b);
      c11 = c11.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
        .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }

  public static void main(String[] args) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf("species %s (%d float lanes)%n", S, S.length());
    System.out.printf("FMA peak, 1 thread:  %.1f GFLOP/s%n", measure(1, 3));
    System.out.printf("FMA peak, %d threads: %.1f GFLOP/s%n", cores, measure(cores, 3));
  }
}
