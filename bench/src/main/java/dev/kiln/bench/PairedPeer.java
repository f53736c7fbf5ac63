package dev.kiln.bench;

import dev.kiln.onnx.OnnxExport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.VectorShape;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.FashionCnnModel;
import dev.kiln.samples.FashionMlpModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/compare --paired}: Kiln and PyTorch take turns segment by segment on the same
 * workloads, each side a warm process, so that both see the same machine states. The shared Zen 3
 * machine swings between states that last seconds (a FashionCnn training step read 26 ms in one
 * minute and 40 in another), so the ratio of two medians measured minutes apart moves by tens of
 * percent; the ratio of two segments run back to back does not see the slow minutes on one side only.
 *
 * <p>Each PyTorch configuration is one process ({@code torch_workloads.py --serve}) that answers a
 * request line naming a workload with one segment's figure; ONNX Runtime (1 and N intra-op threads)
 * runs in this JVM on the inference rows, on Kiln's network of that row exported when the row starts
 * (so both run the same weights; its outputs are checked against Kiln's first). For every pair and
 * every configuration Kiln runs a segment right before or right after that configuration's (the
 * order alternates pair by pair), after a pause that lets the other side's spinning threads go to
 * sleep. Printed per workload and configuration: Kiln's and the configuration's median, and the
 * median and quartiles of the per-pair ratios (> 1: Kiln is better); each peer's configuration with
 * the best median is marked (PyTorch's best, as in the main table). A ratio whose quartiles both lie
 * above 1 (or below) is a difference the noise does not explain.
 *
 * <p>The segments (the same on both sides; see torch_workloads.py): training, the next
 * {@value #CNN_SEGMENT_BATCHES} (FashionCnn) or {@value #MLP_SEGMENT_BATCHES} (FashionMlp) batches of
 * 128 of the training set, in chunks of a fixed permutation (after a warm-up pass: 6000 images for
 * the CNN, one epoch for the MLP); latency b1, the median microseconds of {@value #LATENCY_CALLS}
 * single-sample {@code predict} calls (20000 warm-up calls first); inference b128, the median
 * samples/s of {@value #MLP_THROUGHPUT_GROUPS} (MLP) or {@value #CNN_THROUGHPUT_GROUPS} (CNN) groups
 * of 10 batches of 128 (the main table's warm-up batches first). Inference runs on the model trained
 * so far.
 *
 * <p>Run (bench/compare builds the peer commands): {@code java --add-modules jdk.incubator.vector -cp
 * bench/target/benchmarks.jar dev.kiln.bench.PairedPeer threads pairs json workload[,workload...]
 * label=command...}, e.g. workloads {@code "FashionCnn train,FashionCnn latency b1"} and a peer
 * {@code "torch threads 2=OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/torch_workloads.py --serve
 * --torch-threads 2"}.
 */
public final class PairedPeer {
  private PairedPeer() {}

  static final int CNN_SEGMENT_BATCHES = Compare.CNN_SEGMENT_BATCHES;
  static final int MLP_SEGMENT_BATCHES = 100;
  static final int LATENCY_CALLS = 2000;
  static final int MLP_THROUGHPUT_GROUPS = 20;
  static final int CNN_THROUGHPUT_GROUPS = 5;
  /** The pause before each segment: OpenBLAS's idle threads spin for about 0.1 s, Kiln's for 0.2 ms. */
  private static final long PAUSE_MILLIS = 150;

  private static final Pattern VALUE = Pattern.compile("\"value\": ([-+0-9.eE]+)");

  /** One peer configuration that runs segments: a PyTorch process, or ONNX Runtime in this JVM. */
  private interface Side extends AutoCloseable {
    /** "PyTorch" or "ONNX Runtime": the best configuration is chosen within a peer. */
    String peer();

    String label();

    /** Whether this side runs {@code workload} (ONNX Runtime: the inference rows only). */
    boolean runs(String workload);

    double segment(String workload) throws Exception;
  }

  /** One PyTorch configuration: a process answering segment requests. */
  private static final class Peer implements Side {
    final String label;
    final Process process;
    final Writer in;
    final BufferedReader out;

    Peer(String label, String command) throws IOException {
      this.label = label;
      this.process = new ProcessBuilder("bash", "-c", "exec " + command)
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public String peer() {
      return "PyTorch";
    }

    @Override
    public String label() {
      return label;
    }

    @Override
    public boolean runs(String workload) {
      return true;
    }

    @Override
    public double segment(String workload) throws IOException {
      in.write(workload + "\n");
      in.flush();
      String line = out.readLine();
      if (line == null) {
        throw new IOException("PyTorch peer '" + label + "' exited before answering '" + workload + "'");
      }
      Matcher m = VALUE.matcher(line);
      if (!m.find()) {
        throw new IOException("PyTorch peer '" + label + "' answered '" + workload + "' with: " + line);
      }
      return Double.parseDouble(m.group(1));
    }

    @Override
    public void close() throws IOException {
      in.close();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroy();
      }
    }
  }

  /**
   * ONNX Runtime with {@code intraOpThreads} intra-op threads, in this JVM, on the inference rows: Kiln's
   * network of that row as trained so far, exported when the row first runs (so both run the same
   * weights), timed with the same segments as Kiln (see {@link OnnxRuntimePeer}).
   */
  private static final class OrtSide implements Side {
    final int intraOpThreads;
    final Map<String, Served> served;
    final Dataset data;
    final Map<String, OnnxRuntimePeer> sessions = new LinkedHashMap<>();
    final Set<String> warm = new HashSet<>();
    String version = "";

    OrtSide(int intraOpThreads, Map<String, Served> served, Dataset data) {
      this.intraOpThreads = intraOpThreads;
      this.served = served;
      this.data = data;
    }

    @Override
    public String peer() {
      return "ONNX Runtime";
    }

    @Override
    public String label() {
      return "ONNX Runtime " + version + ", intra-op threads " + intraOpThreads;
    }

    @Override
    public boolean runs(String workload) {
      return !workload.endsWith(" train");
    }

    @Override
    public double segment(String workload) throws Exception {
      String name = workload.substring(0, workload.indexOf(' '));
      String row = workload.substring(workload.indexOf(' ') + 1);
      OnnxRuntimePeer ort = sessions.get(name);
      if (ort == null) {
        Model model = served.get(name).model;
        Path file = Files.createTempFile("kiln-paired-" + name, ".onnx");
        try {
          OnnxExport.write(model, file);
          ort = new OnnxRuntimePeer(file, intraOpThreads, model.spec().inputShape(), model.spec().outputs());
        } finally {
          Files.deleteIfExists(file);
        }
        Compare.checkSameOutputs(model, ort, data, model.spec().inputs(), model.spec().outputs());
        sessions.put(name, ort);
        version = ort.version();
      }
      boolean first = warm.add(workload);
      if (row.equals("latency b1")) {
        return ort.latencyMicros(data, first ? 20000 : 0, LATENCY_CALLS);
      }
      boolean mlp = name.equals("FashionMlp");
      return ort.batchThroughput(data, 128, first ? (mlp ? 2000 : EndToEnd.CNN_THROUGHPUT_WARM_UP) : 0,
          mlp ? MLP_THROUGHPUT_GROUPS : CNN_THROUGHPUT_GROUPS);
    }

    @Override
    public void close() throws Exception {
      for (OnnxRuntimePeer ort : sessions.values()) {
        ort.close();
      }
    }
  }

  /** Kiln's side of one network: the model, trained segment by segment, and its inference inputs. */
  private static final class Served {
    final Model model;
    final Dataset[] chunks;
    final float[][] samples = new float[256][];
    final float[] batch;
    final float[] out;
    final int groups;
    final int warmUpBatches;
    int next;
    boolean latencyWarm;
    boolean throughputWarm;

    Served(String name, Dataset train) {
      boolean mlp = name.equals("FashionMlp");
      model = mlp ? new FashionMlpModel() : new FashionCnnModel();
      int warm = mlp ? train.rows() : Compare.CNN_WARM_UP_IMAGES;
      model.train(train.subset(0, warm), TrainOptions.epochs(1).quiet());
      int images = (mlp ? MLP_SEGMENT_BATCHES : CNN_SEGMENT_BATCHES) * 128;
      int[] perm = EpochOrder.permutation(1, 0, train.rows());
      chunks = new Dataset[train.rows() / images];
      for (int c = 0; c < chunks.length; c++) {
        chunks[c] = train.subset(Arrays.copyOfRange(perm, c * images, (c + 1) * images));
      }
      for (int i = 0; i < samples.length; i++) {
        samples[i] = train.row(i);
      }
      batch = Arrays.copyOf(train.features(), 128 * model.spec().inputs());
      out = new float[128 * model.spec().outputs()];
      groups = mlp ? MLP_THROUGHPUT_GROUPS : CNN_THROUGHPUT_GROUPS;
      warmUpBatches = mlp ? 2000 : EndToEnd.CNN_THROUGHPUT_WARM_UP;
    }

    double segment(String row) throws Exception {
      switch (row) {
        case "train" -> {
          // Timed from the first batch's start to the last batch's end, as the main table's segments
          // (not train's checks of the chunk before its first batch, which a whole epoch pays once).
          Dataset chunk = chunks[next];
          next = (next + 1) % chunks.length;
          int batches = chunk.rows() / 128;
          SegmentTimer timer = new SegmentTimer(1, batches);
          model.train(chunk, TrainOptions.epochs(1).quiet().withCallbacks(timer));
          return timer.samplesPerSecond(128)[0];
        }
        case "latency b1" -> {
          int warmUp = latencyWarm ? 0 : 20000;
          latencyWarm = true;
          return EndToEnd.timedLatencyMicros(warmUp, LATENCY_CALLS, i -> model.predict(samples[i % samples.length]));
        }
        case "inference b128" -> {
          int warmUp = throughputWarm ? 0 : warmUpBatches;
          throughputWarm = true;
          return EndToEnd.timedThroughput(128, warmUp, groups, i -> model.predict(batch, 128, out));
        }
        default -> throw new IllegalArgumentException("unknown workload row '" + row + "'");
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: PairedPeer threads pairs json workload[,workload...] label=command...");
      System.exit(2);
    }
    Parallelism.setThreads(Integer.parseInt(args[0]));
    int pairs = Integer.parseInt(args[1]);
    boolean json = Boolean.parseBoolean(args[2]);
    String[] workloads = args[3].split(",");
    List<Side> sides = new ArrayList<>();
    try {
      for (int i = 4; i < args.length; i++) {
        int eq = args[i].indexOf('=');
        sides.add(new Peer(args[i].substring(0, eq), args[i].substring(eq + 1)));
      }
      Dataset train = EndToEnd.trainingData();
      Map<String, Served> served = new LinkedHashMap<>();
      sides.add(new OrtSide(1, served, train));
      if (Parallelism.threads() > 1) {
        sides.add(new OrtSide(Parallelism.threads(), served, train));
      }
      if (!json) {
        System.out.printf(Locale.ROOT, "Kiln %d threads, %s, %d-bit species, %d registers; %d pairs per peer configuration%n",
            Parallelism.threads(), Compare.cpuModel(), VectorShape.FLOAT.vectorBitSize(), VectorShape.REGISTERS, pairs);
      }
      for (String workload : workloads) {
        String name = workload.substring(0, workload.indexOf(' '));
        String row = workload.substring(workload.indexOf(' ') + 1);
        Served kiln = served.computeIfAbsent(name, n -> new Served(n, train));
        List<Side> active = sides.stream().filter(side -> side.runs(workload)).toList();
        double[][] kilnValues = new double[active.size()][pairs];
        double[][] peerValues = new double[active.size()][pairs];
        // Warm-ups (the first segment of each side is not timed into the pairs).
        kiln.segment(row);
        for (Side side : active) {
          side.segment(workload);
        }
        for (int i = 0; i < pairs; i++) {
          for (int c = 0; c < active.size(); c++) {
            Side side = active.get(c);
            if (i % 2 == 0) {
              Thread.sleep(PAUSE_MILLIS);
              kilnValues[c][i] = kiln.segment(row);
              Thread.sleep(PAUSE_MILLIS);
              peerValues[c][i] = side.segment(workload);
            } else {
              Thread.sleep(PAUSE_MILLIS);
              peerValues[c][i] = side.segment(workload);
              Thread.sleep(PAUSE_MILLIS);
              kilnValues[c][i] = kiln.segment(row);
            }
          }
        }
        report(workload, row.startsWith("latency"), json, active, kilnValues, peerValues);
      }
    } finally {
      for (Side side : sides) {
        side.close();
      }
    }
  }

  private static void report(String workload, boolean latency, boolean json, List<Side> sides,
      double[][] kilnValues, double[][] peerValues) {
    String unit = latency ? "us" : "samples/s";
    Map<String, Integer> best = new LinkedHashMap<>();
    for (int c = 0; c < sides.size(); c++) {
      Integer b = best.get(sides.get(c).peer());
      double m = EndToEnd.median(peerValues[c]);
      if (b == null || (latency ? m < EndToEnd.median(peerValues[b]) : m > EndToEnd.median(peerValues[b]))) {
        best.put(sides.get(c).peer(), c);
      }
    }
    for (int c = 0; c < sides.size(); c++) {
      Side side = sides.get(c);
      boolean isBest = best.get(side.peer()) == c;
      int n = kilnValues[c].length;
      double[] ratios = new double[n];
      for (int i = 0; i < n; i++) {
        ratios[i] = latency ? peerValues[c][i] / kilnValues[c][i] : kilnValues[c][i] / peerValues[c][i];
      }
      double[] q = quartiles(ratios);
      double kilnMedian = EndToEnd.median(kilnValues[c]), peerMedian = EndToEnd.median(peerValues[c]);
      if (json) {
        System.out.printf(Locale.ROOT,
            "{\"workload\": \"%s\", \"unit\": \"%s\", \"kiln\": %.6g, \"peer\": \"%s\", \"peer_value\": %.6g, "
                + "\"peer_config\": \"%s\", \"best\": %b, \"pairs\": %d, \"ratio\": %.4f, \"ratio_q1\": %.4f, "
                + "\"ratio_q3\": %.4f}%n",
            workload, unit, kilnMedian, side.peer(), peerMedian, side.label(), isBest, n, q[1], q[0], q[2]);
      } else {
        System.out.printf(Locale.ROOT, "%-26s %-9s Kiln %10.1f  %-12s %10.1f  paired ratio %.2fx (quartiles %.2f-%.2f)%s  [%s]%n",
            workload, unit, kilnMedian, side.peer(), peerMedian, q[1], q[0], q[2],
            isBest ? "  <- " + side.peer() + "'s best" : "", side.label());
      }
    }
    System.out.flush();
  }

  /** The first quartile, median and third quartile of v (medians of the lower and upper halves). */
  static double[] quartiles(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int h = s.length / 2;
    double[] lower = Arrays.copyOfRange(s, 0, Math.max(1, h));
    double[] upper = Arrays.copyOfRange(s, s.length - Math.max(1, h), s.length);
    return new double[] {EndToEnd.median(lower), EndToEnd.median(s), EndToEnd.median(upper)};
  }
}
