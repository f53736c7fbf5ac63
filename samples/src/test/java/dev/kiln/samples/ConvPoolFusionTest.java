package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.AvgPool2D;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.Pool2dGeometry;
import dev.kiln.runtime.kernels.PoolKernels;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ParamSpec;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * At inference a convolution read only by a pooling runs with it as one kernel call that does not
 * store the convolution's output (the fusion pass). Through generated models: {@code predict} gives
 * bitwise what the unfused forward gives ({@code layerOutput}, which runs the training-mode code path
 * of each pair, every layer's output written); the feature maps {@code layerOutput} shows after a
 * fused {@code predict} are the whole convolution; and a fused {@code predict} allocates nothing.
 */
class ConvPoolFusionTest {
  /** A fused max pooling after 7 filters on 3 channels, then a stride-2 TANH convolution and a stride-1 average pooling (not fused by the kernel). */
  @Network(inputShape = {3, 16, 18}, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 51)
  static class FusedMaxPool {
    @Conv2D(filters = 7, kernel = 3, activation = Activation.RELU) Layer conv1;

    @MaxPool2D(size = 2) Layer pool1;

    @Conv2D(filters = 5, kernel = 3, stride = 2, activation = Activation.TANH) Layer conv2;

    @AvgPool2D(size = 2, stride = 1) Layer pool2;

    @Flatten Layer flat;

    @Dense(units = 4, activation = Activation.SOFTMAX) Layer out;
  }

  /**
   * A fused average pooling of a linear convolution without bias (13x12: the last row is never
   * read), then a convolution too small for the tiled kernel and a padded max pooling.
   */
  @Network(inputShape = {2, 15, 13}, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 52)
  static class FusedAvgPool {
    @Conv2D(filters = 6, kernel = {3, 2}, useBias = false) Layer conv1;

    @AvgPool2D(size = 2) Layer pool1;

    @Conv2D(filters = 3, kernel = 3, activation = Activation.RELU) Layer conv2;

    @MaxPool2D(size = 2, pad = 1) Layer pool2;

    @Flatten Layer flat;

    @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;
  }

  /** Weights as initialised, biases away from 0 (they start at 0). */
  private static <M extends CompiledModel> M randomized(M model) {
    SplittableRandom r = new SplittableRandom(9);
    float[] p = model.parameters();
    for (ParamSpec s : model.spec().parameters()) {
      if (s.name().endsWith("bias")) {
        for (int i = s.offset(); i < s.offset() + s.length(); i++) {
          p[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
        }
      }
    }
    model.setParameters(p);
    return model;
  }

  private static float[] samples(int rows, int in, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    return x;
  }

  private static void assertPredictEqualsUnfused(CompiledModel model) {
    int in = model.spec().inputs(), k = model.spec().outputs(), rows = 5;
    var layers = model.spec().layers();
    String last = layers.get(layers.size() - 1).name();
    float[] x = samples(rows, in, 3);
    float[] batch = new float[rows * k];
    model.predict(x, rows, batch);
    for (int r = 0; r < rows; r++) {
      float[] sample = Arrays.copyOfRange(x, r * in, (r + 1) * in);
      float[] unfused = model.layerOutput(last, sample);
      String what = model.spec().network() + ", row " + r;
      assertArrayEquals(unfused, model.predict(sample), what + ": predict");
      assertArrayEquals(unfused, Arrays.copyOfRange(batch, r * k, (r + 1) * k), what + ": predict of a batch");
    }
  }

  @Test
  void predictEqualsTheUnfusedForwardBitwise() {
    int before = Parallelism.threads();
    try {
      for (int threads = 1; threads <= 2; threads++) {
        Parallelism.setThreads(threads);
        assertPredictEqualsUnfused(randomized(new FashionCnnModel()));
        assertPredictEqualsUnfused(randomized(new FusedMaxPoolModel()));
        assertPredictEqualsUnfused(randomized(new FusedAvgPoolModel()));
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /** A fused predict leaves the convolution's output unwritten; layerOutput must not show a stale map. */
  @Test
  void featureMapsAfterAFusedPredictAreTheWholeConvolution() {
    FashionCnnModel model = randomized(new FashionCnnModel());
    float[] a = samples(1, 784, 4), b = samples(1, 784, 5);
    model.predict(a);
    float[] p = model.parameters();
    Conv2dGeometry conv1 = new Conv2dGeometry(1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    Pool2dGeometry pool1 = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
    float[] map = new float[conv1.outSize()], pooled = new float[pool1.outSize()];
    ConvKernels.forward(conv1, 1, b, 0, p, offset(model, "conv1.kernel"), p, offset(model, "conv1.bias"),
        dev.kiln.runtime.kernels.Activation.RELU, 0f, map, 0, null, 0);
    PoolKernels.maxForward(pool1, 1, map, 0, pooled, 0, null, 0);
    assertArrayEquals(map, model.layerOutput("conv1", b), "conv1 after predict(a)");
    model.predict(a);
    assertArrayEquals(pooled, model.layerOutput("pool1", b), "pool1 after predict(a)");
  }

  private static int offset(CompiledModel model, String name) {
    return model.spec().parameters().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().offset();
  }

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Bytes allocated by {@code r} on this thread and the pool's workers. */
  private static long allocatedBy(Runnable r) {
    long[] ids = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t == Thread.currentThread() || t.getName().startsWith("kiln-worker-"))
        .mapToLong(Thread::threadId)
        .toArray();
    long before = Arrays.stream(THREADS.getThreadAllocatedBytes(ids)).map(v -> Math.max(0, v)).sum();
    r.run();
    return Arrays.stream(THREADS.getThreadAllocatedBytes(ids)).map(v -> Math.max(0, v)).sum() - before;
  }

  /** {@code predict(x, rows, out)} at batch 1 and 128 with the fused kernels: nothing allocated once warm. */
  @Test
  void fusedPredictionAllocatesNothing() {
    int before = Parallelism.threads();
    try {
      FashionCnnModel model = randomized(new FashionCnnModel());
      float[] x = samples(128, 784, 6), out = new float[128 * 10];
      for (int threads = 1; threads <= 2; threads++) {
        Parallelism.setThreads(threads);
        Runnable predictions = () -> {
          for (int i = 0; i < 20; i++) {
            model.predict(x, 1, out);
          }
          model.predict(x, 128, out);
        };
        for (int i = 0; i < 300; i++) { // let the JIT compile the kernels
          predictions.run();
        }
        // Twice the calls against once: the measurement's own bytes cancel.
        long best = Long.MAX_VALUE;
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (int attempt = 0; best > 0 && (attempt < 10 || System.nanoTime() < deadline); attempt++) {
          long twice = allocatedBy(() -> {
            predictions.run();
            predictions.run();
          });
          long once = allocatedBy(predictions);
          best = Math.min(best, twice - once);
        }
        assertTrue(best <= 0, "fused predictions on " + threads + " threads allocated " + best + " bytes");
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }
}
