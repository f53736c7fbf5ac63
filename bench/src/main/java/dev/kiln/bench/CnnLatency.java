package dev.kiln.bench;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Activations;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.Pool2dGeometry;
import dev.kiln.runtime.kernels.PoolKernels;
import dev.kiln.runtime.kernels.VectorShape;
import dev.kiln.samples.FashionCnnModel;
import java.util.SplittableRandom;

/**
 * Where FashionCnn's batch-1 latency goes: {@code predict(float[])} of a fresh FashionCnnModel timed
 * with bench/compare's protocol ({@link EndToEnd#timedLatencyMicros}), then each kernel of its
 * inference forward pass alone, called exactly as the generated code calls it at inference (no
 * pooling indices), median microseconds of single calls after warm-up.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.CnnLatency [threads]}
 */
public final class CnnLatency {
  private CnnLatency() {}

  private static double micros(Runnable body) throws Exception {
    return EndToEnd.timedLatencyMicros(20000, i -> body.run());
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    Parallelism.setThreads(threads);
    System.out.println("species " + VectorShape.describe() + ", threads " + threads);
    if (args.length > 1 && args[1].equals("rows")) {
      rows();
      return;
    }
    if (args.length > 1 && args[1].equals("phases")) {
      phases();
      return;
    }
    SplittableRandom r = new SplittableRandom(7);
    float[][] samples = new float[256][784];
    for (float[] s : samples) {
      for (int i = 0; i < s.length; i++) {
        s[i] = (float) r.nextDouble();
      }
    }
    FashionCnnModel model = new FashionCnnModel();
    double whole = EndToEnd.timedLatencyMicros(20000, i -> model.predict(samples[i % samples.length]));
    Conv2dGeometry c1 = new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    Conv2dGeometry c2 = Compare.FASHION_CNN_CONV2;
    Pool2dGeometry p1 = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
    Pool2dGeometry p2 = new Pool2dGeometry(64, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0);
    float[] x = samples[0];
    float[] w1 = rand(r, c1.weightSize()), b1 = rand(r, 32), y1 = new float[c1.outSize()], q1 = new float[p1.outSize()];
    float[] w2 = rand(r, c2.weightSize()), b2 = rand(r, 64), y2 = new float[c2.outSize()], q2 = new float[p2.outSize()];
    float[] wd = rand(r, 1600 * 128), bd = rand(r, 128), h = new float[128];
    float[] wo = rand(r, 1280), bo = rand(r, 10), lo = new float[10], po = new float[10];
    double t1 = micros(() -> ConvKernels.forward(c1, 1, x, 0, w1, 0, b1, 0, Activation.RELU, 0f, y1, 0, null, 0));
    double t2 = micros(() -> PoolKernels.maxForward(p1, 1, y1, 0, q1, 0, null, 0));
    double t3 = micros(() -> ConvKernels.forward(c2, 1, q1, 0, w2, 0, b2, 0, Activation.RELU, 0f, y2, 0, null, 0));
    double t4 = micros(() -> PoolKernels.maxForward(p2, 1, y2, 0, q2, 0, null, 0));
    double t5 = micros(() -> DenseKernels.forward(1, 1600, 128, q2, 0, wd, 0, bd, 0, Activation.RELU, 0f, h, 0, null, 0));
    double t6 = micros(() -> DenseKernels.forward(1, 128, 10, h, 0, wo, 0, bo, 0, Activation.LINEAR, 0f, lo, 0, null, 0));
    double t7 = micros(() -> Activations.apply(Activation.SOFTMAX, 0f, lo, 0, po, 0, 1, 10));
    double chain = micros(() -> {
      ConvKernels.forward(c1, 1, x, 0, w1, 0, b1, 0, Activation.RELU, 0f, y1, 0, null, 0);
      PoolKernels.maxForward(p1, 1, y1, 0, q1, 0, null, 0);
      ConvKernels.forward(c2, 1, q1, 0, w2, 0, b2, 0, Activation.RELU, 0f, y2, 0, null, 0);
      PoolKernels.maxForward(p2, 1, y2, 0, q2, 0, null, 0);
      DenseKernels.forward(1, 1600, 128, q2, 0, wd, 0, bd, 0, Activation.RELU, 0f, h, 0, null, 0);
      DenseKernels.forward(1, 128, 10, h, 0, wo, 0, bo, 0, Activation.LINEAR, 0f, lo, 0, null, 0);
      Activations.apply(Activation.SOFTMAX, 0f, lo, 0, po, 0, 1, 10);
    });
    float[] pa = new float[225034], ar = new float[64356];
    System.arraycopy(w1, 0, pa, 0, 288); System.arraycopy(b1, 0, pa, 288, 32); System.arraycopy(w2, 0, pa, 320, w2.length);
    System.arraycopy(b2, 0, pa, 18752, 64); System.arraycopy(wd, 0, pa, 18816, wd.length); System.arraycopy(bd, 0, pa, 223616, 128);
    System.arraycopy(wo, 0, pa, 223744, 1280); System.arraycopy(bo, 0, pa, 225024, 10);
    float[] mp = model.parameters();
    boolean useModel = Boolean.getBoolean("modelParams");
    if (useModel) System.arraycopy(mp, 0, pa, 0, mp.length);
    double arena = EndToEnd.timedLatencyMicros(20000, i -> {
      System.arraycopy(Boolean.getBoolean("varySamples") ? samples[i % 256] : x, 0, ar, 0, 784);
      ConvKernels.forward(c1, 1, ar, 0, pa, 0, pa, 288, Activation.RELU, 0f, ar, 784, null, 0);
      PoolKernels.maxForward(p1, 1, ar, 784, ar, 22416, null, 0);
      ConvKernels.forward(c2, 1, ar, 22416, pa, 320, pa, 18752, Activation.RELU, 0f, ar, 27824, null, 0);
      PoolKernels.maxForward(p2, 1, ar, 27824, ar, 35568, null, 0);
      DenseKernels.forward(1, 1600, 128, ar, 35568, pa, 18816, pa, 223616, Activation.RELU, 0f, ar, 37168, null, 0);
      DenseKernels.forward(1, 128, 10, ar, 37168, pa, 223744, pa, 225024, Activation.LINEAR, 0f, ar, 37296, null, 0);
      Activations.apply(Activation.SOFTMAX, 0f, ar, 37296, ar, 37306, 1, 10);
    });
    double again = EndToEnd.timedLatencyMicros(20000, i -> model.predict(samples[i % samples.length]));
    System.out.printf("predict b1 again %.1f us%n", again);
    System.out.printf("the same kernels in sequence: %.1f us; in one arena like the generated code: %.1f us%n", chain, arena);
    System.out.printf("predict b1 %.1f us; kernels at b1: conv1 %.1f, pool1 %.1f, conv2 %.1f (%.1f GFLOP/s), pool2 %.1f, "
        + "dense 1600x128 %.1f, dense 128x10 %.1f, softmax %.1f, sum %.1f us%n", whole, t1, t2, t3,
        c2.flops(1) / t3 / 1e3, t4, t5, t6, t7, t1 + t2 + t3 + t4 + t5 + t6 + t7);
  }

  /**
   * bench/compare's FashionCnn latency b1 and inference b128 rows with their exact protocols, after
   * only Compare's warm-up pass (one epoch over the first 6000 training images) instead of a full
   * epoch more: a few minutes less per round, so several rounds fit in one short run.
   */
  private static void rows() throws Exception {
    dev.kiln.runtime.data.Dataset train = EndToEnd.trainingData();
    FashionCnnModel model = new FashionCnnModel();
    model.train(train.subset(0, 6000), dev.kiln.runtime.train.TrainOptions.epochs(1).quiet());
    System.out.printf("FashionCnn latency b1: %.1f us%n", EndToEnd.latencyMicros(model, train, 20000));
    float[] x = java.util.Arrays.copyOf(train.features(), 128 * model.spec().inputs());
    float[] out = new float[128 * model.spec().outputs()];
    System.out.printf("FashionCnn inference b128: %.0f samples/s%n",
        EndToEnd.timedThroughput(128, EndToEnd.CNN_THROUGHPUT_WARM_UP, EndToEnd.CNN_THROUGHPUT_GROUPS,
            i -> model.predict(x, 128, out)));
  }

  /**
   * The trained model's batch-1 inference phase by phase: after {@link #rows}' warm-up training,
   * the generated forward pass's kernel calls on a copy of the model's parameters and arena layout,
   * each call stamped with {@code System.nanoTime()}, over the same 256 test rows as the latency row,
   * unfused then fused ({@link #phases(boolean, float[][], float[], float[], Conv2dGeometry,
   * Pool2dGeometry, Conv2dGeometry, Pool2dGeometry)}); prints the median of each phase over 20000
   * timed passes (after 20000 untimed), their sum, the median of whole passes, and {@code predict}
   * itself measured before and after.
   */
  private static void phases() throws Exception {
    dev.kiln.runtime.data.Dataset train = EndToEnd.trainingData();
    FashionCnnModel model = new FashionCnnModel();
    model.train(train.subset(0, 6000), dev.kiln.runtime.train.TrainOptions.epochs(1).quiet());
    float[][] samples = new float[256][];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = train.row(i);
    }
    double before = EndToEnd.timedLatencyMicros(20000, i -> model.predict(samples[i % samples.length]));
    Conv2dGeometry c1 = new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    Conv2dGeometry c2 = Compare.FASHION_CNN_CONV2;
    Pool2dGeometry p1 = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
    Pool2dGeometry p2 = new Pool2dGeometry(64, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0);
    float[] pa = model.parameters(), ar = new float[64356];
    String unfused = phases(false, samples, pa, ar, c1, p1, c2, p2);
    String fused = phases(true, samples, pa, ar, c1, p1, c2, p2);
    double after = EndToEnd.timedLatencyMicros(20000, i -> model.predict(samples[i % samples.length]));
    System.out.printf(java.util.Locale.ROOT, "unfused phases (median us): %s%nfused phases (median us): %s%n"
        + "predict b1 %.1f / %.1f us%n", unfused, fused, before, after);
  }

  /**
   * One batch-1 inference pass phase by phase, as the generated forward calls its kernels: with each
   * convolution and its pooling as two calls (training's code, and inference before the fusion) or
   * as one fused call; medians of 20000 passes after 20000 untimed ones.
   */
  private static String phases(boolean fused, float[][] samples, float[] pa, float[] ar, Conv2dGeometry c1,
      Pool2dGeometry p1, Conv2dGeometry c2, Pool2dGeometry p2) {
    String[] names = fused
        ? new String[] {"input copy", "conv1+pool1", "conv2+pool2", "dense 1600x128", "dense 128x10", "softmax"}
        : new String[] {"input copy", "conv1", "pool1", "conv2", "pool2", "dense 1600x128", "dense 128x10", "softmax"};
    int calls = 20000;
    double[][] t = new double[names.length][calls];
    double[] whole = new double[calls];
    long[] stamp = new long[names.length + 1];
    for (int i = -calls; i < calls; i++) {
      float[] x = samples[(i + calls) % samples.length];
      int k = 0;
      stamp[k++] = System.nanoTime();
      System.arraycopy(x, 0, ar, 0, 784);
      stamp[k++] = System.nanoTime();
      if (fused) {
        ConvKernels.forwardMaxPooled(c1, p1, 1, ar, 0, pa, 0, pa, 288, Activation.RELU, 0f, ar, 784, null, 0, ar, 22416);
        stamp[k++] = System.nanoTime();
        ConvKernels.forwardMaxPooled(c2, p2, 1, ar, 22416, pa, 320, pa, 18752, Activation.RELU, 0f, ar, 27824, null, 0,
            ar, 35568);
        stamp[k++] = System.nanoTime();
      } else {
        ConvKernels.forward(c1, 1, ar, 0, pa, 0, pa, 288, Activation.RELU, 0f, ar, 784, null, 0);
        stamp[k++] = System.nanoTime();
        PoolKernels.maxForward(p1, 1, ar, 784, ar, 22416, null, 0);
        stamp[k++] = System.nanoTime();
        ConvKernels.forward(c2, 1, ar, 22416, pa, 320, pa, 18752, Activation.RELU, 0f, ar, 27824, null, 0);
        stamp[k++] = System.nanoTime();
        PoolKernels.maxForward(p2, 1, ar, 27824, ar, 35568, null, 0);
        stamp[k++] = System.nanoTime();
      }
      DenseKernels.forward(1, 1600, 128, ar, 35568, pa, 18816, pa, 223616, Activation.RELU, 0f, ar, 37168, null, 0);
      stamp[k++] = System.nanoTime();
      DenseKernels.forward(1, 128, 10, ar, 37168, pa, 223744, pa, 225024, Activation.LINEAR, 0f, ar, 37296, null, 0);
      stamp[k++] = System.nanoTime();
      Activations.apply(Activation.SOFTMAX, 0f, ar, 37296, ar, 37306, 1, 10);
      stamp[k] = System.nanoTime();
      if (i >= 0) {
        for (int p = 0; p < names.length; p++) {
          t[p][i] = (stamp[p + 1] - stamp[p]) / 1e3;
        }
        whole[i] = (stamp[names.length] - stamp[0]) / 1e3;
      }
    }
    double sum = 0;
    StringBuilder line = new StringBuilder();
    for (int p = 0; p < names.length; p++) {
      double m = EndToEnd.median(t[p]);
      sum += m;
      line.append(String.format(java.util.Locale.ROOT, "%s %.1f, ", names[p], m));
    }
    return line.append(String.format(java.util.Locale.ROOT, "sum %.1f, whole pass %.1f", sum, EndToEnd.median(whole)))
        .toString();
  }

  private static float[] rand(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextDouble() - 0.5) * 0.1f;
    }
    return a;
  }
}
