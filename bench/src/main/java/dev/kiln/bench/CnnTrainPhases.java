package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.Losses;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.Pool2dGeometry;
import dev.kiln.runtime.kernels.PoolKernels;
import dev.kiln.runtime.kernels.VectorShape;
import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.Accuracy;
import dev.kiln.samples.FashionCnnModel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where one FashionCnn training step goes (bench/compare's FashionCnn train row: batch 128, Adam lr
 * 1e-3), phase by phase:
 *
 * <ol>
 *   <li>the whole step inside {@code train} (a callback's batch begin to batch end, and the epoch's
 *       samples/s), over the first {@value #STEP_IMAGES} Fashion-MNIST training images after a
 *       warm-up pass over them;
 *   <li>each kernel of the step with the generated model's calls and shapes, in its order, on real
 *       images and labels (so ReLU masks and pooling winners are realistic), and the rest of the
 *       training step (loading the batch, clearing the gradient arena, Adam, the accuracy metric).
 * </ol>
 *
 * <p>Each figure is the median over the runs; GFLOP/s for the convolutions' three kernels. The sum of
 * (2) against (1) is what the kernels do not account for. Arguments: runs (40), threads (Parallelism
 * default), {@code kernels} to skip (1).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.CnnTrainPhases [runs [threads [kernels]]]}
 */
public final class CnnTrainPhases {
  static final int N = 128, CLASSES = 10, HIDDEN = 128, FLAT = 1600;

  /** Images of the whole-step measurement (1): 60 batches. */
  static final int STEP_IMAGES = 60 * N;

  static final Conv2dGeometry CONV1 = new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
  static final Conv2dGeometry CONV2 = Compare.FASHION_CNN_CONV2;
  static final Pool2dGeometry POOL1 = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
  static final Pool2dGeometry POOL2 = new Pool2dGeometry(64, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0);

  private CnnTrainPhases() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    if (args.length > 1) {
      Parallelism.setThreads(Integer.parseInt(args[1]));
    }
    boolean kernelsOnly = args.length > 2 && args[2].equals("kernels");
    System.out.printf("species %s, threads %d, batch %d, runs %d%n", VectorShape.describe(), Parallelism.threads(), N,
        runs);
    Dataset train = EndToEnd.trainingData();

    if (!kernelsOnly) {
      // (1) The whole step inside train().
      Dataset part = train.subset(0, STEP_IMAGES);
      StepTimer.Training t = StepTimer.timeTraining(new FashionCnnModel(), part, part, N);
      System.out.printf("(1) train(): %.0f samples/s = %.2f ms per batch; step (batch begin to end) median %.2f ms,"
          + " p90 %.2f ms%n", t.samplesPerSecond(), t.msPerBatch(N), t.medianStepMs(), t.p90StepMs());
    }

    // (2) Kernels and the rest of the step, one by one.
    kernels(train, runs);
  }

  private static void kernels(Dataset train, int runs) {
    // The parameter arena in the generated model's order.
    int k1 = 0, b1 = k1 + CONV1.weightSize(), k2 = b1 + CONV1.outC(), b2 = k2 + CONV2.weightSize();
    int kh = b2 + CONV2.outC(), bh = kh + FLAT * HIDDEN, ko = bh + HIDDEN, bo = ko + HIDDEN * CLASSES;
    float[] p = new float[bo + CLASSES];
    SplittableRandom r = new SplittableRandom(1);
    initialise(p, k1, CONV1.weightSize(), CONV1.weightSize() / CONV1.outC(), r);
    initialise(p, k2, CONV2.weightSize(), CONV2.weightSize() / CONV2.outC(), r);
    initialise(p, kh, FLAT * HIDDEN, FLAT, r);
    initialise(p, ko, HIDDEN * CLASSES, HIDDEN, r);
    float[] g = new float[p.length];
    int[] ranges = {0, p.length};
    Optimizer adam = new OptimizerSpec("ADAM", 0.001f, 0f, false, 0.9f, 0.999f, 1e-8f, 0f).create(p.length);
    Accuracy accuracy = new Accuracy();
    int[] order = new int[train.rows()];
    Arrays.setAll(order, i -> i);

    float[] x = new float[N * CONV1.inSize()];
    int[] labels = new int[N];
    float[] c1 = new float[N * CONV1.outSize()], q1 = new float[N * POOL1.outSize()];
    float[] c2 = new float[N * CONV2.outSize()], q2 = new float[N * POOL2.outSize()];
    int[] i1 = new int[N * POOL1.outSize()], i2 = new int[N * POOL2.outSize()];
    float[] h = new float[N * HIDDEN], logits = new float[N * CLASSES], probs = new float[N * CLASSES];
    float[] dlogits = new float[N * CLASSES], dh = new float[N * HIDDEN], dq2 = new float[q2.length];
    float[] dc2 = new float[c2.length], dq1 = new float[q1.length], dc1 = new float[c1.length];

    String[] names = {"load batch", "clear grads", "conv1+pool1 fwd", "conv2+pool2 fwd",
        "hidden fwd", "output fwd", "softmax-CE", "output dW", "output dx", "hidden dW", "hidden dx",
        "pool2 bwd+relu'", "conv2 dW", "conv2 dx", "pool1 bwd+conv1 dW", "adam",
        "accuracy", "total"};
    long[][] t = new long[names.length][runs];
    int batches = train.rows() / N;
    for (int run = -20; run < runs; run++) {
      long[] s = new long[names.length];
      int q = 0;
      int start = Math.floorMod(run, batches) * N;
      s[q++] = System.nanoTime();
      EpochOrder.gather(train, order, start, N, x, 0, labels, null);
      s[q++] = System.nanoTime();
      Arrays.fill(g, 0f);
      s[q++] = System.nanoTime();
      // Each convolution fused with its pooling, indices recorded, as the generated training forward runs them.
      ConvKernels.forwardMaxPooled(CONV1, POOL1, N, x, 0, p, k1, p, b1, Activation.RELU, 0f, c1, 0, null, 0, q1, 0,
          i1, 0);
      s[q++] = System.nanoTime();
      ConvKernels.forwardMaxPooled(CONV2, POOL2, N, q1, 0, p, k2, p, b2, Activation.RELU, 0f, c2, 0, null, 0, q2, 0,
          i2, 0);
      s[q++] = System.nanoTime();
      DenseKernels.forward(N, FLAT, HIDDEN, q2, 0, p, kh, p, bh, Activation.RELU, 0f, h, 0, null, 0);
      s[q++] = System.nanoTime();
      DenseKernels.forward(N, HIDDEN, CLASSES, h, 0, p, ko, p, bo, Activation.LINEAR, 0f, logits, 0, null, 0);
      s[q++] = System.nanoTime();
      Losses.softmaxCrossEntropy(N, CLASSES, logits, 0, labels, 0, probs, 0, dlogits, 0, 1f / N);
      s[q++] = System.nanoTime();
      DenseKernels.backwardParams(N, HIDDEN, CLASSES, h, 0, dlogits, 0, g, ko, g, bo);
      s[q++] = System.nanoTime();
      DenseKernels.backwardInput(N, HIDDEN, CLASSES, dlogits, 0, p, ko, dh, 0, Activation.RELU, 0f, h, 0, null, 0,
          null, 0);
      s[q++] = System.nanoTime();
      DenseKernels.backwardParams(N, FLAT, HIDDEN, q2, 0, dh, 0, g, kh, g, bh);
      s[q++] = System.nanoTime();
      DenseKernels.backwardInput(N, FLAT, HIDDEN, dh, 0, p, kh, dq2, 0, Activation.LINEAR, 0f, null, 0, null, 0,
          null, 0);
      s[q++] = System.nanoTime();
      PoolKernels.maxBackwardFolded(POOL2, N, dq2, 0, i2, 0, Activation.RELU, q2, 0, dc2, 0);
      s[q++] = System.nanoTime();
      ConvKernels.backwardParams(CONV2, N, q1, 0, dc2, 0, g, k2, g, b2);
      s[q++] = System.nanoTime();
      ConvKernels.backwardInput(CONV2, N, dc2, 0, p, k2, dq1, 0, false);
      s[q++] = System.nanoTime();
      // pool1's backward folded into conv1's weight gradient, as the generated backward runs them.
      ConvKernels.backwardParamsMaxPooled(CONV1, POOL1, N, x, 0, dq1, 0, i1, 0, Activation.RELU, q1, 0, dc1, 0, g, k1,
          g, b1);
      s[q++] = System.nanoTime();
      adam.step(p, g, ranges);
      s[q++] = System.nanoTime();
      accuracy.accumulate(probs, 0, N, CLASSES, labels, null);
      s[q++] = System.nanoTime();
      if (run >= 0) {
        for (int k = 0; k + 1 < q; k++) {
          t[k][run] = s[k + 1] - s[k];
        }
        t[names.length - 1][run] = s[q - 1] - s[0];
      }
    }
    System.out.println("(2) the step's parts, each alone:");
    for (int k = 0; k < names.length; k++) {
      long m = EndToEnd.median(t[k]);
      double flops = switch (names[k]) {
        case "conv1+pool1 fwd", "pool1 bwd+conv1 dW" -> CONV1.flops(N);
        case "conv2+pool2 fwd", "conv2 dW", "conv2 dx" -> CONV2.flops(N);
        default -> 0;
      };
      System.out.printf("  %-14s %8.3f ms%s%n", names[k], m / 1e6,
          flops > 0 ? String.format(" %6.1f GFLOP/s", flops / m) : "");
    }
    System.out.printf("  => %.0f samples/s (parts only)%n", N / (EndToEnd.median(t[names.length - 1]) / 1e9));
  }

  /** He-uniform weights of fan-in {@code fanIn} in p[off, off + len); biases stay 0. */
  private static void initialise(float[] p, int off, int len, int fanIn, SplittableRandom r) {
    double bound = Math.sqrt(6.0 / fanIn);
    for (int i = 0; i < len; i++) {
      p[off + i] = (float) ((2 * r.nextDouble() - 1) * bound);
    }
  }
}
