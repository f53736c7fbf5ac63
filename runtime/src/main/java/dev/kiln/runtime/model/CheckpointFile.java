package dev.kiln.runtime.model;

import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.SafeTensorsFormatException;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.CallbackState;
import dev.kiln.runtime.train.EpochProgress;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.GradientNorms;
import dev.kiln.runtime.train.History;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The training checkpoint format: a safetensors file whose tensors are the weights (under the same
 * names as {@link CompiledModel#save}, so {@code load} reads a checkpoint's weights too), the
 * optimizer's buffers ({@code optimizer.state.0}, ... in arena layout: Adam's first and second
 * moments, SGD's momentum buffer) and callbacks' arrays ({@code callback.<key>.<name>}); and whose
 * metadata holds the epoch, optimizer step count and learning rate, dropout random state, shuffle
 * seed, batch size, history, callbacks' numbers, the calibration temperature and
 * out-of-distribution rule when set (see {@link ModelTrust}), and a SHA-256 over all of it.
 *
 * <p>The history is one row per epoch, rows separated by {@code ;}: the seven numbers of
 * {@link EpochStats} separated by {@code ,}, then the extra metrics as {@code name=value} (none in
 * checkpoints written before extra metrics existed, which still read), then, when gradient norms were
 * recorded, {@code grad_norm:=total} and {@code grad_norm:<layer>=value} for each layer (metric names
 * cannot hold a colon).
 *
 * <p>Inside an epoch (format version 2): {@code kiln.epoch} still counts the finished epochs, and
 * {@code kiln.epoch.batches_done} with the running sums of the next epoch ({@link EpochProgress})
 * say where in it the run stood. A stateful network's carried recurrent states are the tensor
 * {@code state.carried} {@code [rows, floats per row]} with {@code kiln.state.rows}, in either
 * version. A checkpoint with neither is written as version 1, which older runtimes read; this one
 * reads both (a version 1 checkpoint resumes at an epoch boundary with zero states).
 */
final class CheckpointFile {
  static final String VERSION = "1";
  /** The version of checkpoints that hold a position inside an epoch or carried states. */
  static final String VERSION_2 = "2";
  static final String META_BATCHES_DONE = "kiln.epoch.batches_done";
  static final String META_EPOCH_PROGRESS = "kiln.epoch.progress";
  static final String META_STATE_ROWS = "kiln.state.rows";
  static final String STATE_TENSOR = "state.carried";
  static final String META_CHECKPOINT = "kiln.checkpoint";
  static final String META_EPOCH = "kiln.epoch";
  static final String META_BATCH_SIZE = "kiln.batch_size";
  static final String META_SHUFFLE_SEED = "kiln.shuffle_seed";
  static final String META_SHUFFLE = "kiln.shuffle";
  static final String META_OPTIMIZER = "kiln.optimizer";
  static final String META_OPTIMIZER_STEPS = "kiln.optimizer.steps";
  static final String META_LEARNING_RATE = "kiln.optimizer.learning_rate";
  static final String META_DROPOUT_RNG = "kiln.rng.dropout";
  static final String META_HISTORY = "kiln.history";
  static final String META_CALLBACK = "kiln.callback.";
  static final String META_CHECKSUM = "kiln.checkpoint_sha256";
  static final String OPTIMIZER_TENSOR = "optimizer.state.";
  static final String CALLBACK_TENSOR = "callback.";
  /** Prefix of the gradient norms in a history row: {@code grad_norm:} (total), {@code grad_norm:<layer>}. */
  static final String GRAD_NORM = "grad_norm:";
  static final String UPDATE_RATIO = "update_ratio:";

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_]+");

  private CheckpointFile() {}

  /** What a checkpoint restores besides the arrays it writes in place. */
  record Resume(
      int epoch,
      int batchSize,
      long shuffleSeed,
      boolean shuffle,
      History history,
      Map<String, CallbackState> callbacks,
      EpochProgress progress,
      float[] carriedStates,
      int stateRows,
      ModelTrust.Settings trust) {
    /** Batches of epoch {@code epoch + 1} already trained (0 at an epoch boundary). */
    int batchesDone() {
      return progress == null ? 0 : progress.batchesDone();
    }
  }

  /** Everything a checkpoint saves. */
  record State(
      int epoch,
      int batchSize,
      long shuffleSeed,
      boolean shuffle,
      long dropoutRngState,
      History history,
      Map<String, CallbackState> callbacks,
      EpochProgress progress,
      float[] carriedStates,
      int stateRows) {
    /** A checkpoint at an epoch boundary of a network without carried states. */
    State(int epoch, int batchSize, long shuffleSeed, boolean shuffle, long dropoutRngState, History history,
        Map<String, CallbackState> callbacks) {
      this(epoch, batchSize, shuffleSeed, shuffle, dropoutRngState, history, callbacks, null, new float[0], 0);
    }
  }

  static void write(
      Path file, ModelSpec spec, float[] params, Optimizer optimizer, State state, ModelTrust.Settings trust)
      throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(CompiledModel.META_NETWORK, spec.network());
    meta.put(CompiledModel.META_ARCHITECTURE, spec.architecture());
    meta.put(CompiledModel.META_ARCHITECTURE_HASH, spec.architectureHash());
    boolean v2 = state.progress() != null || state.stateRows() > 0;
    meta.put(META_CHECKPOINT, v2 ? VERSION_2 : VERSION);
    meta.put(META_EPOCH, Integer.toString(state.epoch()));
    meta.put(META_BATCH_SIZE, Integer.toString(state.batchSize()));
    meta.put(META_SHUFFLE_SEED, Long.toString(state.shuffleSeed()));
    meta.put(META_SHUFFLE, Boolean.toString(state.shuffle()));
    meta.put(META_OPTIMIZER, spec.optimizer().kind());
    meta.put(META_OPTIMIZER_STEPS, Long.toString(optimizer.steps()));
    meta.put(META_LEARNING_RATE, Float.toString(optimizer.learningRate()));
    meta.put(META_DROPOUT_RNG, Long.toString(state.dropoutRngState()));
    meta.put(META_HISTORY, historyText(state.history()));
    EpochProgress progress = state.progress();
    if (progress != null) {
      meta.put(META_BATCHES_DONE, Integer.toString(progress.batchesDone()));
      // The loss sum as its exact bits: the resumed epoch's mean loss must be the uninterrupted one's.
      meta.put(META_EPOCH_PROGRESS, Long.toHexString(Double.doubleToRawLongBits(progress.lossSum())) + ","
          + progress.samplesSeen() + "," + progress.correct() + "," + progress.accuracyCorrect() + ","
          + progress.accuracyCount());
    }
    if (state.stateRows() > 0) {
      meta.put(META_STATE_ROWS, Integer.toString(state.stateRows()));
    }
    trust.writeTo(meta);

    List<Tensor> tensors = new ArrayList<>();
    for (ParamSpec p : spec.parameters()) {
      tensors.add(new Tensor(p.name(), p.shape(), params, p.offset(), p.length()));
    }
    float[][] buffers = optimizer.state();
    for (int i = 0; i < buffers.length; i++) {
      tensors.add(Tensor.of(OPTIMIZER_TENSOR + i, buffers[i], buffers[i].length));
    }
    if (state.stateRows() > 0) {
      float[] carried = state.carriedStates();
      tensors.add(new Tensor(STATE_TENSOR, new int[] {state.stateRows(), carried.length / state.stateRows()}, carried, 0,
          carried.length));
    }
    for (Map.Entry<String, CallbackState> e : state.callbacks().entrySet()) {
      String key = e.getKey();
      if (!KEY.matcher(key).matches()) {
        throw new IllegalArgumentException(
            "callback state key '" + key + "' must be letters, digits and '_'");
      }
      StringBuilder numbers = new StringBuilder();
      for (Map.Entry<String, String> n : e.getValue().numbers().entrySet()) {
        numbers.append(numbers.isEmpty() ? "" : ";").append(n.getKey()).append('=').append(n.getValue());
      }
      meta.put(META_CALLBACK + key, numbers.toString());
      for (Map.Entry<String, float[]> a : e.getValue().arrays().entrySet()) {
        tensors.add(Tensor.of(CALLBACK_TENSOR + key + "." + a.getKey(), a.getValue(), a.getValue().length));
      }
    }
    Map<String, float[]> data = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (Tensor t : tensors) {
      data.put(t.name(), Arrays.copyOfRange(t.data(), t.offset(), t.offset() + t.length()));
      shapes.put(t.name(), t.shape());
    }
    meta.put(META_CHECKSUM, checksum(meta, data, shapes));
    SafeTensors.write(file, meta, tensors);
  }

  /**
   * Reads and checks {@code file} completely, then writes its weights, optimizer state and random
   * state into the given objects. Nothing is changed if any check fails.
   *
   * @throws CheckpointException if the file is truncated, corrupt or not a checkpoint
   * @param shuffle the resuming run's {@code TrainOptions.shuffle()}, which must match the checkpoint's
   * @throws IllegalArgumentException naming both networks if it belongs to another architecture, or
   *     if it was written by a run with the other shuffle setting
   */
  static Resume read(
      Path file, ModelSpec spec, float[] params, Optimizer optimizer, long[] rngState, boolean shuffle)
      throws IOException {
    Map<String, String> meta;
    Map<String, float[]> data = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      meta = f.metadata();
      if (!meta.containsKey(META_CHECKPOINT)) {
        throw new CheckpointException(
            file,
            meta.containsKey(CompiledModel.META_NETWORK)
                ? "holds only the weights of '" + meta.get(CompiledModel.META_NETWORK)
            + "' (written by save()), not a training checkpoint; read it with load(), or "
            + "write checkpoints with saveCheckpoint() or ModelCheckpoint"
                : "is not a Kiln training checkpoint (no " + META_CHECKPOINT + " metadata)",
            null);
      }
      for (String name : f.names()) {
        if (!f.dtype(name).equals("F32")) {
          throw new CheckpointException(file, "tensor '" + name + "' has dtype " + f.dtype(name)
              + "; checkpoints hold F32 only (corrupt?)", null);
        }
        data.put(name, f.data(name));
        shapes.put(name, f.shape(name));
      }
    } catch (SafeTensorsFormatException e) {
      throw new CheckpointException(
          file, "not a readable checkpoint (truncated or corrupt): " + e.getMessage(), e);
    }
    String stored = meta.get(META_CHECKSUM);
    if (stored == null) {
      throw new CheckpointException(file, "has no " + META_CHECKSUM + " entry (corrupt?)", null);
    }
    String actual = checksum(meta, data, shapes);
    if (!stored.equals(actual)) {
      throw new CheckpointException(
          file,
          "is corrupt: its SHA-256 checksum does not match its contents (the file was changed or "
              + "damaged after it was written); use an earlier checkpoint",
          null);
    }
    if (!VERSION.equals(meta.get(META_CHECKPOINT)) && !VERSION_2.equals(meta.get(META_CHECKPOINT))) {
      throw new CheckpointException(
          file, "has checkpoint format version " + meta.get(META_CHECKPOINT) + "; this runtime reads "
              + VERSION + " and " + VERSION_2, null);
    }
    String hash = meta.get(CompiledModel.META_ARCHITECTURE_HASH);
    if (!spec.architectureHash().equals(hash)) {
      throw new IllegalArgumentException(
          "cannot resume " + spec.network() + " [" + spec.architecture() + "] from " + file
              + ": it is a checkpoint of network '" + meta.getOrDefault(CompiledModel.META_NETWORK, "?")
              + "' [" + meta.getOrDefault(CompiledModel.META_ARCHITECTURE, "?") + "]");
    }
    String kind = meta.get(META_OPTIMIZER);
    if (!spec.optimizer().kind().equals(kind)) {
      throw new IllegalArgumentException(
          "cannot resume " + spec.network() + " from " + file + ": the checkpoint holds " + kind
              + " optimizer state, but " + spec.network() + " declares " + spec.optimizer().kind());
    }

    // Stage everything, then commit.
    float[] stagedParams = params.clone();
    for (ParamSpec p : spec.parameters()) {
      float[] t = data.get(p.name());
      if (t == null || !Arrays.equals(shapes.get(p.name()), p.shape())) {
        throw new CheckpointException(file, "tensor '" + p.name() + "' is missing or has the wrong shape", null);
      }
      System.arraycopy(t, 0, stagedParams, p.offset(), p.length());
    }
    float[][] buffers = optimizer.state();
    float[][] stagedBuffers = new float[buffers.length][];
    for (int i = 0; i < buffers.length; i++) {
      float[] t = data.get(OPTIMIZER_TENSOR + i);
      if (t == null || t.length != buffers[i].length) {
        throw new CheckpointException(
            file, "optimizer buffer " + OPTIMIZER_TENSOR + i + " is missing or has "
                + (t == null ? 0 : t.length) + " floats instead of " + buffers[i].length, null);
      }
      stagedBuffers[i] = t;
    }
    int epoch = intValue(file, meta, META_EPOCH);
    int batchSize = intValue(file, meta, META_BATCH_SIZE);
    long shuffleSeed = longValue(file, meta, META_SHUFFLE_SEED);
    long steps = longValue(file, meta, META_OPTIMIZER_STEPS);
    long rng = longValue(file, meta, META_DROPOUT_RNG);
    if (batchSize < 1) {
      throw new CheckpointException(file, META_BATCH_SIZE + " must be at least 1, got " + batchSize, null);
    }
    if (steps < 0) {
      throw new CheckpointException(file, META_OPTIMIZER_STEPS + " must be at least 0, got " + steps, null);
    }
    float lr;
    try {
      lr = Float.parseFloat(meta.getOrDefault(META_LEARNING_RATE, ""));
    } catch (NumberFormatException e) {
      throw new CheckpointException(file, META_LEARNING_RATE + " is not a number", e);
    }
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new CheckpointException(file, META_LEARNING_RATE + " must be a finite number >= 0, got " + lr, null);
    }
    // Checkpoints written before withShuffle existed were always shuffled.
    String shuffleText = meta.getOrDefault(META_SHUFFLE, "true");
    if (!shuffleText.equals("true") && !shuffleText.equals("false")) {
      throw new CheckpointException(file, META_SHUFFLE + " must be true or false, got " + shuffleText, null);
    }
    if (Boolean.parseBoolean(shuffleText) != shuffle) {
      throw new IllegalArgumentException(
          "cannot resume " + spec.network() + " from " + file + ": it was written by a run "
              + (shuffle ? "with withShuffle(false)" : "that shuffled") + ", but this run "
              + (shuffle ? "shuffles" : "has withShuffle(false)") + "; use the same setting");
    }
    History history = parseHistory(file, meta.getOrDefault(META_HISTORY, ""));
    EpochProgress progress = meta.containsKey(META_BATCHES_DONE) ? parseProgress(file, meta) : null;
    int stateRows = 0;
    float[] carried = null;
    if (meta.containsKey(META_STATE_ROWS)) {
      stateRows = intValue(file, meta, META_STATE_ROWS);
      carried = data.get(STATE_TENSOR);
      int perRow = new CarriedStates(spec).floatsPerRow();
      if (carried == null || stateRows < 1 || carried.length != (long) stateRows * perRow) {
        throw new CheckpointException(file, "tensor '" + STATE_TENSOR + "' is missing or does not hold "
            + stateRows + " rows of " + perRow + " carried-state floats", null);
      }
    }
    ModelTrust.Settings trust;
    try {
      trust = ModelTrust.Settings.readFrom(file, meta);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(file, e.getMessage(), e);
    }
    Map<String, CallbackState> callbacks = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : meta.entrySet()) {
      if (e.getKey().startsWith(META_CALLBACK)) {
        String key = e.getKey().substring(META_CALLBACK.length());
        callbacks.put(key, parseCallback(file, key, e.getValue(), data));
      }
    }

    System.arraycopy(stagedParams, 0, params, 0, params.length);
    for (int i = 0; i < buffers.length; i++) {
      System.arraycopy(stagedBuffers[i], 0, buffers[i], 0, buffers[i].length);
    }
    optimizer.setSteps(steps);
    optimizer.setLearningRate(lr);
    rngState[0] = rng;
    return new Resume(epoch, batchSize, shuffleSeed, Boolean.parseBoolean(shuffleText), history, callbacks, progress,
        carried, stateRows, trust);
  }

  private static EpochProgress parseProgress(Path file, Map<String, String> meta) throws CheckpointException {
    int batches = intValue(file, meta, META_BATCHES_DONE);
    String text = meta.getOrDefault(META_EPOCH_PROGRESS, "");
    String[] f = text.split(",");
    try {
      if (f.length != 5) {
        throw new NumberFormatException("expected 5 fields");
      }
      return new EpochProgress(batches, Double.longBitsToDouble(Long.parseUnsignedLong(f[0], 16)),
          Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]));
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(file, META_EPOCH_PROGRESS + " '" + text + "' is malformed", e);
    }
  }

  private static CallbackState parseCallback(
      Path file, String key, String numbers, Map<String, float[]> data) throws CheckpointException {
    CallbackState s = new CallbackState();
    try {
      if (!numbers.isEmpty()) {
        for (String pair : numbers.split(";")) {
          int eq = pair.indexOf('=');
          if (eq < 0) {
            throw new IllegalArgumentException("'" + pair + "' is not name=value");
          }
          s.putNumberText(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
      String prefix = CALLBACK_TENSOR + key + ".";
      for (Map.Entry<String, float[]> t : data.entrySet()) {
        if (t.getKey().startsWith(prefix)) {
          s.putFloats(t.getKey().substring(prefix.length()), t.getValue());
        }
      }
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(file, "state of callback '" + key + "': " + e.getMessage(), e);
    }
    return s;
  }

  static String historyText(History history) {
    StringBuilder s = new StringBuilder();
    for (EpochStats e : history.epochs()) {
      s.append(s.isEmpty() ? "" : ";")
          .append(e.epoch()).append(',')
          .append(e.loss()).append(',')
          .append(e.accuracy()).append(',')
          .append(e.validationLoss()).append(',')
          .append(e.validationAccuracy()).append(',')
          .append(e.seconds()).append(',')
          .append(e.samplesPerSecond());
      for (Map.Entry<String, Double> m : e.metrics().entrySet()) {
        s.append(',').append(m.getKey()).append('=').append(m.getValue());
      }
      GradientNorms g = e.gradientNorms();
      if (g != null) {
        s.append(',').append(GRAD_NORM).append('=').append(g.total());
        for (Map.Entry<String, Double> l : g.layers().entrySet()) {
          s.append(',').append(GRAD_NORM).append(l.getKey()).append('=').append(l.getValue());
        }
        for (Map.Entry<String, Double> l : g.updateRatios().entrySet()) {
          s.append(',').append(UPDATE_RATIO).append(l.getKey()).append('=').append(l.getValue());
        }
      }
    }
    return s.toString();
  }

  static History parseHistory(Path file, String text) throws CheckpointException {
    History h = new History();
    if (text.isEmpty()) {
      return h;
    }
    for (String row : text.split(";")) {
      String[] f = row.split(",");
      try {
        if (f.length < 7) {
          throw new NumberFormatException("7 fields expected");
        }
        // Rows of checkpoints written before extra metrics existed have exactly the 7 numbers.
        Map<String, Double> metrics = new LinkedHashMap<>();
        Map<String, Double> layerNorms = new LinkedHashMap<>();
        Map<String, Double> ratios = new LinkedHashMap<>();
        double totalNorm = Double.NaN;
        boolean norms = false;
        for (int i = 7; i < f.length; i++) {
          int eq = f[i].indexOf('=');
          String name = eq < 0 ? "" : f[i].substring(0, eq);
          if (name.startsWith(UPDATE_RATIO)) {
            ratios.put(name.substring(UPDATE_RATIO.length()), Double.parseDouble(f[i].substring(eq + 1)));
            continue;
          }
          if (name.startsWith(GRAD_NORM)) {
            String layer = name.substring(GRAD_NORM.length());
            double v = Double.parseDouble(f[i].substring(eq + 1));
            if (layer.isEmpty()) {
              totalNorm = v;
              norms = true;
            } else {
              layerNorms.put(layer, v);
            }
            continue;
          }
          if (eq < 1 || !KEY.matcher(name).matches()) {
            throw new NumberFormatException("'" + f[i] + "' is not name=value");
          }
          metrics.put(name, Double.parseDouble(f[i].substring(eq + 1)));
        }
        if (!norms && !(layerNorms.isEmpty() && ratios.isEmpty())) {
          throw new NumberFormatException("layer gradient norms without " + GRAD_NORM + "=");
        }
        h.add(
            new EpochStats(
                Integer.parseInt(f[0]),
                Double.parseDouble(f[1]),
                Double.parseDouble(f[2]),
                Double.parseDouble(f[3]),
                Double.parseDouble(f[4]),
                Double.parseDouble(f[5]),
                Double.parseDouble(f[6]),
                metrics,
                norms ? new GradientNorms(totalNorm, layerNorms, ratios) : null));
      } catch (NumberFormatException e) {
        throw new CheckpointException(file, "history row '" + row + "' is malformed", e);
      }
    }
    return h;
  }

  private static long longValue(Path file, Map<String, String> meta, String key)
      throws CheckpointException {
    String v = meta.get(key);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new CheckpointException(file, key + " is missing or not an integer: " + v, e);
    }
  }

  private static int intValue(Path file, Map<String, String> meta, String key)
      throws CheckpointException {
    long v = longValue(file, meta, key);
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw new CheckpointException(file, key + " is out of range: " + v, null);
    }
    return (int) v;
  }

  /**
   * SHA-256 over the metadata (except the checksum itself) and every tensor's name, shape and
   * little-endian float bits, all in sorted name order so that it does not depend on file order.
   */
  static String checksum(Map<String, String> meta, Map<String, float[]> data, Map<String, int[]> shapes) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
    for (Map.Entry<String, String> e : new TreeMap<>(meta).entrySet()) {
      if (!e.getKey().equals(META_CHECKSUM)) {
        md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 14).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, float[]> e : new TreeMap<>(data).entrySet()) {
      md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      for (int d : shapes.get(e.getKey())) {
        buf.clear();
        md.update(buf.putInt(d).flip());
      }
      float[] a = e.getValue();
      for (int i = 0; i < a.length; ) {
        buf.clear();
        while (i < a.length && buf.remaining() >= 4) {
          buf.putInt(Float.floatToRawIntBits(a[i++]));
        }
        md.update(buf.flip());
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
