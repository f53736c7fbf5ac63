package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Activations;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.samples.FashionMlpModel;
import java.util.Arrays;

/**
 * Where FashionMlp's inference time goes: the whole {@code predict(x, rows, out)} and each of its
 * phases alone, as the generated forward calls them (784-256-128-10, ReLU, ReLU, softmax), at
 * batch 1 and 128, median microseconds of 31 timed groups of 20 calls after a second of warm-up.
 * The dense layers are also timed on one thread, and the fork/join of an empty two-task job on
 * {@link Parallelism} gives the hand-off cost each split GEMM pays.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.MlpInferenceTimes [threads [batch,batch,...]]} (default batches 1 and 128)
 */
public final class MlpInferenceTimes {
  private MlpInferenceTimes() {}

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

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    int[] batches = args.length > 1
        ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 128};
    Dataset data = EndToEnd.trainingData();
    FashionMlpModel model = new FashionMlpModel();
    float[] w1 = random(784 * 256, 0.05f, 1);
    float[] w2 = random(256 * 128, 0.08f, 2);
    float[] w3 = random(128 * 10, 0.1f, 3);
    float[] b1 = random(256, 0.01f, 4);
    float[] b2 = random(128, 0.01f, 5);
    float[] b3 = random(10, 0.01f, 6);
    for (int n : batches) {
      Parallelism.setThreads(threads);
      float[] x = Arrays.copyOf(data.features(), n * 784);
      float[] arena = new float[n * (784 + 256 + 128 + 10 + 10)];
      float[] out = new float[n * 10];
      int h1 = n * 784, h2 = h1 + n * 256, lo = h2 + n * 128, pr = lo + n * 10;
      Runnable whole = () -> model.predict(x, n, out);
      Runnable copyIn = () -> System.arraycopy(x, 0, arena, 0, n * 784);
      Runnable dense1 = () -> DenseKernels.forward(n, 784, 256, x, 0, w1, 0, b1, 0, Activation.RELU, 0f, arena, h1, null, 0);
      Runnable dense2 = () -> DenseKernels.forward(n, 256, 128, arena, h1, w2, 0, b2, 0, Activation.RELU, 0f, arena, h2, null, 0);
      Runnable dense3 = () -> DenseKernels.forward(n, 128, 10, arena, h2, w3, 0, b3, 0, Activation.LINEAR, 0f, arena, lo, null, 0);
      Runnable softmax = () -> Activations.apply(Activation.SOFTMAX, 0f, arena, lo, arena, pr, n, 10);
      Runnable copyOut = () -> System.arraycopy(arena, pr, out, 0, n * 10);
      Parallelism.Task nothing = i -> { };
      Runnable forkJoin = () -> Parallelism.forEach(threads, nothing);
      double tw = micros(whole);
      double tc = micros(copyIn);
      double t1 = micros(dense1);
      double t2 = micros(dense2);
      double t3 = micros(dense3);
      double ts = micros(softmax);
      double to = micros(copyOut);
      double tf = micros(forkJoin);
      Parallelism.setThreads(1);
      double s1 = micros(dense1);
      double s2 = micros(dense2);
      double s3 = micros(dense3);
      double sw = micros(whole);
      System.out.printf(
          "threads %d, batch %3d: predict %7.2f us (1 thread %7.2f); copy in %6.2f, dense 784x256+ReLU %7.2f "
              + "(%5.1f GFLOP/s; 1 thread %7.2f), dense 256x128+ReLU %6.2f (1 thread %6.2f), dense 128x10 %5.2f "
              + "(1 thread %5.2f), softmax %5.2f, copy out %5.2f, fork/join %5.2f%n",
          threads, n, tw, sw, tc, t1, 2.0 * n * 784 * 256 / t1 / 1e3, s1, t2, s2, t3, s3, ts, to, tf);
    }
    Parallelism.setThreads(threads);
  }

  private static float[] random(int size, float scale, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] v = new float[size];
    for (int i = 0; i < size; i++) {
      v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return v;
  }
}
