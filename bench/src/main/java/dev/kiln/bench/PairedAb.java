package dev.kiln.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Paired A/B of two or more builds of Kiln in one JVM, for machines whose speed drifts between states
 * that last seconds (the shared Zen 3 machine swung a 128x256x128 GEMM between 46 and 88 GFLOP/s while
 * a register-only FMA loop stayed at 93-97, so separate runs of two builds, even alternating, mostly
 * measured the machine). Each build (a {@code benchmarks.jar}, optionally with system properties) is
 * loaded by its own class loader, so its kernels are compiled and initialised separately, with its
 * properties set while its kernel classes initialise; after a warm-up of each, the builds take turns
 * sample by sample (the order reversed every pair), so both see the same machine states. Prints per
 * build the median and 10th/90th percentiles, and the median and quartiles of the per-pair ratio to the
 * first build: a ratio whose quartiles both lie above (or below) 1 is a difference the noise does not
 * explain, provided it is larger than the floor: always name the baseline twice. Two copies of the same
 * build differed by up to 1.35x in one JVM on the Zen 3 machine (2026-12-07, FashionCnn's conv2 weight
 * gradient, four copies), and the first copy loaded was often the slowest; with {@code
 * -XX:ObjectAlignmentInBytes=64} (every array's data then starts at the same offset from a cache line,
 * 16 bytes, so no copy gets luckier vector loads than another) the copies mostly agreed within 10 %,
 * but one run still read 1.25x. So this tool separates only differences of more than about 10-25 %, or
 * repeated ones. Samples last at least 50 ms (whole calls); before each, the previous build's worker
 * threads are given time to park; the builds share their input arrays.
 *
 * <p>Run: {@code java -XX:ObjectAlignmentInBytes=64 --add-modules jdk.incubator.vector -cp
 * bench/target/benchmarks.jar dev.kiln.bench.PairedAb threads pairs build[,build...] workload...} where a build is {@code
 * path/to/benchmarks.jar[:property=value...]} and a workload is {@code gemm:nn|tn|nt:MxKxN} (GFLOP/s,
 * samples of about 20 ms), {@code conv:fwd|dx|dw:conv1|conv2:batch} (FashionCnn's convolutions,
 * GFLOP/s counted with the forward's FLOPs), {@code pool:pool1|pool2:batch} (FashionCnn's max pooling
 * forward with indices; the figure printed as GFLOP/s is millions of output cells per second) or {@code train} (FashionCnn, samples/s of one epoch over the
 * first 5,120 Fashion-MNIST training images). E.g. {@code 2 40 old.jar,new.jar,old.jar conv:fwd:conv2:128} or
 * {@code 1 30 new.jar:kiln.conv.shifted=false,new.jar,new.jar:kiln.conv.shifted=false conv:fwd:conv2:128}.
 */
public final class PairedAb {
  private PairedAb() {}

  /** The shortest sample: a whole number of calls of the workload lasting at least this long. */
  private static final long SAMPLE_NANOS = 50_000_000L;

  /** One build's workload: runs one sample's worth of work and returns how much (FLOPs or samples) it did. */
  @FunctionalInterface
  private interface Sample {
    double run() throws Throwable;
  }

  public static void main(String[] args) throws Throwable {
    if (args.length < 4) {
      System.err.println("usage: PairedAb threads pairs build[,build...] workload...   (see the class comment)");
      System.exit(2);
    }
    int threads = Integer.parseInt(args[0]);
    int pairs = Integer.parseInt(args[1]);
    String[] builds = args[2].split(",");
    List<ClassLoader> loaders = new ArrayList<>();
    for (String build : builds) {
      loaders.add(load(build, threads));
    }
    System.out.printf(Locale.ROOT, "%d threads, %d pairs, CPU %s%n", threads, pairs, Compare.cpuModel());
    for (int w = 3; w < args.length; w++) {
      Sample[] samples = new Sample[builds.length];
      for (int b = 0; b < builds.length; b++) {
        samples[b] = workload(args[w], loaders.get(b));
      }
      measure(args[w], builds, samples, pairs);
    }
  }

  /** A class loader over the build's jar, its properties set while its kernel classes initialise. */
  private static ClassLoader load(String build, int threads) throws Exception {
    String[] parts = build.split(":");
    Path jar = Path.of(parts[0]);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no such jar: " + jar + " (in build '" + build + "')");
    }
    for (int i = 1; i < parts.length; i++) {
      String[] kv = parts[i].split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected property=value, got '" + parts[i] + "' in build '" + build + "'");
      }
      System.setProperty(kv[0], kv[1]);
    }
    try {
      URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
      loader.loadClass("dev.kiln.runtime.kernels.Parallelism").getMethod("setThreads", int.class).invoke(null, threads);
      for (String kernels : new String[] {"VectorKernels", "VectorConvKernels", "VectorPoolKernels"}) {
        Class.forName("dev.kiln.runtime.kernels." + kernels, true, loader);
      }
      return loader;
    } finally {
      for (int i = 1; i < parts.length; i++) {
        System.clearProperty(parts[i].split("=", 2)[0]);
      }
    }
  }

  private static Sample workload(String spec, ClassLoader cl) throws Exception {
    String[] p = spec.split(":");
    return switch (p[0]) {
      case "gemm" -> gemm(cl, p[1], p[2]);
      case "conv" -> conv(cl, p[1], p[2], Integer.parseInt(p[3]));
      case "pool" -> pool(cl, p[1], Integer.parseInt(p[2]));
      case "train" -> train(cl);
      default -> throw new IllegalArgumentException("workload must be gemm:..., conv:..., pool:... or train, not "
          + spec);
    };
  }

  private static Sample gemm(ClassLoader cl, String layout, String shape) throws Exception {
    String[] d = shape.split("x");
    int m = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]), n = Integer.parseInt(d[2]);
    MethodType type = MethodType.methodType(void.class, int.class, int.class, int.class, float[].class, int.class,
        float[].class, int.class, float[].class, int.class, boolean.class);
    MethodHandle h = MethodHandles.publicLookup().findStatic(cl.loadClass("dev.kiln.runtime.kernels.Gemm"), layout, type);
    float[] a = shared("a", m * k, 7), b = shared("b", k * n, 8), c = shared("c", m * n, 9);
    double flops = 2.0 * m * n * k;
    MethodHandle call = MethodHandles.insertArguments(h, 0, m, n, k, a, 0, b, 0, c, 0, false);
    return () -> {
      call.invoke();
      return flops;
    };
  }

  private static Sample conv(ClassLoader cl, String pass, String which, int batch) throws Exception {
    Class<?> geometry = cl.loadClass("dev.kiln.runtime.kernels.Conv2dGeometry");
    Class<?> kernels = cl.loadClass("dev.kiln.runtime.kernels.ConvKernels");
    Class<?> activation = cl.loadClass("dev.kiln.runtime.kernels.Activation");
    int[] dims = switch (which) {
      case "conv1" -> new int[] {1, 28, 28, 32};
      case "conv2" -> new int[] {32, 13, 13, 64};
      default -> throw new IllegalArgumentException("conv must be conv1 or conv2, not " + which);
    };
    int inC = dims[0], inH = dims[1], inW = dims[2], outC = dims[3], outH = inH - 2, outW = inW - 2;
    Object g = geometry.getConstructors()[0].newInstance(inC, inH, inW, outC, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    int in = inC * inH * inW, out = outC * outH * outW, weights = outC * inC * 9;
    String key = which + "/" + batch + "/";
    float[] x = shared(key + "x", batch * in, 1), w = shared(key + "w", weights, 2);
    float[] bias = shared(key + "b", outC, 3), dy = shared(key + "dy", batch * out, 4);
    float[] y = shared(key + "y", batch * out, 5), z = shared(key + "z", batch * out, 6);
    float[] dx = shared(key + "dx", batch * in, 7), dw = shared(key + "dw", weights, 8), db = shared(key + "db", outC, 9);
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    MethodHandle call = switch (pass) {
      case "fwd" -> MethodHandles.insertArguments(lookup.findStatic(kernels, "forward", MethodType.methodType(void.class,
          geometry, int.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
          activation, float.class, float[].class, int.class, float[].class, int.class)),
          0, g, batch, x, 0, w, 0, bias, 0, activation.getField("RELU").get(null), 0f, y, 0, z, 0);
      case "dx" -> MethodHandles.insertArguments(lookup.findStatic(kernels, "backwardInput", MethodType.methodType(
          void.class, geometry, int.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
          boolean.class)), 0, g, batch, dy, 0, w, 0, dx, 0, false);
      case "dw" -> MethodHandles.insertArguments(lookup.findStatic(kernels, "backwardParams", MethodType.methodType(
          void.class, geometry, int.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
          float[].class, int.class)), 0, g, batch, x, 0, dy, 0, dw, 0, db, 0);
      default -> throw new IllegalArgumentException("conv pass must be fwd, dx or dw, not " + pass);
    };
    double flops = 2.0 * batch * out * inC * 9;
    return () -> {
      call.invoke();
      return flops;
    };
  }

  /** FashionCnn's max pooling forward with indices (the training path), millions of output cells per second. */
  private static Sample pool(ClassLoader cl, String which, int batch) throws Exception {
    Class<?> geometry = cl.loadClass("dev.kiln.runtime.kernels.Pool2dGeometry");
    Class<?> kernels = cl.loadClass("dev.kiln.runtime.kernels.PoolKernels");
    int[] dims = switch (which) {
      case "pool1" -> new int[] {32, 26};
      case "pool2" -> new int[] {64, 11};
      default -> throw new IllegalArgumentException("pool must be pool1 or pool2, not " + which);
    };
    int c = dims[0], side = dims[1], outSide = side / 2;
    Object g = geometry.getConstructors()[0].newInstance(c, side, side, 2, 2, 2, 2, 0, 0, 0, 0);
    String key = which + "/" + batch + "/";
    // ReLU outputs, as in training: about half of the cells 0
    float[] x = SHARED.computeIfAbsent(key + "relu", k -> {
      float[] a = random(batch * c * side * side, 1);
      for (int i = 0; i < a.length; i++) {
        a[i] = Math.max(0f, a[i]);
      }
      return a;
    });
    float[] y = shared(key + "y", batch * c * outSide * outSide, 2);
    int[] argmax = new int[y.length];
    MethodHandle call = MethodHandles.insertArguments(MethodHandles.publicLookup().findStatic(kernels, "maxForward",
        MethodType.methodType(void.class, geometry, int.class, float[].class, int.class, float[].class, int.class,
            int[].class, int.class)), 0, g, batch, x, 0, y, 0, argmax, 0);
    double cells = y.length * 1e3; // printed in "GFLOP/s": millions of cells per second
    return () -> {
      call.invoke();
      return cells;
    };
  }

  private static Sample train(ClassLoader cl) throws Exception {
    Class<?> datasetClass = cl.loadClass("dev.kiln.runtime.data.Dataset");
    Class<?> optionsClass = cl.loadClass("dev.kiln.runtime.train.TrainOptions");
    Object all = cl.loadClass("dev.kiln.runtime.data.FashionMnist").getMethod("train").invoke(null);
    int rows = 40 * 128;
    Object data = datasetClass.getMethod("subset", int.class, int.class).invoke(all, 0, rows);
    Object options = optionsClass.getMethod("quiet").invoke(optionsClass.getMethod("epochs", int.class).invoke(null, 1));
    Object model = cl.loadClass("dev.kiln.samples.FashionCnnModel").getConstructor().newInstance();
    Method train = cl.loadClass("dev.kiln.runtime.model.Model").getMethod("train", datasetClass, optionsClass);
    return () -> {
      train.invoke(model, data, options);
      return rows;
    };
  }

  private static void measure(String workload, String[] builds, Sample[] samples, int pairs) throws Throwable {
    // Warm-up, and how many calls make a sample of at least SAMPLE_NANOS.
    int[] calls = new int[samples.length];
    for (int b = 0; b < samples.length; b++) {
      long start = System.nanoTime(), end = start + 2_000_000_000L;
      int n = 0;
      do {
        samples[b].run();
        n++;
      } while (System.nanoTime() < end);
      calls[b] = (int) Math.max(1, Math.ceil(SAMPLE_NANOS * n / (double) (System.nanoTime() - start)));
    }
    int reps = Arrays.stream(calls).max().getAsInt();
    double[][] rate = new double[samples.length][pairs];
    for (int p = 0; p < pairs; p++) {
      for (int i = 0; i < samples.length; i++) {
        int b = p % 2 == 0 ? i : samples.length - 1 - i;
        // Every build has its own worker pool, which spins for a while after its last job: let the
        // previous build's workers park, so that no build starts its sample sharing the cores with them.
        Thread.sleep(2);
        long t0 = System.nanoTime();
        double work = 0;
        for (int r = 0; r < reps; r++) {
          work += samples[b].run();
        }
        rate[b][p] = work / ((System.nanoTime() - t0) / 1e9);
      }
    }
    double unit = workload.equals("train") ? 1 : 1e9;
    String name = workload.equals("train") ? "samples/s" : "GFLOP/s";
    System.out.println(workload);
    for (int b = 0; b < samples.length; b++) {
      double[] r = rate[b].clone();
      double[] ratio = new double[pairs];
      for (int p = 0; p < pairs; p++) {
        ratio[p] = rate[b][p] / rate[0][p];
      }
      Arrays.sort(r);
      Arrays.sort(ratio);
      System.out.printf(Locale.ROOT, "  %-50s median %.1f %s (p10 %.1f, p90 %.1f); ratio to the first %.3f (quartiles %.3f-%.3f)%n",
          builds[b], r[pairs / 2] / unit, name, r[pairs / 10] / unit, r[pairs * 9 / 10] / unit,
          ratio[pairs / 2], ratio[pairs / 4], ratio[pairs * 3 / 4]);
    }
  }

  private static final java.util.Map<String, float[]> SHARED = new java.util.HashMap<>();

  /**
   * One array per name and size for all builds: the builds read and write the same arrays, so that
   * where the arrays happen to lie (a vector load that crosses a cache line costs two) is the same
   * for all of them.
   */
  private static float[] shared(String name, int size, long seed) {
    return SHARED.computeIfAbsent(name + "#" + size, key -> random(size, seed));
  }

  private static float[] random(int size, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[size];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextDouble() - 0.5);
    }
    return a;
  }
}
