package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.Evaluator;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.SupervisedStep;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingLoop;
import dev.kiln.runtime.train.TrainingRun;
import dev.kiln.runtime.trust.Answer;
import dev.kiln.runtime.trust.CalibrationResult;
import dev.kiln.runtime.trust.OodDetector;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import dev.kiln.runtime.trust.ReliabilityBins;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Base class of every generated model: the arenas and the forward/backward contract the generated
 * subclass implements ({@link #forward}, {@link #computeLoss}, {@link #outputOffset}, and
 * {@link #layerOutputOffset} for tools). Everything that does not depend on the architecture lives
 * in a class of its own, to which this one delegates: training ({@link ModelTraining}, which wires
 * {@link TrainingLoop} and {@link SupervisedStep} to the arenas through {@link ArenaView}),
 * evaluation ({@link Evaluator}), prediction ({@link Prediction}), input gradients
 * ({@link InputGradients}), persistence ({@link CheckpointFile}, {@link WeightFiles}), freezing
 * ({@link TrainableLayers}) and transfer ({@link WeightTransfer}), the summary ({@link Summary}), the
 * checks of data sets ({@link DataCompatibility}), carried recurrent states ({@link CarriedStates}),
 * and calibration and out-of-distribution warnings ({@link ModelTrust}).
 *
 * <p>Arenas: {@link #params} and {@link #grads} hold every parameter tensor at the offsets of
 * {@link ModelSpec#parameters()}; {@link #activations} holds every activation tensor of a batch of
 * up to {@link #capacity} samples, tensor {@code t} at {@code capacity * perSampleOffset(t)}, followed
 * by the tensors whose size does not depend on the batch (per-batch statistics);
 * {@link #intActivations} holds the integer tensors (pooling indices) the same way. The input batch
 * always sits at offset 0, each sample flattened row-major. Buffers grow only when a larger batch is
 * first used, so a training step allocates nothing.
 *
 * <p>Carried states: a network with stateful recurrent layers keeps their states between batches in
 * one more arena ({@link #carriedStates}, see {@link #resetStates()}); the generated code reads each
 * layer's block at {@link #stateOffset}.
 */
public abstract class CompiledModel implements Model {
  private static final long DROPOUT_STREAM = 0x9E3779B97F4A7C15L;

  /** Metadata key naming the network. */
  public static final String META_NETWORK = "kiln.network";

  /** Metadata key holding the canonical architecture description. */
  public static final String META_ARCHITECTURE = "kiln.architecture";

  /** Metadata key holding the SHA-256 of the architecture description. */
  public static final String META_ARCHITECTURE_HASH = "kiln.architecture_sha256";

  private final ModelSpec spec;
  private final long seed;

  /** Parameter arena. */
  protected final float[] params;

  /** Gradient arena, same layout as {@link #params}; cleared at the start of every step. */
  protected final float[] grads;

  /** Activation arena for {@link #capacity} samples. */
  protected float[] activations = new float[0];

  /**
   * The array {@code forward} reads a float network input from, at {@link #inputOffset}: the
   * activation arena at offset 0 (where {@link #loadInput} and training copy the batch), except
   * during one inference {@code forward} on a caller's batch, which then reads the caller's array in
   * place (see {@link #forwardReadsInputField}).
   */
  protected float[] input = activations;

  /** Offset of the first sample of the network input in {@link #input}. */
  protected int inputOffset;

  /** Integer arena (pooling indices) for {@link #capacity} samples. */
  protected int[] intActivations = new int[0];

  /** Batch capacity of {@link #activations}, {@link #labels} and {@link #targets}. */
  protected int capacity;

  /** {@link ModelSpec#labelsPerSample()} and {@link ModelSpec#tokenInput()}, read once: the step must not allocate. */
  private final int labelsPerSample;
  private final boolean tokenInput;

  /** A batch of token ids as data sets hold them (floats), before {@link #loadInput} checks and copies them. */
  private float[] tokenStaging;

  /** Class labels of the current batch (classification losses), {@link ModelSpec#labelsPerSample()} per sample. */
  protected int[] labels = new int[0];

  /** Targets of the current batch, row-major [capacity, outputs] (BCE: 0/1, MSE: values). */
  protected float[] targets = new float[0];

  /** Random stream of the dropout masks; its state is saved in checkpoints. */
  protected SplitMix64 dropoutRng;

  private final TrainableLayers trainable;
  private final CarriedStates states;
  private final ArenaView arenas = new ArenaView(this);
  private final Evaluator evaluator = new Evaluator(arenas);
  private final ModelTraining training;
  private final Prediction prediction;
  private final ModelTrust trust;
  private final InputGradients inputGradients;

  /**
   * Allocates the arenas and initialises the parameters from {@code seed}.
   *
   * @param spec the generated network's description
   * @param seed seed for initialisation, shuffling and dropout
   */
  protected CompiledModel(ModelSpec spec, long seed) {
    this.spec = spec;
    this.seed = seed;
    this.labelsPerSample = spec.labelsPerSample();
    this.tokenInput = spec.tokenInput();
    this.params = new float[spec.parameterCount()];
    this.grads = new float[spec.parameterCount()];
    this.dropoutRng = new SplitMix64(seed ^ DROPOUT_STREAM);
    this.trainable = new TrainableLayers(spec);
    this.states = new CarriedStates(spec);
    this.prediction = new Prediction(this);
    this.trust = new ModelTrust(this);
    this.inputGradients = new InputGradients(this);
    this.training = new ModelTraining(this);
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
   * Whether the running inference forward must write every layer's output ({@code layerOutput} and
   * the input-gradient pass read them): generated forward passes then skip their fusions that leave
   * a layer's output unstored (a convolution pooled tile by tile, at inference and, where no backward
   * reads its output, in training).
   */
  protected final boolean keepsLayerOutputs() {
    return keepLayerOutputs;
  }

  private boolean keepLayerOutputs;

  /** {@code forward(n, false)} writing every layer's output (see {@link #keepsLayerOutputs}). */
  final void forwardKeepingLayerOutputs(int n) {
    keepLayerOutputs = true;
    try {
      forward(n, false);
    } finally {
      keepLayerOutputs = false;
    }
  }

  /**
   * Sum over the {@code n} samples of the loss against {@link #labels} / {@link #targets}, computed
   * from the last {@link #forward}. With {@code backward} it also back-propagates, accumulating the
   * gradient of the batch-mean loss into {@link #grads}.
   */
  protected abstract double computeLoss(int n, boolean backward);

  /**
   * The input-gradient pass: after {@code forward(n, false)}, back-propagates the gradient the
   * caller wrote to the output's gradient tensor ({@link #outputGradientOffset}; the logits'
   * gradient when a head is fused with the loss) through every layer in inference mode, into the
   * input's gradient tensor ({@link #inputGradientOffset}). It writes no parameter gradient: the
   * gradient arena and the training state are left as they were. Generated code overrides it; this
   * default refuses.
   *
   * @throws UnsupportedOperationException if the generated class has no input-gradient pass
   */
  protected void inputGradient(int n) {
    throw noInputGradients();
  }

  /** Arena offset of the output's gradient tensor of {@link #inputGradient}, at the current capacity. */
  protected int outputGradientOffset() {
    throw noInputGradients();
  }

  /** Arena offset of the input's gradient tensor of {@link #inputGradient}, at the current capacity. */
  protected int inputGradientOffset() {
    throw noInputGradients();
  }

  private UnsupportedOperationException noInputGradients() {
    return new UnsupportedOperationException(
        spec.network() + (spec.tokenInput() ? " reads token ids, which are not differentiable"
            : " has no input-gradient pass (stateful recurrent layers, or a generated class that predates it)"));
  }

  /**
   * Whether the generated {@code forward} reads the network input from {@link #input} at
   * {@link #inputOffset} (float inputs), so that inference can run on the caller's array without
   * copying it into the arena. Generated code overrides it; classes generated before it read the
   * arena, and this default says so.
   */
  protected boolean forwardReadsInputField() {
    return false;
  }

  /** Arena offset of the output tensor (probabilities or regression outputs) at the current capacity. */
  protected abstract int outputOffset();

  /**
   * Arena offset of the network's pre-head output at the current capacity: the logits when a
   * softmax or sigmoid head is fused with the loss, else the output itself. Generated code overrides
   * it; this default refuses.
   *
   * @throws UnsupportedOperationException if the generated class predates logits
   */
  protected int logitsOffset() {
    throw new UnsupportedOperationException(
        spec.network() + " does not expose its logits (its generated class has no logitsOffset); "
            + "regenerate it with a newer Kiln");
  }

  /**
   * Offset in {@link #activations} of the output of layer {@code layerIndex} (an index into
   * {@link ModelSpec#layers()}) at the current capacity: sample {@code i}'s output starts at that
   * offset + {@code i *} the layer's {@link LayerSpec#outputSize()}. Generated code overrides it;
   * this default refuses. Used by {@link #layerOutput}.
   *
   * @throws UnsupportedOperationException if the model does not expose its layers' outputs
   */
  protected int layerOutputOffset(int layerIndex) {
    throw new UnsupportedOperationException(
        spec.network() + " does not expose its layers' outputs (its generated class has no "
            + "layerOutputOffset); regenerate it with a newer Kiln");
  }

  /**
   * The streaming pass (see {@link SequenceGenerator}): runs the network in inference mode over
   * {@code steps} time steps (1 to the declared sequence length) of the first {@code n} rows of the
   * input tensor, laid out {@code [n, steps]} (token ids) or {@code [n, steps, features]}, every
   * recurrent layer starting from its state in {@code states} and leaving there its state after the
   * last step ({@link #streamStateFloatsPerRow} floats per row: the layers in declaration order, each
   * {@code [n, units]} h, then for the LSTM {@code [n, units]} c). The output tensor then holds
   * {@code [n, steps, width]} for a network with an output per step, else {@code [n, outputs]}.
   * Generated code of networks that can stream overrides it; this default refuses.
   *
   * @throws UnsupportedOperationException with {@link #streamRefusal()}
   */
  protected void stream(int n, int steps, float[] states) {
    throw new UnsupportedOperationException(streamRefusal());
  }

  /** Floats of recurrent state per row in {@link #stream}. Generated code overrides it with {@link #stream}. */
  protected int streamStateFloatsPerRow() {
    throw new UnsupportedOperationException(streamRefusal());
  }

  /**
   * Why the network has no streaming pass, or null when it has one. Generated code of a recurrent
   * network that cannot stream overrides it with the layer that prevents it; this default covers
   * networks without recurrent layers and generated classes that predate the streaming pass.
   */
  protected String streamRefusal() {
    boolean recurrent = spec.layers().stream().anyMatch(l -> switch (l.type()) {
      case "SimpleRNN", "LSTM", "GRU" -> true;
      default -> false;
    });
    return spec.network() + (recurrent
        ? " has no streaming pass (its generated class predates it); regenerate it with a newer Kiln"
        : " has no recurrent layer: there is no state to carry from one step to the next (use predict)");
  }

  /**
   * A generator feeding one row of the network step by step with carried recurrent states (see
   * {@link SequenceGenerator}), starting from zero states.
   *
   * @throws UnsupportedOperationException naming the layer when the network cannot run step by step
   *     (a bidirectional layer, a layer that sees every step at once) or has no recurrent layer
   */
  public SequenceGenerator generator() {
    return new SequenceGenerator(this, 1);
  }

  /** A generator of {@code rows} independent rows side by side; see {@link #generator()}. */
  public SequenceGenerator generator(int rows) {
    return new SequenceGenerator(this, rows);
  }

  @Override
  public final ModelSpec spec() {
    return spec;
  }

  /** The seed this model was created with. */
  public final long seed() {
    return seed;
  }

  // ---------------------------------------------------------------- the concerns, for the classes that own them

  /** The calibration state and out-of-distribution detector (prediction, evaluation, resuming). */
  final ModelTrust trust() {
    return trust;
  }

  /** The carried recurrent states of stateful layers. */
  final CarriedStates states() {
    return states;
  }

  /** Which layers are frozen. */
  final TrainableLayers trainable() {
    return trainable;
  }

  /** {@link ModelSpec#labelsPerSample()}, read once. */
  final int labelsPerSample() {
    return labelsPerSample;
  }

  /** The arenas as the training loop and the evaluator see them. */
  final ArenaView arenas() {
    return arenas;
  }

  /** The evaluator over {@link #arenas()}. */
  final Evaluator evaluator() {
    return evaluator;
  }

  /** The training concern: the optimizer and the last run. */
  final ModelTraining training() {
    return training;
  }

  /**
   * The carried-state arena of the stateful recurrent layers for a batch of {@code n} rows: the
   * final states of the previous batch if it had {@code n} rows, else zeros. Called by generated
   * code; allocates nothing while the batch size stays the same.
   */
  protected final float[] carriedStates(int n) {
    return states.forRows(n);
  }

  /** Where stateful layer {@code layer} (an index into {@link ModelSpec#layers()}) keeps its state for {@code n} rows. */
  protected final int stateOffset(int layer, int n) {
    return states.offset(layer, n);
  }

  /** Grows the batch buffers to hold {@code n} samples. */
  protected final void ensureCapacity(int n) {
    if (n <= capacity) {
      return;
    }
    capacity = n;
    activations =
        new float[Math.addExact(Math.multiplyExact(n, spec.activationFloatsPerSample()), spec.activationFixedFloats())];
    input = activations;
    inputOffset = 0;
    intActivations = new int[Math.multiplyExact(n, spec.intActivationsPerSample())];
    labels = new int[Math.multiplyExact(n, labelsPerSample)];
    tokenStaging = tokenInput ? new float[Math.multiplyExact(n, spec.inputs())] : null;
    targets = new float[Math.multiplyExact(n, spec.outputs())];
  }

  // ---------------------------------------------------------------- training

  /**
   * {@inheritDoc}
   *
   * <p>The data set's samples must have the network's input shape, or be flat vectors of as many
   * features (taken as the input flattened row-major); see {@link DataCompatibility}. The checks,
   * resuming and the loop's wiring live in {@link ModelTraining}.
   */
  @Override
  public History train(Dataset train, TrainOptions options) {
    return training.train(train, options);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Also done at the start of every epoch of {@code train} (unless
   * {@link TrainOptions#carryingStatesAcrossEpochs()}), and implicitly whenever a batch of another
   * number of rows arrives.
   */
  @Override
  public void resetStates() {
    states.reset();
  }

  /**
   * Copies {@code n} samples of {@code x} (from {@code xOff}) into the input tensor: offset 0 of the
   * float arena, or, for token ids, offset 0 of the int arena after checking each is a whole number
   * in [0, 2^24).
   */
  final void loadInput(float[] x, int xOff, int n) {
    int count = Math.multiplyExact(n, spec.inputs());
    if (tokenInput) {
      TokenIds.copy(x, xOff, count, spec.inputs(), intActivations, 0);
    } else {
      System.arraycopy(x, xOff, activations, 0, count);
    }
  }

  /**
   * Runs {@code forward(n, false)} on {@code n} samples of {@code x} from {@code xOff}: in place when
   * the generated forward reads {@link #input} (float inputs), else after {@link #loadInput}. The
   * arena's input tensor is not written in the first case, so what reads it afterwards (layer 0's
   * output, the input-gradient pass) must load the input itself.
   */
  final void inferInPlace(float[] x, int xOff, int n) {
    if (tokenInput || !forwardReadsInputField()) {
      loadInput(x, xOff, n);
      forward(n, false);
      return;
    }
    input = x;
    inputOffset = xOff;
    try {
      forward(n, false);
    } finally {
      input = activations;
      inputOffset = 0;
    }
  }

  /** Copies rows {@code order[start, start+n)} of {@code data} into the input tensor and targets. */
  final void loadBatch(Dataset data, int[] order, int start, int n) {
    float[] x = tokenInput ? tokenStaging : activations;
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> EpochOrder.gather(data, order, start, n, x, 0, labels, null);
      case BINARY_CROSS_ENTROPY -> {
        EpochOrder.gather(data, order, start, n, x, 0, labels, null);
        for (int i = 0; i < n; i++) {
          targets[i] = labels[i];
        }
      }
      case MEAN_SQUARED_ERROR -> EpochOrder.gather(data, order, start, n, x, 0, null, targets);
    }
    if (tokenInput) {
      loadInput(tokenStaging, 0, n);
    }
  }

  // ---------------------------------------------------------------- gradients for checks and tools

  /**
   * Mean training-mode loss on {@code data} with dropout masks drawn from {@code dropoutSeed}; the
   * weights are not changed, nor are the carried states of stateful layers (from which, when they
   * belong to {@code data.rows()} rows, the batch starts; the gradient is then the truncated one). With {@code gradient} non-null the gradient of that loss is written to
   * it (arena layout, {@code spec().parameterCount()} floats). Used by gradient checks.
   */
  public double trainingLoss(Dataset data, long dropoutSeed, float[] gradient) {
    DataCompatibility.check(spec, data, "data");
    int n = data.rows();
    ensureCapacity(n);
    loadBatch(data, IntStream.range(0, n).toArray(), 0, n);
    // Masks from the given seed; the model's own dropout stream continues untouched afterwards.
    SplitMix64 trainingStream = dropoutRng;
    dropoutRng = new SplitMix64(dropoutSeed);
    // Training-mode forward updates state such as running statistics; this method changes nothing.
    float[] before = params.clone();
    int stateRows = states.rows();
    float[] carried = states.snapshot();
    Arrays.fill(grads, 0f);
    forward(n, true);
    double loss = computeLoss(n, gradient != null) / n;
    System.arraycopy(before, 0, params, 0, params.length);
    states.restore(carried, stateRows);
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
    return prediction.predict(sample);
  }

  @Override
  public float[][] predict(float[][] samples) {
    return prediction.predict(samples);
  }

  @Override
  public void predict(float[] x, int rows, float[] out) {
    prediction.predict(x, rows, out);
  }

  /**
   * The network's pre-head outputs for {@code rows} samples stored row-major in {@code x}, written
   * row-major to {@code out}: the logits z of a softmax head (its probabilities are softmax(z)) or of
   * a sigmoid head (probability σ(z)), and the outputs themselves for a regression network. Runs in
   * inference mode, as {@link #predict(float[], int, float[])}, and checks its arguments the same way.
   */
  @Override
  public void logits(float[] x, int rows, float[] out) {
    prediction.logits(x, rows, out);
  }

  // ---------------------------------------------------------------- input gradients

  @Override
  public int inputs() {
    return spec.inputs();
  }

  @Override
  public int outputs() {
    return spec.outputs();
  }

  @Override
  public LossKind loss() {
    return spec.loss();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Computed by the generated input-gradient pass (the fused backward code in inference mode,
   * without parameter gradients), in chunks of the batch capacity; repeated calls allocate nothing
   * once the capacity suffices. The weights, their gradients, the optimizer state, the running
   * statistics and the dropout stream are left unchanged, so it may run between training steps.
   *
   * @throws UnsupportedOperationException for a regression network, a network with a label per
   *     step, one reading token ids, or one with stateful recurrent layers
   * @throws IllegalArgumentException if an array is too short, naming the row of a label outside the
   *     classes, or naming the sample and feature of a non-finite input
   */
  @Override
  public double lossGradient(float[] x, int[] labels, int rows, float[] gradient) {
    return inputGradients.lossGradient(x, labels, rows, gradient);
  }

  /**
   * {@inheritDoc}
   *
   * @throws UnsupportedOperationException for a classification network, one reading token ids, or
   *     one with stateful recurrent layers
   */
  @Override
  public double lossGradient(float[] x, float[] targets, int rows, float[] gradient) {
    return inputGradients.lossGradient(x, targets, rows, gradient);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Computed as {@link #lossGradient(float[], int[], int, float[])} is, from the given seed.
   *
   * @throws UnsupportedOperationException for a network reading token ids or with stateful
   *     recurrent layers
   */
  @Override
  public void logitGradient(float[] x, int rows, float[] seed, float[] gradient) {
    inputGradients.logitGradient(x, rows, seed, gradient);
  }

  @Override
  public int predictClass(float[] sample) {
    return prediction.predictClass(sample);
  }

  /**
   * The output of layer {@code layer} for one sample, run in inference mode: a copy of the layer's
   * output tensor ({@link LayerSpec#outputShape()}, flattened row-major), e.g. a convolution's
   * feature maps for a picture.
   *
   * @param sample one input sample, flattened row-major
   * @throws IllegalArgumentException listing the layers if there is no layer of that name, or if
   *     the sample has the wrong size or a non-finite value
   * @throws UnsupportedOperationException if the generated class does not expose layer outputs
   */
  public float[] layerOutput(String layer, float[] sample) {
    return prediction.layerOutput(layer, sample);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The data set's samples must have the network's input shape, or be flat vectors of as many
   * features; see {@link DataCompatibility}.
   */
  @Override
  public Evaluation evaluate(Dataset data) {
    DataCompatibility.check(spec, data, "evaluation data");
    Evaluation e = evaluator.evaluate(data);
    if (trust.scales() && data.rows() > 0) {
      // The loss of the probabilities predict gives; accuracy and confusion do not depend on T.
      return new Evaluation(e.samples(), trust.calibratedLoss(data), e.accuracy(), e.confusion(), e.regression());
    }
    return e;
  }

  // ---------------------------------------------------------------- calibration and out-of-distribution warnings


  @Override
  public double temperature() {
    return trust.temperature();
  }

  @Override
  public CalibrationResult calibrate(Dataset validation) {
    return trust.calibrate(validation, ReliabilityBins.DEFAULT_BINS);
  }

  @Override
  public void resetCalibration() {
    trust.set(new ModelTrust.Settings(1, trust.detector()));
  }

  @Override
  public OodDetector fitOutOfDistribution(Dataset validation, OodScore score, double temperature, double acceptRate) {
    return trust.fitOutOfDistribution(validation, score, temperature, acceptRate);
  }

  @Override
  public OodDetector fitOutOfDistribution(Dataset validation, OodScore score, double acceptRate) {
    return trust.fitOutOfDistribution(validation, score, trust.defaultTemperature(score), acceptRate);
  }

  @Override
  public Optional<OodDetector> outOfDistributionDetector() {
    return Optional.ofNullable(trust.detector());
  }

  @Override
  public void resetOutOfDistribution() {
    trust.resetOutOfDistribution();
  }

  @Override
  public OodEvaluation evaluateOutOfDistribution(Dataset inDistribution, Dataset outOfDistribution, OodScore score) {
    return trust.evaluateOutOfDistribution(inDistribution, outOfDistribution, score);
  }

  @Override
  public Answer predictWithWarning(float[] sample) {
    OodDetector d = trust.detector();
    if (d == null) {
      throw new IllegalStateException(
          spec.network() + " has no out-of-distribution threshold; call fitOutOfDistribution(validation) "
              + "on in-distribution validation data first (or load weights saved after it)");
    }
    return prediction.answer(sample, d);
  }

  // ---------------------------------------------------------------- persistence

  @Override
  public void save(Path file) throws IOException {
    WeightFiles.save(file, spec, params, trust.settings());
  }

  /**
   * {@inheritDoc}
   *
   * <p>Between epochs of a running {@code train} (from a callback's {@code onEpochEnd}) or after it,
   * the checkpoint holds that run's epoch, history and callback state; before any training, epoch 0.
   * Inside an epoch (from {@code onBatchEnd}, {@code onBatchBegin} or {@code onEpochBegin}) it also
   * holds the batches of the epoch done and the epoch's running loss and accuracy, so that resuming
   * continues with the next batch exactly as the uninterrupted run would have. A stateful network's
   * carried states are always part of it.
   *
   * @throws IllegalStateException if called inside an epoch where that state cannot be saved (see
   *     {@link TrainingRun#epochProgress()}: after a divergence, or with extra metrics or gradient norms)
   */
  @Override
  public void saveCheckpoint(Path file) throws IOException {
    CheckpointFile.write(file, spec, params, training.optimizer(), training.checkpointState(), trust.settings());
  }


  @Override
  public void load(Path file) throws IOException {
    trust.set(WeightFiles.load(file, spec, params));
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
    return Summary.of(spec, trainable);
  }
}
