package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.FashionMlpModel;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Whole-run figures of the FashionMlp network (784-256-128-10 ReLU, Adam, batch 128): training
 * samples/s over a full epoch after a warm-up epoch, batch-1 inference latency (median of many
 * calls) and batch-128 inference throughput.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.EndToEnd [threads]}
 */
public final class EndToEnd {
  private EndToEnd() {}

  /** Fashion-MNIST's training set when installed, else random data of the same shape. */
  static Dataset trainingData() throws Exception {
    if (Files.isDirectory(FashionMnist.DEFAULT_DIR)) {
      return FashionMnist.train();
    }
    System.err.println("Fashion-MNIST not installed; timing on random data of the same shape");
    SplittableRandom r = new SplittableRandom(1);
    int rows = 60000;
    float[] x = new float[rows * 784];
    int[] y = new int[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < rows; i++) {
      y[i] = r.nextInt(10);
    }
    return Dataset.classification("random-fashion-shape", x, rows, 784, y, 10);
  }

  /** Median training samples/s over {@code epochs} epochs after one warm-up epoch. */
  static double trainingSamplesPerSecond(Dataset data, int epochs) {
    FashionMlpModel model = new FashionMlpModel();
    model.train(data, TrainOptions.epochs(1).quiet());
    History h = model.train(data, TrainOptions.epochs(epochs).quiet());
    double[] rates = h.epochs().stream().mapToDouble(EpochStats::samplesPerSecond).toArray();
    return median(rates);
  }

  /** Median microseconds of one batch-1 {@code predict} of a fresh FashionMlp, over {@code calls} calls after warm-up. */
  static double latencyMicros(Dataset data, int calls) throws Exception {
    return latencyMicros(new FashionMlpModel(), data, calls);
  }

  /** Median microseconds of one batch-1 {@code model.predict}, over {@code calls} calls after warm-up. */
  static double latencyMicros(Model model, Dataset data, int calls) throws Exception {
    float[][] samples = new float[256][];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = data.row(i);
    }
    return timedLatencyMicros(calls, i -> model.predict(samples[i % samples.length]));
  }

  /** Samples/s of batch inference of a fresh FashionMlp (see {@link #batchThroughput(Model, Dataset, int)}). */
  static double batchThroughput(Dataset data, int batch) throws Exception {
    return batchThroughput(new FashionMlpModel(), data, batch);
  }

  /** Samples/s of batch inference (see {@link #timedThroughput}). */
  static double batchThroughput(Model model, Dataset data, int batch) throws Exception {
    float[] x = Arrays.copyOf(data.features(), batch * model.spec().inputs());
    float[] out = new float[batch * model.spec().outputs()];
    return timedThroughput(batch, i -> model.predict(x, batch, out));
  }

  /** One timed call of an inference engine; {@code i} counts the calls. */
  @FunctionalInterface
  interface Call {
    void run(int i) throws Exception;
  }

  /**
   * The batch-1 latency protocol every engine of {@code bench/compare} is timed with: 20000 warm-up
   * calls, then the median microseconds of {@code calls} calls, each timed alone.
   */
  static double timedLatencyMicros(int calls, Call call) throws Exception {
    return timedLatencyMicros(20000, calls, call);
  }

  /** The batch-1 latency protocol with {@code warmUp} warm-up calls, then the median of {@code calls} calls. */
  static double timedLatencyMicros(int warmUp, int calls, Call call) throws Exception {
    for (int i = 0; i < warmUp; i++) {
      call.run(i);
    }
    double[] t = new double[calls];
    for (int i = 0; i < calls; i++) {
      long t0 = System.nanoTime();
      call.run(i);
      t[i] = (System.nanoTime() - t0) / 1e3;
    }
    return median(t);
  }

  /**
   * The batch throughput protocol every engine of {@code bench/compare} is timed with: 2000 warm-up
   * batches, then the median samples/s of 200 timed groups of 10 batches of {@code batch} rows.
   */
  static double timedThroughput(int batch, Call call) throws Exception {
    return timedThroughput(batch, 2000, 200, call);
  }

  /** Warm-up batches of the CNN throughput rows (a CNN batch costs about 30 MLP batches). */
  static final int CNN_THROUGHPUT_WARM_UP = 50;

  /** Timed groups of 10 batches of the CNN throughput rows. */
  static final int CNN_THROUGHPUT_GROUPS = 30;

  /**
   * The batch throughput protocol with {@code warmUp} warm-up batches, then the median samples/s
   * of {@code groups} timed groups of 10 batches of {@code batch} rows.
   */
  static double timedThroughput(int batch, int warmUp, int groups, Call call) throws Exception {
    for (int i = 0; i < warmUp; i++) {
      call.run(i);
    }
    double[] rates = new double[groups];
    for (int i = 0; i < rates.length; i++) {
      long t0 = System.nanoTime();
      for (int j = 0; j < 10; j++) {
        call.run(j);
      }
      rates[i] = 10.0 * batch / ((System.nanoTime() - t0) / 1e9);
    }
    return median(rates);
  }

  /** The middle element of {@code v} (the upper one of the two middle elements for an even length). */
  static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    Parallelism.setThreads(threads);
    Dataset data = trainingData();
    System.out.printf("threads %d%n", threads);
    System.out.printf("FashionMlp train: %.0f samples/s (median of 3 epochs)%n", trainingSamplesPerSecond(data, 3));
    System.out.printf("FashionMlp latency b1: %.2f us (median)%n", latencyMicros(data, 20000));
    System.out.printf("FashionMlp throughput b128: %.0f samples/s%n", batchThroughput(data, 128));
  }
}
