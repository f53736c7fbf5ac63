package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.FashionMlpModel;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Kiln's half of {@code bench/compare}: the machine peak and every comparison workload, one JSON
 * object per line on stdout ({@code {"workload": ..., "unit": ..., "value": ..., "flops": ...}}).
 * The script runs the PyTorch half with the same shapes and data and joins the two.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.Compare [threads] [train-epochs] [workload-prefix]}
 */
public final class Compare {
  private Compare() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String only = args.length > 2 ? args[2] : ""; // run only the workloads whose name starts with this
    Parallelism.setThreads(threads);

    emit("peak fp32 fma", "GFLOP/s", PeakProbe.measure(threads, 3), 0);

    int[][] shapes = {{128, 784, 256}, {128, 256, 128}, {1024, 1024, 1024}};
    for (int[] s : shapes) {
      if (!("gemm".startsWith(only) || only.startsWith("gemm"))) {
        break;
      }
      double gflops = gemmGflops(s[0], s[1], s[2]);
      emit("gemm " + s[0] + "x" + s[1] + "x" + s[2], "GFLOP/s", gflops, 2.0 * s[0] * s[1] * s[2]);
    }

    if (!"FashionMlp".startsWith(only) && !only.startsWith("FashionMlp")) {
      return;
    }
    Dataset train = EndToEnd.trainingData();
    Dataset test = FashionMnist.test();
    FashionMlpModel model = new FashionMlpModel();
    model.train(train, TrainOptions.epochs(1).quiet()); // warm-up epoch, also trains
    History h = model.train(train, TrainOptions.epochs(epochs).quiet());
    double rate = EndToEnd.median(h.epochs().stream().mapToDouble(EpochStats::samplesPerSecond).toArray());
    emit("FashionMlp train", "samples/s", rate, 0);
    emit("FashionMlp test accuracy after " + (epochs + 1) + " epochs", "accuracy", model.evaluate(test).accuracy(), 0);
    if (threads > 1) {
      // The same training run on one thread: how well training scales with the second core.
      Parallelism.setThreads(1);
      double single = EndToEnd.trainingSamplesPerSecond(train, epochs);
      emit("FashionMlp train, 1 thread", "samples/s", single, 0);
      Parallelism.setThreads(threads);
      emit("FashionMlp train scaling 1->" + threads + " threads", "x", rate / single, 0);
    }
    emit("FashionMlp latency b1", "us", EndToEnd.latencyMicros(train, 20000), 0);
    emit("FashionMlp inference b128", "samples/s", EndToEnd.batchThroughput(train, 128), 0);
  }

  /** Median GFLOP/s of C = A·B (row-major, m×k times k×n) over timed repeats after warm-up. */
  static double gemmGflops(int m, int k, int n) {
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
    double flops = 2.0 * m * n * k;
    // Each sample lasts ~20 ms so timer and dispatch noise stay small.
    int reps = (int) Math.max(1, Math.min(100_000, 2e9 / flops));
    long warmEnd = System.nanoTime() + 1_500_000_000L;
    while (System.nanoTime() < warmEnd) {
      Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false);
    }
    double[] samples = new double[15];
    for (int s = 0; s < samples.length; s++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false);
      }
      samples[s] = flops * reps / (System.nanoTime() - t0);
    }
    return EndToEnd.median(samples);
  }

  private static void emit(String workload, String unit, double value, double flops) {
    System.out.println(String.format(Locale.ROOT,
        "{\"workload\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, \"flops\": %.0f, \"threads\": %d}",
        workload, unit, value, flops, Parallelism.threads()));
    System.out.flush();
  }
}
