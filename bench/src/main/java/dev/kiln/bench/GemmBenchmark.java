package dev.kiln.bench;

import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Parallelism;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GEMM in the three layouts backward needs, at the MLP's shapes and 1024³. GFLOP/s =
 * 2·m·n·k / (seconds per op) / 1e9.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar Gemm -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
  /** m x k x n: C[m,n] = A[m,k] · B[k,n]. */
  @Param({"128x784x256", "128x256x128", "1024x1024x1024"})
  public String shape;

  @Param({"nn", "nt", "tn"})
  public String layout;

  @Param({"1", "2"})
  public int threads;

  private int m;
  private int k;
  private int n;
  private float[] a;
  private float[] b;
  private float[] c;

  @Setup(Level.Trial)
  public void setUp() {
    String[] d = shape.split("x");
    m = Integer.parseInt(d[0]);
    k = Integer.parseInt(d[1]);
    n = Integer.parseInt(d[2]);
    SplittableRandom r = new SplittableRandom(1);
    a = new float[m * k];
    b = new float[k * n];
    c = new float[m * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextDouble();
    }
    Parallelism.setThreads(threads);
  }

  @Benchmark
  public float[] gemm() {
    switch (layout) {
      case "nn" -> Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false); // A[m,k]·B[k,n]
      case "nt" -> Gemm.nt(m, n, k, a, 0, b, 0, c, 0, false); // A[m,k]·B[n,k]ᵀ
      default -> Gemm.tn(m, n, k, a, 0, b, 0, c, 0, false); // A[k,m]ᵀ·B[k,n]
    }
    return c;
  }
}
