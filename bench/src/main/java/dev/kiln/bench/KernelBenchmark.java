package dev.kiln.bench;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Losses;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Sgd;
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
 * The runtime's fused kernels beside the bare GEMM they are built on, at FashionMlp's shapes
 * (batch 128, 784-256-128-10): dense forward with its bias + activation epilogue, dense backward-input
 * with the previous layer's activation derivative (and a dropout mask) folded in, backward-params
 * (xᵀ·dz plus the bias column sums), softmax cross-entropy with its gradient, and the Adam and
 * SGD-momentum updates over a whole parameter arena.
 *
 * <p>Run everything (48 configurations: about 5 minutes with the short settings below, about 8 with the
 * defaults):
 * <pre>{@code
 * mvn -q -B -DskipTests package
 * java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar KernelBenchmark -wi 2 -i 3 -w 1 -r 1 -prof gc
 * }</pre>
 * or one group by regex ({@code KernelBenchmark.forward}, {@code .backwardInput}, {@code .backwardParams},
 * {@code .softmaxCrossEntropy}, {@code .adam}, {@code .sgd}) and one case with {@code -p}, e.g.
 * {@code KernelBenchmark.forward -p layer=784x256:GELU -p threads=1}.
 *
 * <p>How to read it:
 * <ul>
 *   <li>Epilogue cost: within one group and shape, the {@code :gemm} case calls the plain {@link Gemm}
 *       kernel of the same layout (no bias, no activation, no mask), so {@code fused - gemm} is what the
 *       epilogue costs. ReLU should be close to free; GELU (exact, erf per element) shows the price of a
 *       scalar transcendental in the epilogue. GFLOP/s of the GEMM part = 2·128·in·out / (µs·1e3).
 *   <li>Optimizers: µs per step over the arena; bytes moved per step are 28 per parameter for Adam
 *       (read p, g, m, v; write p, m, v) and 20 for SGD with momentum (read p, g, buf; write p, buf),
 *       so GB/s-equivalent = size·28 (or 20) / (µs·1e3). FashionMlp's 235,146 parameters are 6.6 MB of
 *       Adam traffic per step; the 4,810-parameter arena stays in L1/L2 and is below the runtime's
 *       parallel threshold (32,768), so its two thread counts should match.
 *   <li>Allocation: with {@code -prof gc}, {@code gc.alloc.rate.norm} must be about 0 B/op for every
 *       kernel. A kernel whose vectors stop being scalar-replaced (the boxing regression described in
 *       issue 3, which cost a GEMM 20x) shows up here as kilobytes per op long before anyone notices the
 *       time. A real allocation costs at least 16 B (one object header) per op; the fractions of a byte
 *       up to ~10 B/op seen on a clean run are JMH's own few kilobytes per iteration divided over the
 *       ops, which is why they grow with µs/op.
 *   <li>{@code threads} is applied with {@link Parallelism#setThreads}; the softmax cross-entropy is a
 *       single-threaded scalar kernel (exp/log bound), so it has no thread parameter.
 * </ul>
 *
 * <p>All inputs are random from a fixed seed. Kernels that accumulate (backward-params) or update in place
 * (optimizers) keep doing so across invocations; the values stay finite and away from denormals.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KernelBenchmark {
  /** FashionMlp's batch. */
  static final int BATCH = 128;

  /** A dense layer's {@code in x out} shape and the epilogue (an activation name, or {@code gemm} for none). */
  private record Case(int in, int out, String epilogue) {
    static Case parse(String spec) {
      String[] parts = spec.split(":", -1);
      String[] dims = parts[0].split("x", -1);
      if (parts.length != 2 || dims.length != 2) {
        throw new IllegalArgumentException("expected <in>x<out>:<epilogue>, got '" + spec + "'");
      }
      return new Case(Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), parts[1]);
    }

    boolean plainGemm() {
      return epilogue.equals("gemm");
    }
  }

  static float[] uniform(SplittableRandom r, int size, float lo, float hi) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = lo + (hi - lo) * (float) r.nextDouble();
    }
    return a;
  }

  static float[] gaussian(SplittableRandom r, int size, double scale) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) (scale * r.nextGaussian());
    }
    return a;
  }

  /** Forward: {@code y = act(x·w + b)} fused, or the bare {@code Gemm.nn} of the same shape. */
  @State(Scope.Benchmark)
  public static class ForwardState {
    /** {@code in x out : RELU | GELU | SOFTMAX | gemm}; GELU also saves z, as training does. */
    @Param({"784x256:gemm", "784x256:RELU", "784x256:GELU", "256x128:gemm", "256x128:RELU",
        "128x10:gemm", "128x10:SOFTMAX"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    int in;
    int out;
    boolean plain;
    Activation act;
    float[] x;
    float[] w;
    float[] b;
    float[] y;
    float[] z;

    @Setup(Level.Trial)
    public void setUp() {
      Case c = Case.parse(layer);
      in = c.in();
      out = c.out();
      plain = c.plainGemm();
      act = plain ? Activation.LINEAR : Activation.valueOf(c.epilogue());
      SplittableRandom r = new SplittableRandom(42);
      x = uniform(r, BATCH * in, 0f, 1f);
      w = gaussian(r, in * out, Math.sqrt(2.0 / in));
      b = gaussian(r, out, 0.1);
      y = new float[BATCH * out];
      z = act.needsPreActivation() ? new float[BATCH * out] : null;
      Parallelism.setThreads(threads);
    }
  }

  @Benchmark
  public float[] forward(ForwardState s) {
    if (s.plain) {
      Gemm.nn(BATCH, s.out, s.in, s.x, 0, s.w, 0, s.y, 0, false);
    } else {
      DenseKernels.forward(BATCH, s.in, s.out, s.x, 0, s.w, 0, s.b, 0, s.act, 0f, s.y, 0, s.z, 0);
    }
    return s.y;
  }

  /**
   * Backward input: {@code dx = (dz·wᵀ) ⊙ prevAct'} fused, optionally ⊙ a dropout mask, or the bare
   * {@code Gemm.nt} of the same shape. Shapes are the layers whose input gradient training needs.
   */
  @State(Scope.Benchmark)
  public static class BackwardInputState {
    /** {@code in x out : RELU | RELU+dropout | GELU | gemm}, the activation being the previous layer's. */
    @Param({"256x128:gemm", "256x128:RELU", "256x128:RELU+dropout", "256x128:GELU", "128x10:gemm",
        "128x10:RELU"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    int in;
    int out;
    boolean plain;
    Activation prevAct;
    float[] dz;
    float[] w;
    float[] dx;
    float[] prevY;
    float[] prevZ;
    float[] mask;

    @Setup(Level.Trial)
    public void setUp() {
      Case c = Case.parse(layer);
      in = c.in();
      out = c.out();
      plain = c.plainGemm();
      boolean dropout = c.epilogue().endsWith("+dropout");
      String actName = dropout ? c.epilogue().substring(0, c.epilogue().length() - "+dropout".length())
          : c.epilogue();
      prevAct = plain ? Activation.LINEAR : Activation.valueOf(actName);
      SplittableRandom r = new SplittableRandom(43);
      dz = gaussian(r, BATCH * out, 0.01);
      w = gaussian(r, in * out, Math.sqrt(2.0 / in));
      dx = new float[BATCH * in];
      prevZ = gaussian(r, BATCH * in, 1.0);
      prevY = new float[BATCH * in];
      for (int i = 0; i < prevY.length; i++) {
        prevY[i] = Math.max(prevZ[i], 0f); // a ReLU output: about half zeros
      }
      if (dropout) {
        float keep = 0.9f;
        mask = new float[BATCH * in];
        for (int i = 0; i < mask.length; i++) {
          mask[i] = r.nextDouble() < keep ? 1f / keep : 0f;
        }
      }
      Parallelism.setThreads(threads);
    }
  }

  @Benchmark
  public float[] backwardInput(BackwardInputState s) {
    if (s.plain) {
      Gemm.nt(BATCH, s.in, s.out, s.dz, 0, s.w, 0, s.dx, 0, false);
    } else {
      DenseKernels.backwardInput(BATCH, s.in, s.out, s.dz, 0, s.w, 0, s.dx, 0, s.prevAct, 0f,
          s.prevY, 0, s.prevZ, 0, s.mask, 0);
    }
    return s.dx;
  }

  /** Backward params: {@code dw += xᵀ·dz; db += Σrows dz} fused, or the bare accumulating {@code Gemm.tn}. */
  @State(Scope.Benchmark)
  public static class BackwardParamsState {
    /** {@code in x out : bias | gemm}. */
    @Param({"784x256:gemm", "784x256:bias", "256x128:gemm", "256x128:bias", "128x10:gemm", "128x10:bias"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    int in;
    int out;
    boolean plain;
    float[] x;
    float[] dz;
    float[] dw;
    float[] db;

    @Setup(Level.Trial)
    public void setUp() {
      Case c = Case.parse(layer);
      in = c.in();
      out = c.out();
      plain = c.plainGemm();
      if (!plain && !c.epilogue().equals("bias")) {
        throw new IllegalArgumentException("backwardParams epilogue must be 'bias' or 'gemm', got '" + layer + "'");
      }
      SplittableRandom r = new SplittableRandom(44);
      x = uniform(r, BATCH * in, 0f, 1f);
      dz = gaussian(r, BATCH * out, 0.01);
      dw = new float[in * out];
      db = new float[out];
      Parallelism.setThreads(threads);
    }
  }

  @Benchmark
  public float[] backwardParams(BackwardParamsState s) {
    if (s.plain) {
      Gemm.tn(s.in, s.out, BATCH, s.x, 0, s.dz, 0, s.dw, 0, true);
    } else {
      DenseKernels.backwardParams(BATCH, s.in, s.out, s.x, 0, s.dz, 0, s.dw, 0, s.db, 0);
    }
    return s.dw;
  }

  /** Softmax cross-entropy: loss, probabilities and logit gradient in one pass, batch 128. */
  @State(Scope.Benchmark)
  public static class LossState {
    @Param({"10", "1000"})
    public int classes;

    float[] logits;
    int[] labels;
    float[] probs;
    float[] grad;

    @Setup(Level.Trial)
    public void setUp() {
      SplittableRandom r = new SplittableRandom(45);
      logits = gaussian(r, BATCH * classes, 3.0);
      labels = new int[BATCH];
      for (int i = 0; i < BATCH; i++) {
        labels[i] = r.nextInt(classes);
      }
      probs = new float[BATCH * classes];
      grad = new float[BATCH * classes];
    }
  }

  @Benchmark
  public double softmaxCrossEntropy(LossState s) {
    return Losses.softmaxCrossEntropy(BATCH, s.classes, s.logits, 0, s.labels, 0, s.probs, 0, s.grad, 0,
        1f / BATCH);
  }

  /** One optimizer step over a whole parameter arena (FashionMlp's, and a 4,810-parameter one). */
  @State(Scope.Benchmark)
  public static class OptimizerState {
    /** 235146 = FashionMlp 784-256-128-10 with biases; 4810 = 64-64-10. */
    @Param({"235146", "4810"})
    public int size;

    @Param({"1", "2"})
    public int threads;

    float[] params;
    float[] grads;
    Adam adam;
    Sgd sgd;

    @Setup(Level.Trial)
    public void setUp() {
      SplittableRandom r = new SplittableRandom(46);
      params = gaussian(r, size, 0.05);
      grads = gaussian(r, size, 0.01);
      adam = new Adam(size, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false);
      sgd = new Sgd(size, 1e-2f, 0.9f, false, 0f);
      Parallelism.setThreads(threads);
    }
  }

  @Benchmark
  public float[] adam(OptimizerState s) {
    s.adam.step(s.params, s.grads, 0, s.size);
    return s.params;
  }

  @Benchmark
  public float[] sgd(OptimizerState s) {
    s.sgd.step(s.params, s.grads, 0, s.size);
    return s.params;
  }
}
