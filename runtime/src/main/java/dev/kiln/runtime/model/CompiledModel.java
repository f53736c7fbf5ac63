package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.kernels.ThreadTuner;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.RegressionMetrics;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingDivergedException;
import dev.kiln.runtime.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Base class of every generated model. It owns the three arenas and everything that does not
 * depend on the architecture (training loop, evaluation, persistence, summary); the generated
 * subclass supplies the shape-specialized {@link #forward} and {@link #computeLoss}.
 *
 * <p>Arenas: {@link #params} and {@link #grads} hold every parameter tensor at the offsets of
 * {@link ModelSpec#parameters()}; {@link #activations} holds every activation tensor of a batch of
 * up to {@link #capacity} samples, tensor {@code t} at {@code capacity * perSampleOffset(t)}, followed
 * by the tensors whose size does not depend on the batch (per-batch statistics);
 * {@link #intActivations} holds the integer tensors (pooling indices) the same way. The input batch
 * always sits at offset 0. Buffers grow only when a larger batch is first used, so a
 * training step allocates nothing.
 */
public abstract class CompiledModel implements Model {
  private static final long DROPOUT_STREAM = 0x9E3779B97F4A7C15L;

  private final ModelSpec spec;
  private final long seed;

  /** Parameter arena. */
  protected final float[] params;

  /** Gradient arena, same layout as {@link #params}; cleared at the start of every step. */
  protected final float[] grads;

  /** Activation arena for {@link #capacity} samples. */
  protected float[] activations = new float[0];

  /** Integer arena (pooling indices) for {@link #capacity} samples. */
  protected int[] intActivations = new int[0];

  /** Batch capacity of {@link #activations}, {@link #labels} and {@link #targets}. */
  protected int capacity;

  /** Class labels of the current batch (classification losses). */
  protected int[] labels = new int[0];

  /** Targets of the current batch, row-major [capacity, outputs] (BCE: 0/1, MSE: values). */
  protected float[] targets = new float[0];

  /** Random stream of the dropout masks; its state is saved in checkpoints. */
  protected SplitMix64 dropoutRng;

  private Optimizer optimizer;
  private TrainingRun run;
  private int[] identityOrder = new int[0];
  private final TrainableLayers trainable;

  /**
   * Allocates the arenas and initialises the parameters from {@code seed}.
   *
   * @param spec the generated network's description
   * @param seed seed for initialisation, shuffling and dropout
   */
  protected CompiledModel(ModelSpec spec, long seed) {
    this.spec = spec;
    this.seed = seed;
    this.params = new float[spec.parameterCount()];
    this.grads = new float[spec.parameterCount()];
    this.dropoutRng = new SplitMix64(seed ^ DROPOUT_STREAM);
    this.trainable = new TrainableLayers(spec);
    SplittableRandom init = new SplittableRandom(seed);
    for (ParamSpec p : spec.parameters()) {
      p.init().fill(params, p.offset(), p.length(), p.fanIn(), p.fanOut(), init);
    }
    ensureCapacity(1);
  }

  /**
   * Runs the network on the first {@code n} samples of the input tensor (offset 0 of
   * {@link #activations}). In training mode dropout is active and everything the backward pass
   * needs is saved.
   */
  protected abstract void forward(int n, boolean training);

  /**
   * Sum over the {@code n} samples of the loss against {@link #labels} / {@link #targets}, computed
   * from the last {@link #forward}. With {@code backward} it also back-propagates, accumulating the
   * gradient of the batch-mean loss into {@link #grads}.
   */
  protected abstract double computeLoss(int n, boolean backward);

  /** Arena offset of the output tensor (probabilities or regression outputs) at the current capacity. */
  protected abstract int outputOffset();

  @Override
  public final ModelSpec spec() {
    return spec;
  }

  /** The seed this model was created with. */
  public final long seed() {
    return seed;
  }

  /** Grows the batch buffers to hold {@code n} samples. */
  protected final void ensureCapacity(int n) {
    if (n <= capacity) {
      return;
    }
    capacity = n;
    activations =
        new float[Math.addExact(Math.multiplyExact(n, spec.activationFloatsPerSample()), spec.activationFixedFloats())];
    intActivations = new int[Math.multiplyExact(n, spec.intActivationsPerSample())];
    labels = new int[n];
    targets = new float[Math.multiplyExact(n, spec.outputs())];
    identityOrder = new int[0];
  }

  // ---------------------------------------------------------------- training

  @Override
  public History train(Dataset train, TrainOptions options) {
    checkCompatible(train, "training data");
    if (options.validation() != null) {
      checkCompatible(options.validation(), "validation data");
    }
    if (train.rows() == 0) {
      throw new IllegalArgumentException("training data '" + train.name() + "' has no rows");
    }
    requireTrainableLayers();
    Optimizer optimizer = optimizer();
    CheckpointFile.Resume resume = null;
    if (options.resumeFrom() != null) {
      long[] rng = {dropoutRng.state()};
      try {
        resume = CheckpointFile.read(options.resumeFrom(), spec, params, optimizer, rng, options.shuffle());
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
      dropoutRng.setState(rng[0]);
    }
    int batch =
        options.batchSize() > 0
            ? options.batchSize()
            : resume != null ? resume.batchSize() : spec.batchSize();
    ensureCapacity(Math.min(batch, train.rows()));
    long shuffleSeed =
        options.shuffleSeed() != null
            ? options.shuffleSeed()
            : resume != null ? resume.shuffleSeed() : seed;
    int firstEpoch = resume == null ? 1 : resume.epoch() + 1;
    float[] lastGood = params.clone();
    int rows = train.rows();
    int batches = EpochOrder.batchCount(rows, batch);
    TrainingRun run =
        new TrainingRun(
            this,
            options,
            optimizer,
            params,
            spec.optimizer().learningRate(),
            rows,
            batch,
            firstEpoch,
            resume == null ? new History() : resume.history(),
            shuffleSeed);
    this.run = run;
    try (ThreadTuner tuner = ThreadTuner.forCurrentThreads()) {
      run.begin(resume == null ? Map.of() : resume.callbacks());
      epochs:
      for (int epoch = firstEpoch; epoch <= options.epochs() && !run.stopRequested(); epoch++) {
        run.epochBegin(epoch);
        int[] order = options.shuffle() ? EpochOrder.permutation(shuffleSeed, epoch, rows) : identity(rows);
        double lossSum = 0;
        long correct = 0;
        long t0 = System.nanoTime();
        for (int b = 0; b < batches; b++) {
          run.batchBegin(b);
          tuner.stepBegin();
          int start = b * batch;
          int n = Math.min(batch, rows - start);
          loadBatch(train, order, start, n);
          Arrays.fill(grads, 0f);
          forward(n, true);
          double loss = computeLoss(n, true);
          if (!Double.isFinite(loss)) {
            TrainingDivergedException e = diverged(lastGood, epoch, b, "the loss became " + loss);
            if (run.stopOnDivergence(e)) {
              break epochs;
            }
            throw e;
          }
          stepTrainable();
          long hits = countCorrect(n);
          tuner.stepEnd();
          lossSum += loss;
          correct += hits;
          run.batchEnd(n, loss, hits);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!allFinite(params)) {
          TrainingDivergedException e =
              diverged(lastGood, epoch, batches - 1, "the weights became NaN or infinite");
          if (run.stopOnDivergence(e)) {
            break;
          }
          throw e;
        }
        System.arraycopy(params, 0, lastGood, 0, params.length);
        Evaluation val = options.validation() == null ? null : evaluate(options.validation());
        run.epochEnd(
            new EpochStats(
                epoch,
                lossSum / rows,
                spec.loss().isClassification() ? (double) correct / rows : Double.NaN,
                val == null ? Double.NaN : val.loss(),
                val == null ? Double.NaN : val.accuracy(),
                seconds,
                rows / seconds));
      }
      run.end();
    } catch (RuntimeException | Error e) {
      run.failed();
      throw e;
    }
    return run.history();
  }

  private Optimizer optimizer() {
    if (optimizer == null) {
      optimizer = spec.optimizer().create(params.length);
    }
    return optimizer;
  }

  /** One optimizer step over the trainable layers; frozen layers' floats are neither read nor written. */
  private void stepTrainable() {
    optimizer.step(params, grads, trainable.ranges());
  }

  private void requireTrainableLayers() {
    if (trainable.trainableCount() == 0) {
      throw new IllegalStateException(
          spec.network() + ": every layer is frozen " + trainable.frozenNames()
              + "; unfreeze at least one layer to train");
    }
  }

  private TrainingDivergedException diverged(float[] lastGood, int epoch, int batch, String what) {
    System.arraycopy(lastGood, 0, params, 0, params.length);
    return new TrainingDivergedException(
        spec.network() + ": training stopped in epoch " + epoch + ", batch " + batch + ": " + what
            + "; the weights were restored to "
            + (epoch == 1 ? "their values before training" : "the end of epoch " + (epoch - 1))
            + ". Try a lower learning rate or check the data for extreme values.",
        epoch,
        batch);
  }

  private static boolean allFinite(float[] a) {
    for (float v : a) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /** Copies rows {@code order[start, start+n)} of {@code data} into the input tensor and targets. */
  private void loadBatch(Dataset data, int[] order, int start, int n) {
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> EpochOrder.gather(data, order, start, n, activations, 0, labels, null);
      case BINARY_CROSS_ENTROPY -> {
        EpochOrder.gather(data, order, start, n, activations, 0, labels, null);
        for (int i = 0; i < n; i++) {
          targets[i] = labels[i];
        }
      }
      case MEAN_SQUARED_ERROR -> EpochOrder.gather(data, order, start, n, activations, 0, null, targets);
    }
  }

  private long countCorrect(int n) {
    if (!spec.loss().isClassification()) {
      return 0;
    }
    int out = outputOffset();
    long correct = 0;
    for (int i = 0; i < n; i++) {
      if (predictedClass(activations, out + i * spec.outputs()) == labels[i]) {
        correct++;
      }
    }
    return correct;
  }

  private int predictedClass(float[] a, int off) {
    if (spec.loss() == LossKind.BINARY_CROSS_ENTROPY) {
      return a[off] >= 0.5f ? 1 : 0;
    }
    int best = 0;
    for (int j = 1; j < spec.outputs(); j++) {
      if (a[off + j] > a[off + best]) {
        best = j;
      }
    }
    return best;
  }

  private void checkCompatible(Dataset data, String role) {
    if (data.cols() != spec.inputs()) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' has " + data.cols() + " features per row, but "
              + spec.network() + " expects " + spec.inputs());
    }
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> {
        requireLabels(data, role);
        if (data.classes() > spec.outputs()) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.classes() + " classes, but "
                  + spec.network() + " has " + spec.outputs() + " outputs");
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        requireLabels(data, role);
        if (data.classes() > 2) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.classes()
                  + " classes; binary cross-entropy needs labels 0 and 1");
        }
      }
      case MEAN_SQUARED_ERROR -> {
        if (data.isClassification() || data.targetCols() != spec.outputs()) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' must hold " + spec.outputs()
                  + " regression targets per row for " + spec.network() + " (mean squared error)");
        }
      }
    }
  }

  private static void requireLabels(Dataset data, String role) {
    if (!data.isClassification()) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' holds regression targets, but the loss needs class labels");
    }
  }

  // ---------------------------------------------------------------- gradients for checks and tools

  /**
   * Mean training-mode loss on {@code data} with dropout masks drawn from {@code dropoutSeed}; the
   * weights are not changed. With {@code gradient} non-null the gradient of that loss is written to
   * it (arena layout, {@code spec().parameterCount()} floats). Used by gradient checks.
   */
  public double trainingLoss(Dataset data, long dropoutSeed, float[] gradient) {
    checkCompatible(data, "data");
    int n = data.rows();
    ensureCapacity(n);
    loadBatch(data, identity(n), 0, n);
    // Masks from the given seed; the model's own dropout stream continues untouched afterwards.
    SplitMix64 trainingStream = dropoutRng;
    dropoutRng = new SplitMix64(dropoutSeed);
    // Training-mode forward updates state such as running statistics; this method changes nothing.
    float[] before = params.clone();
    Arrays.fill(grads, 0f);
    forward(n, true);
    double loss = computeLoss(n, gradient != null) / n;
    System.arraycopy(before, 0, params, 0, params.length);
    dropoutRng = trainingStream;
    if (gradient != null) {
      System.arraycopy(grads, 0, gradient, 0, grads.length);
    }
    return loss;
  }

  @Override
  public float[] parameters() {
    return params.clone();
  }

  /** Replaces the parameter arena's contents. */
  public void setParameters(float[] values) {
    if (values.length != params.length) {
      throw new IllegalArgumentException(
          "expected " + params.length + " parameters, got " + values.length);
    }
    System.arraycopy(values, 0, params, 0, params.length);
  }

  // ---------------------------------------------------------------- inference

  @Override
  public float[] predict(float[] sample) {
    checkSample(sample, -1);
    checkFinite(sample, sample.length, true);
    System.arraycopy(sample, 0, activations, 0, sample.length);
    forward(1, false);
    return Arrays.copyOfRange(activations, outputOffset(), outputOffset() + spec.outputs());
  }

  @Override
  public float[][] predict(float[][] samples) {
    int in = spec.inputs();
    float[] x = new float[Math.multiplyExact(samples.length, in)];
    for (int i = 0; i < samples.length; i++) {
      checkSample(samples[i], i);
      System.arraycopy(samples[i], 0, x, i * in, in);
    }
    float[] out = new float[samples.length * spec.outputs()];
    predict(x, samples.length, out);
    float[][] result = new float[samples.length][];
    for (int i = 0; i < samples.length; i++) {
      result[i] = Arrays.copyOfRange(out, i * spec.outputs(), (i + 1) * spec.outputs());
    }
    return result;
  }

  @Override
  public void predict(float[] x, int rows, float[] out) {
    int in = spec.inputs();
    int outs = spec.outputs();
    if (x.length < (long) rows * in) {
      throw new IllegalArgumentException(
          "input holds " + x.length + " floats, expected " + rows + " rows x " + in + " features = "
              + (long) rows * in);
    }
    if (out.length < (long) rows * outs) {
      throw new IllegalArgumentException(
          "output holds " + out.length + " floats, expected " + rows + " rows x " + outs + " outputs");
    }
    int chunk = Math.max(capacity, Math.min(rows, 1024));
    ensureCapacity(chunk);
    checkFinite(x, rows * in, false);
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      System.arraycopy(x, start * in, activations, 0, n * in);
      forward(n, false);
      System.arraycopy(activations, outputOffset(), out, start * outs, n * outs);
    }
  }

  /** Refuses NaN and infinite inputs, which would silently give NaN outputs (see {@link FiniteInputs}). */
  private void checkFinite(float[] x, int length, boolean single) {
    int i = FiniteInputs.firstNonFinite(x, length);
    if (i >= 0) {
      int in = spec.inputs();
      throw new IllegalArgumentException(
          (single ? "sample" : "sample " + i / in) + ", feature " + i % in + " is " + x[i] + "; "
              + spec.network() + " needs finite inputs (a missing value, or a failed normalization?)");
    }
  }

  @Override
  public int predictClass(float[] sample) {
    if (!spec.loss().isClassification()) {
      throw new UnsupportedOperationException(
          spec.network() + " is a regression network (mean squared error); use predict");
    }
    float[] p = predict(sample);
    return predictedClass(p, 0);
  }

  private void checkSample(float[] sample, int index) {
    if (sample.length != spec.inputs()) {
      throw new IllegalArgumentException(
          (index < 0 ? "sample" : "sample " + index) + " has " + sample.length + " features, but "
              + spec.network() + " expects " + spec.inputs());
    }
  }

  @Override
  public Evaluation evaluate(Dataset data) {
    checkCompatible(data, "evaluation data");
    int rows = data.rows();
    int chunk = Math.max(capacity, Math.min(rows, 512));
    ensureCapacity(chunk);
    int classes = spec.loss() == LossKind.BINARY_CROSS_ENTROPY ? 2 : spec.outputs();
    int[][] confusion = spec.loss().isClassification() ? new int[classes][classes] : new int[0][0];
    int[] order = identity(rows);
    double lossSum = 0;
    long correct = 0;
    int outs = spec.outputs();
    float[] predictions = spec.loss().isClassification() ? null : new float[Math.multiplyExact(rows, outs)];
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      loadBatch(data, order, start, n);
      forward(n, false);
      lossSum += computeLoss(n, false);
      if (predictions != null) {
        System.arraycopy(activations, outputOffset(), predictions, start * outs, n * outs);
      }
      if (spec.loss().isClassification()) {
        int out = outputOffset();
        for (int i = 0; i < n; i++) {
          int p = predictedClass(activations, out + i * spec.outputs());
          confusion[labels[i]][p]++;
          if (p == labels[i]) {
            correct++;
          }
        }
      }
    }
    return new Evaluation(
        rows,
        rows == 0 ? Double.NaN : lossSum / rows,
        spec.loss().isClassification() && rows > 0 ? (double) correct / rows : Double.NaN,
        confusion,
        predictions == null || rows == 0 ? null : RegressionMetrics.of(predictions, data.targets(), outs));
  }

  private int[] identity(int n) {
    if (identityOrder.length < n) {
      identityOrder = new int[n];
      for (int i = 0; i < n; i++) {
        identityOrder[i] = i;
      }
    }
    return identityOrder;
  }

  // ---------------------------------------------------------------- persistence

  /** Metadata key naming the network. */
  public static final String META_NETWORK = "kiln.network";

  /** Metadata key holding the canonical architecture description. */
  public static final String META_ARCHITECTURE = "kiln.architecture";

  /** Metadata key holding the SHA-256 of the architecture description. */
  public static final String META_ARCHITECTURE_HASH = "kiln.architecture_sha256";

  @Override
  public void save(Path file) throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(META_NETWORK, spec.network());
    meta.put(META_ARCHITECTURE, spec.architecture());
    meta.put(META_ARCHITECTURE_HASH, spec.architectureHash());
    List<Tensor> tensors = new ArrayList<>();
    for (ParamSpec p : spec.parameters()) {
      tensors.add(new Tensor(p.name(), p.shape(), params, p.offset(), p.length()));
    }
    SafeTensors.write(file, meta, tensors);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Between epochs of a running {@code train} (from a callback's {@code onEpochEnd}) or after it,
   * the checkpoint holds that run's epoch, history and callback state; before any training, epoch 0.
   *
   * @throws IllegalStateException if called from inside an epoch (e.g. from {@code onBatchEnd}),
   *     where weights and optimizer state belong to no finished epoch
   */
  @Override
  public void saveCheckpoint(Path file) throws IOException {
    TrainingRun r = run;
    if (r != null && !r.betweenEpochs()) {
      throw new IllegalStateException(
          "saveCheckpoint(" + file + ") was called inside epoch " + r.context().epoch()
              + "; checkpoints are taken between epochs (from onEpochEnd, or after train returns)");
    }
    CheckpointFile.State state =
        new CheckpointFile.State(
            r == null ? 0 : r.epochsCompleted(),
            r == null ? spec.batchSize() : r.context().batchSize(),
            r == null ? seed : r.shuffleSeed(),
            r == null || r.shuffle(),
            dropoutRng.state(),
            r == null ? new History() : r.history(),
            r == null ? Map.of() : r.callbackStates());
    CheckpointFile.write(file, spec, params, optimizer(), state);
  }

  @Override
  public void load(Path file) throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      loadFrom(file, f);
    }
  }

  private void loadFrom(Path file, SafeTensorsFile f) throws IOException {
    String hash = f.metadata().get(META_ARCHITECTURE_HASH);
    if (hash != null && !hash.equals(spec.architectureHash())) {
      throw new IllegalArgumentException(
          file + " holds weights of network '" + f.metadata().getOrDefault(META_NETWORK, "?")
              + "' [" + f.metadata().getOrDefault(META_ARCHITECTURE, "?") + "], which cannot be loaded into '"
              + spec.network() + "' [" + spec.architecture() + "]");
    }
    // Files without Kiln metadata (written by another tool) are accepted when names and shapes match.
    float[] staged = params.clone();
    for (ParamSpec p : spec.parameters()) {
      if (!f.names().contains(p.name())) {
        throw new IllegalArgumentException(
            file + " has no tensor '" + p.name() + "' needed by " + spec.network() + "; it holds "
                + f.names());
      }
      int[] shape = f.shape(p.name());
      if (!Arrays.equals(shape, p.shape())) {
        throw new IllegalArgumentException(
            file + ": tensor '" + p.name() + "' has shape " + Arrays.toString(shape) + ", but "
                + spec.network() + " needs " + Arrays.toString(p.shape()));
      }
      f.readInto(p.name(), staged, p.offset());
    }
    System.arraycopy(staged, 0, params, 0, params.length);
  }

  // ---------------------------------------------------------------- freezing and transfer

  @Override
  public void freeze(String... layers) {
    trainable.set(true, layers);
  }

  @Override
  public void unfreeze(String... layers) {
    trainable.set(false, layers);
  }

  @Override
  public boolean isFrozen(String layer) {
    return trainable.isFrozen(layer);
  }

  @Override
  public long trainableParameterCount() {
    return trainable.trainableCount();
  }

  @Override
  public List<String> transferFrom(Model source, String... layers) {
    try {
      return WeightTransfer.copyLayers(spec, params, WeightTransfer.of(source), layers);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a model source does no I/O
    }
  }

  @Override
  public List<String> transferFrom(Path weights, String... layers) throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(weights)) {
      return WeightTransfer.copyLayers(spec, params, WeightTransfer.of(f), layers);
    }
  }

  @Override
  public List<String> loadMatching(Model source) {
    try {
      return WeightTransfer.copyMatching(spec, params, WeightTransfer.of(source));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a model source does no I/O
    }
  }

  @Override
  public List<String> loadMatching(Path weights) throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(weights)) {
      return WeightTransfer.copyMatching(spec, params, WeightTransfer.of(f));
    }
  }

  // ---------------------------------------------------------------- summary

  @Override
  public String summary() {
    StringBuilder s = new StringBuilder();
    String rule = "-".repeat(75) + "\n";
    s.append("Model: ").append(spec.network()).append('\n').append(rule);
    s.append(String.format("%-18s %-22s %-12s %10s  %s%n", "Layer", "Type", "Output", "Params", "Trainable"));
    s.append(rule);
    List<LayerSpec> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      String type = l.detail().isEmpty() ? l.type() : l.type() + "(" + l.detail() + ")";
      String state = !l.hasParameters() ? "-" : trainable.isFrozen(i) ? "frozen" : "yes";
      s.append(
          String.format(
              "%-18s %-22s %-12s %,10d  %s%n",
              l.name(), type, shapeText(l.outputShape()), l.parameterCount(), state));
    }
    s.append(rule);
    long p = spec.parameterCount();
    long t = trainable.trainableCount();
    s.append(String.format("Parameters: %,d (%s): %,d trainable, %,d frozen%n", p, bytes(4 * p), t, p - t));
    s.append(String.format("Gradient arena: %s%n", bytes(4 * p)));
    s.append(
        String.format(
            "Activation arena: %,d floats per sample (%s at batch %d)%n",
            spec.activationFloatsPerSample(),
            bytes(4L * spec.activationFloatsPerSample() * spec.batchSize()),
            spec.batchSize()));
    s.append("Loss: ").append(spec.loss()).append("   Optimizer: ").append(spec.optimizer()).append('\n');
    return s.toString();
  }

  private static String shapeText(int[] shape) {
    StringBuilder s = new StringBuilder("[B");
    for (int d : shape) {
      s.append(", ").append(d);
    }
    return s.append(']').toString();
  }

  private static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format("%.1f KiB", b / 1024.0);
    }
    return String.format("%.1f MiB", b / (1024.0 * 1024.0));
  }
}
