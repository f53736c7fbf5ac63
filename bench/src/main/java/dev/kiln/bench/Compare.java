package dev.kiln.bench;

import dev.kiln.onnx.OnnxExport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.Conv2dGeometry;
import dev.kiln.runtime.kernels.ConvKernels;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.VectorShape;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.FashionCnnModel;
import dev.kiln.samples.FashionMlpModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Kiln's half of {@code bench/compare}: the machine peak and every comparison workload, one JSON
 * object per line on stdout ({@code {"workload": ..., "unit": ..., "value": ..., "flops": ...}}).
 * The script runs the PyTorch half with the same shapes and data and joins the two.
 *
 * <p>The first line describes the machine ({@code {"machine": {...}}}: the vector species and
 * register count the kernels were tiled for, HotSpot's {@code UseAVX}, the CPU model, the JVM and
 * the thread count). After Kiln's inference rows, the same trained FashionMlp is exported to ONNX
 * and ONNX Runtime runs the inference rows with 1 and with {@code threads} intra-op threads; its
 * rows carry {@code "engine": "onnxruntime"} and a {@code "config"}. Then the forward, backward-input
 * and backward-weights kernels of FashionCnn's second convolution at batch 128 (GFLOP/s, so the
 * script shows them as a fraction of the peak) and the FashionCnn rows (training: the median of
 * {@code cnn-segments} segments of 40 batches, default 10), ONNX Runtime again on their inference
 * rows. Last, the CharLstm rows (training and batch-1 generation tokens/s; see {@link #charLstm()}).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * bench/target/benchmarks.jar dev.kiln.bench.Compare [threads] [train-epochs] [workload-prefixes] [cnn-segments]}
 */
public final class Compare {
  private Compare() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    // Run only the workloads whose names start with one of these comma-separated prefixes.
    String only = args.length > 2 ? args[2] : "";
    int cnnSegments = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    Parallelism.setThreads(threads);

    System.out.println(machine(threads));
    emit("peak fp32 fma", "GFLOP/s", PeakProbe.measure(threads, 10), 0);

    if (selected("gemm", only)) {
      int[][] shapes = {{128, 784, 256}, {128, 256, 128}, {1024, 1024, 1024}};
      for (int[] s : shapes) {
        double gflops = gemmGflops(s[0], s[1], s[2]);
        emit("gemm " + s[0] + "x" + s[1] + "x" + s[2], "GFLOP/s", gflops, 2.0 * s[0] * s[1] * s[2]);
      }
    }

    if (selected("FashionMlp", only)) {
      fashionMlp(threads, epochs);
    }
    if (selected("conv", only)) {
      Conv2dGeometry g = FASHION_CNN_CONV2;
      for (ConvKernel kernel : ConvKernel.values()) {
        emit("conv2 " + kernel.label + " b128", "GFLOP/s", convGflops(kernel, g, 128), g.flops(128));
      }
    }
    if (selected("FashionCnn", only)) {
      fashionCnn(threads, cnnSegments);
    }
    if (selected("CharLstm", only)) {
      charLstm();
    }
  }

  /** Windows of the CharLstm training rows: the first 1536 non-overlapping 64-character windows of tiny Shakespeare. */
  static final int CHAR_LSTM_WINDOWS = 1536;

  /** Windows of the CharLstm warm-up pass (also trains), before the timed epochs. */
  static final int CHAR_LSTM_WARM_UP_WINDOWS = 512;

  /** Timed CharLstm training epochs (each over {@link #CHAR_LSTM_WINDOWS} windows); the row is their median. */
  static final int CHAR_LSTM_EPOCHS = 3;

  /** Warm-up tokens and timed groups of 10 tokens of the CharLstm windowed generation row. */
  static final int CHAR_LSTM_GENERATE_WARM_UP = 200, CHAR_LSTM_GENERATE_GROUPS = 30;

  /**
   * Warm-up tokens and timed groups of 10 tokens of the CharLstm carried-state generation row (a token
   * costs about 64 times less than a window, so more of them, for the JIT and for the timer).
   */
  static final int CHAR_LSTM_CARRIED_WARM_UP = 5000, CHAR_LSTM_CARRIED_GROUPS = 200;

  /**
   * The CharLstm rows ({@link CharLstm}: Embedding(65, 64), LSTM(256) over 64 steps, Dense(65) softmax;
   * Adam, batch 32). Training: a warm-up pass over {@value #CHAR_LSTM_WARM_UP_WINDOWS} windows, then the
   * median of {@value #CHAR_LSTM_EPOCHS} epochs over {@value #CHAR_LSTM_WINDOWS} windows of tiny
   * Shakespeare with next-character labels, in tokens/s (windows/s times 64). Generation at batch 1,
   * greedy, in tokens/s with the batch throughput protocol (warm-up, median of groups of 10 tokens), on
   * the trained model, in two rows, each against the same loop in torch_workloads.py:
   *
   * <ul>
   *   <li>{@code generate b1, carried state}: one token per step with each layer's state carried
   *       over ({@code SequenceGenerator.feed(token)}; PyTorch: {@code model(token, (h, c))}), as
   *       ShakespeareChars.generate does; {@value #CHAR_LSTM_CARRIED_WARM_UP} warm-up tokens, then
   *       {@value #CHAR_LSTM_CARRIED_GROUPS} groups;
   *   <li>{@code generate b1, 64-step window}: each token one 64-step forward ({@code predict}) of the
   *       last 64 characters, the greedy next character shifted in: the windowed path, without state;
   *       {@value #CHAR_LSTM_GENERATE_WARM_UP} warm-up tokens, then {@value #CHAR_LSTM_GENERATE_GROUPS}
   *       groups.
   * </ul>
   */
  private static void charLstm() throws Exception {
    int steps = CharLstm.STEPS, vocabulary = CharLstm.VOCABULARY;
    String text = dev.kiln.samples.ShakespeareChars.text();
    dev.kiln.runtime.data.Vocabulary chars = dev.kiln.runtime.data.Vocabulary.ofCharacters(text);
    int[] ids = chars.characterIds(text.substring(0, CHAR_LSTM_WINDOWS * steps + 1));
    Dataset train = dev.kiln.runtime.data.TextStreams.windows("charlstm", ids, vocabulary, steps, steps);
    CharLstmModel model = new CharLstmModel();
    model.train(train.subset(0, CHAR_LSTM_WARM_UP_WINDOWS), TrainOptions.epochs(1).quiet());
    History h = model.train(train, TrainOptions.epochs(CHAR_LSTM_EPOCHS).quiet());
    double windows = EndToEnd.median(h.epochs().stream().mapToDouble(EpochStats::samplesPerSecond).toArray());
    emit("CharLstm train", "tokens/s", windows * steps, 0);

    float[] window = java.util.Arrays.copyOf(train.features(), steps);
    float[] out = new float[model.spec().outputs()];
    double generate = EndToEnd.timedThroughput(1, CHAR_LSTM_GENERATE_WARM_UP, CHAR_LSTM_GENERATE_GROUPS, i -> {
      model.predict(window, 1, out);
      int last = (steps - 1) * vocabulary, next = 0;
      for (int v = 1; v < vocabulary; v++) {
        if (out[last + v] > out[last + next]) {
          next = v;
        }
      }
      System.arraycopy(window, 1, window, 0, steps - 1);
      window[steps - 1] = next;
    });
    emit("CharLstm generate b1, 64-step window", "tokens/s", generate, 0);

    dev.kiln.runtime.model.SequenceGenerator generator = model.generator();
    int[] token = {(int) train.features()[0]};
    double carried = EndToEnd.timedThroughput(1, CHAR_LSTM_CARRIED_WARM_UP, CHAR_LSTM_CARRIED_GROUPS, i -> {
      float[] p = generator.feed(token[0]);
      int next = 0;
      for (int v = 1; v < vocabulary; v++) {
        if (p[v] > p[next]) {
          next = v;
        }
      }
      token[0] = next;
    });
    emit("CharLstm generate b1, carried state", "tokens/s", carried, 0);
  }

  /**
   * Whether the workloads named {@code name...} run when only those starting with one of the
   * comma-separated prefixes {@code only} do (all of them for an empty {@code only}).
   */
  private static boolean selected(String name, String only) {
    for (String prefix : only.split(",", -1)) {
      if (name.startsWith(prefix) || prefix.startsWith(name)) {
        return true;
      }
    }
    return false;
  }

  private static void fashionMlp(int threads, int epochs) throws Exception {
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
    // The trained model, so ONNX Runtime below runs exactly the network Kiln ran.
    emit("FashionMlp latency b1", "us", EndToEnd.latencyMicros(model, train, 20000), 0);
    emit("FashionMlp inference b128", "samples/s", EndToEnd.batchThroughput(model, train, 128), 0);
    onnxRuntime(model, "FashionMlp", train, threads, 20000, 2000, 200);
  }

  /** FashionCnn's second convolution: 32x13x13 → 64x11x11, 3x3, valid. */
  static final Conv2dGeometry FASHION_CNN_CONV2 = new Conv2dGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1);

  /** Batches per timed segment of the FashionCnn training row. */
  static final int CNN_SEGMENT_BATCHES = 40;

  /** Images of the FashionCnn warm-up pass (it also trains), before the timed segments. */
  static final int CNN_WARM_UP_IMAGES = 6000;

  /**
   * The FashionCnn rows. Training: a warm-up pass over the first {@value #CNN_WARM_UP_IMAGES} images
   * (which also trains), then one pass over the first {@code segments}·{@value #CNN_SEGMENT_BATCHES}
   * batches of 128 images timed in segments of {@value #CNN_SEGMENT_BATCHES} batches; the row is the
   * median segment's samples/s, and the accuracy row the test accuracy after those images.
   * torch_workloads.py times PyTorch the same way. (One timed epoch, as before 2026-12-07, was a
   * single sample of a machine whose speed drifts by tens of percent within minutes.) Then batch-1
   * latency and batch-128 throughput of the trained model. A CNN epoch costs about 30 times an MLP
   * epoch, so the inference rows take fewer batches than the MLP's (see
   * {@link EndToEnd#CNN_THROUGHPUT_WARM_UP}); torch_workloads.py does the same. ONNX Runtime then runs
   * the same trained network, exported, on the inference rows.
   */
  private static void fashionCnn(int threads, int segments) throws Exception {
    Dataset train = EndToEnd.trainingData();
    Dataset test = FashionMnist.test();
    FashionCnnModel model = new FashionCnnModel();
    int batch = 128, images = Math.min(train.rows(), segments * CNN_SEGMENT_BATCHES * batch);
    model.train(train.subset(0, CNN_WARM_UP_IMAGES), TrainOptions.epochs(1).quiet());
    SegmentTimer timer = new SegmentTimer(images / (CNN_SEGMENT_BATCHES * batch), CNN_SEGMENT_BATCHES);
    model.train(train.subset(0, images), TrainOptions.epochs(1).quiet().withCallbacks(timer));
    double[] rates = timer.samplesPerSecond(batch);
    emit("FashionCnn train", "samples/s", EndToEnd.median(rates), 0);
    StringBuilder list = new StringBuilder();
    for (double r : rates) {
      list.append(list.isEmpty() ? "" : ", ").append(Math.round(r));
    }
    System.err.println("FashionCnn train segments (Kiln): " + list + " samples/s");
    emit(String.format(Locale.ROOT, "FashionCnn test accuracy after %d + %d images", CNN_WARM_UP_IMAGES, images),
        "accuracy", model.evaluate(test).accuracy(), 0);
    emit("FashionCnn latency b1", "us", EndToEnd.latencyMicros(model, train, 20000), 0);
    float[] x = java.util.Arrays.copyOf(train.features(), 128 * model.spec().inputs());
    float[] out = new float[128 * model.spec().outputs()];
    emit("FashionCnn inference b128", "samples/s",
        EndToEnd.timedThroughput(128, EndToEnd.CNN_THROUGHPUT_WARM_UP, EndToEnd.CNN_THROUGHPUT_GROUPS,
            i -> model.predict(x, 128, out)), 0);
    onnxRuntime(model, "FashionCnn", train, threads, 20000, EndToEnd.CNN_THROUGHPUT_WARM_UP,
        EndToEnd.CNN_THROUGHPUT_GROUPS);
  }

  /** The convolution kernels of the {@code conv2 ... b128} rows. */
  enum ConvKernel {
    /** {@code y = relu(x ⋆ w + b)}, as the model's forward calls it. */
    FORWARD("forward"),
    /** {@code dx = dy ⋆ᵀ w}, overwriting dx, as the model's backward calls it. */
    BACKWARD_INPUT("backward-input"),
    /** {@code dw += Σ dy ⋆ x; db += Σ dy}, as the model's backward calls it. */
    BACKWARD_WEIGHTS("backward-weights");

    final String label;

    ConvKernel(String label) {
      this.label = label;
    }

    void run(Conv2dGeometry g, int n, float[] x, float[] w, float[] b, float[] y, float[] dx, float[] dw) {
      switch (this) {
        case FORWARD -> ConvKernels.forward(g, n, x, 0, w, 0, b, 0, Activation.RELU, 0f, y, 0, null, 0);
        case BACKWARD_INPUT -> ConvKernels.backwardInput(g, n, y, 0, w, 0, dx, 0, false);
        case BACKWARD_WEIGHTS -> ConvKernels.backwardParams(g, n, x, 0, y, 0, dw, 0, b, 0);
      }
    }
  }

  /**
   * Median GFLOP/s of one convolution kernel on a batch of {@code n} (each of the three does the
   * forward's {@code 2·n·outC·outH·outW·inC/groups·kH·kW} multiply-adds), over 15 timed samples of
   * about 0.2 s after 1.5 s of warm-up. The backward kernels read uniform random numbers as dy.
   */
  static double convGflops(ConvKernel kernel, Conv2dGeometry g, int n) {
    SplittableRandom r = new SplittableRandom(7);
    float[] x = new float[n * g.inSize()];
    float[] w = new float[g.weightSize()];
    float[] b = new float[g.outC()];
    float[] y = new float[n * g.outSize()];
    float[] dx = new float[n * g.inSize()];
    float[] dw = new float[g.weightSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextDouble() - 0.5) * 0.1f;
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (r.nextDouble() - 0.5);
    }
    double flops = g.flops(n);
    int reps = (int) Math.max(1, Math.min(100_000, 2e10 / flops)); // ~0.2 s a sample at 100 GFLOP/s
    long warmEnd = System.nanoTime() + 1_500_000_000L;
    while (System.nanoTime() < warmEnd) {
      kernel.run(g, n, x, w, b, y, dx, dw);
    }
    double[] samples = new double[15];
    for (int s = 0; s < samples.length; s++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        kernel.run(g, n, x, w, b, y, dx, dw);
      }
      samples[s] = flops * reps / (System.nanoTime() - t0);
    }
    return EndToEnd.median(samples);
  }

  /**
   * ONNX Runtime on the inference rows {@code name latency b1} ({@code latencyCalls} timed calls) and
   * {@code name inference b128} ({@code warmUp} batches, then {@code groups} timed groups of 10), the
   * protocol of Kiln's rows, after them (never overlapping them), with 1 and with {@code threads}
   * intra-op threads; the script credits it with its better setting per row. The exported graph is
   * checked to give Kiln's outputs first.
   */
  private static void onnxRuntime(Model model, String name, Dataset data, int threads, int latencyCalls,
      int warmUp, int groups) throws Exception {
    Path file = Files.createTempFile("kiln-compare-" + name, ".onnx");
    try {
      OnnxExport.write(model, file);
      int inputs = model.spec().inputs();
      int outputs = model.spec().outputs();
      int[] settings = threads > 1 ? new int[] {1, threads} : new int[] {1};
      for (int intra : settings) {
        try (OnnxRuntimePeer ort = new OnnxRuntimePeer(file, intra, model.spec().inputShape(), outputs)) {
          checkSameOutputs(model, ort, data, inputs, outputs);
          String config = "ONNX Runtime " + ort.version() + ", intra-op threads " + intra;
          emitPeer("onnxruntime", config, name + " latency b1", "us", ort.latencyMicros(data, latencyCalls));
          emitPeer("onnxruntime", config, name + " inference b128", "samples/s",
              ort.batchThroughput(data, 128, warmUp, groups));
        }
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Fails unless ONNX Runtime's outputs for the first 128 rows match Kiln's to 1e-4. */
  static void checkSameOutputs(Model model, OnnxRuntimePeer ort, Dataset data, int inputs, int outputs)
      throws Exception {
    int rows = 128;
    float[] x = java.util.Arrays.copyOf(data.features(), rows * inputs);
    float[] kiln = new float[rows * outputs];
    model.predict(x, rows, kiln);
    float[] peer = ort.outputs(x, rows);
    for (int i = 0; i < kiln.length; i++) {
      if (!(Math.abs(kiln[i] - peer[i]) <= 1e-4f)) {
        throw new IllegalStateException("ONNX Runtime's output " + i + " is " + peer[i] + ", Kiln's " + kiln[i]);
      }
    }
  }

  /**
   * The machine line: vector species and lanes, the register count and GEMM tile Kiln assumed,
   * HotSpot's UseAVX, the CPU model, the JVM and the thread count, as one JSON object.
   */
  static String machine(int threads) {
    return String.format(Locale.ROOT,
        "{\"machine\": {\"vector_bits\": %d, \"lanes\": %d, \"registers\": %d, \"gemm_tile\": \"%dx2\", "
            + "\"use_avx\": %d, \"cpu\": \"%s\", \"os_arch\": \"%s\", \"jvm\": \"%s\", \"threads\": %d, "
            + "\"cores\": %d, \"describe\": \"%s\"}}",
        VectorShape.FLOAT.vectorBitSize(), VectorShape.FLOAT.length(), VectorShape.REGISTERS, VectorShape.TILE_ROWS,
        useAvx(), jsonEscape(cpuModel()), jsonEscape(System.getProperty("os.arch", "?")),
        jsonEscape(System.getProperty("java.vm.name", "") + " " + Runtime.version()), threads,
        Runtime.getRuntime().availableProcessors(), jsonEscape(VectorShape.describe()));
  }

  /** HotSpot's {@code UseAVX} (3: AVX-512 in use, 2: AVX2), or -1 where the option cannot be read. */
  static int useAvx() {
    try {
      var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return Integer.parseInt(bean.getVMOption("UseAVX").getValue());
    } catch (RuntimeException | LinkageError e) {
      return -1;
    }
  }

  /**
   * The first "model name" of /proc/cpuinfo with its "cpu family" and "model" numbers and AVX-512 or
   * AVX2 (virtual machines often report only "AMD EPYC": family 25 is Zen 3/4, 26 Zen 5), else os.arch.
   */
  static String cpuModel() {
    try {
      String name = null, family = null, model = null, flags = "";
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          if (name != null) {
            break; // the end of the first processor's block
          }
          continue;
        }
        String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
        switch (key) {
          case "model name" -> name = value;
          case "cpu family" -> family = value;
          case "model" -> model = value;
          case "flags" -> flags = " " + value + " ";
          default -> { }
        }
      }
      if (name != null && !name.isBlank()) {
        String isa = flags.contains(" avx512f ") ? "AVX-512" : flags.contains(" avx2 ") ? "AVX2" : null;
        StringBuilder d = new StringBuilder(name);
        if (family != null && model != null) {
          d.append(", family ").append(family).append(" model ").append(model);
        }
        if (isa != null) {
          d.append(", ").append(isa);
        }
        return d.toString();
      }
    } catch (IOException | RuntimeException e) {
      // no /proc/cpuinfo (not Linux), or unreadable: fall through
    }
    return System.getProperty("os.arch", "unknown");
  }

  private static String jsonEscape(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Median GFLOP/s of C = A·B (row-major, m×k times k×n) over timed repeats after warm-up ({@link GemmTimes#gflops}). */
  static double gemmGflops(int m, int k, int n) {
    return GemmTimes.gflops("nn", m, k, n);
  }

  private static void emitPeer(String engine, String config, String workload, String unit, double value) {
    System.out.println(String.format(Locale.ROOT,
        "{\"engine\": \"%s\", \"config\": \"%s\", \"workload\": \"%s\", \"unit\": \"%s\", \"value\": %.6g}",
        engine, config, workload, unit, value));
    System.out.flush();
  }

  private static void emit(String workload, String unit, double value, double flops) {
    System.out.println(String.format(Locale.ROOT,
        "{\"workload\": \"%s\", \"unit\": \"%s\", \"value\": %.6g, \"flops\": %.0f, \"threads\": %d}",
        workload, unit, value, flops, Parallelism.threads()));
    System.out.flush();
  }
}
