package dev.kiln.runtime.train;

import dev.kiln.runtime.optim.Optimizer;
import java.io.PrintStream;

/**
 * What a {@link Callback} sees of a running {@code train} call: the model, where training is, the
 * running metrics of the current epoch, the live {@link History}, the learning rate (settable), and a
 * way to stop. One instance per {@code train} call, updated in place.
 */
public final class TrainingContext {
  private final TrainedModel model;
  private final String network;
  private final Optimizer optimizer;
  private final float[] params;
  private final float baseLearningRate;
  private final int epochs;
  private final int startEpoch;
  private final int batches;
  private final int batchSize;
  private final int samplesPerEpoch;
  private final boolean classification;
  private final boolean validation;
  private final History history;
  private final PrintStream log;

  int epoch;
  int batch = -1;
  long samplesSeen;
  double lossSum;
  long correct;
  double batchLoss = Double.NaN;
  private boolean stopRequested;
  private String stopReason;
  TrainingDivergedException divergence;

  TrainingContext(
      TrainedModel model,
      String network,
      boolean classification,
      Optimizer optimizer,
      float[] params,
      float baseLearningRate,
      int epochs,
      int startEpoch,
      int batches,
      int batchSize,
      int samplesPerEpoch,
      boolean validation,
      History history,
      PrintStream log) {
    this.model = model;
    this.network = network;
    this.optimizer = optimizer;
    this.params = params;
    this.baseLearningRate = baseLearningRate;
    this.epochs = epochs;
    this.startEpoch = startEpoch;
    this.batches = batches;
    this.batchSize = batchSize;
    this.samplesPerEpoch = samplesPerEpoch;
    this.classification = classification;
    this.validation = validation;
    this.history = history;
    this.log = log;
  }

  /**
   * The model being trained (use it to save checkpoints or weights; cast it to the generated class
   * for the rest of its API).
   */
  public TrainedModel model() {
    return model;
  }

  /** The name of the network being trained. */
  public String network() {
    return network;
  }

  /** The current epoch, 1-based; 0 before the first. */
  public int epoch() {
    return epoch;
  }

  /** The epoch training runs to ({@link TrainOptions#epochs()}). */
  public int epochs() {
    return epochs;
  }

  /** The first epoch of this call: 1, or the checkpoint's epoch + 1 when resuming. */
  public int startEpoch() {
    return startEpoch;
  }

  /** The current batch, 0-based within the epoch; -1 outside a batch. */
  public int batch() {
    return batch;
  }

  /** Batches per epoch. */
  public int batches() {
    return batches;
  }

  /** The mini-batch size in use. */
  public int batchSize() {
    return batchSize;
  }

  /** Training samples per epoch. */
  public int samplesPerEpoch() {
    return samplesPerEpoch;
  }

  /** Steps taken before the current one in this run's epochs: {@code (epoch - 1) * batches + batch}. */
  public long globalStep() {
    return (long) (epoch - 1) * batches + Math.max(batch, 0);
  }

  /** Training samples of the current epoch processed so far. */
  public long samplesSeen() {
    return samplesSeen;
  }

  /** Mean training loss of the current epoch so far (NaN before its first batch). */
  public double runningLoss() {
    return samplesSeen == 0 ? Double.NaN : lossSum / samplesSeen;
  }

  /** Training accuracy of the current epoch so far; NaN for regression or before the first batch. */
  public double runningAccuracy() {
    return classification && samplesSeen > 0 ? (double) correct / samplesSeen : Double.NaN;
  }

  /** Mean loss of the last batch (NaN before the first). */
  public double batchLoss() {
    return batchLoss;
  }

  /** Whether the network is trained for classification (accuracies are defined). */
  public boolean isClassification() {
    return classification;
  }

  /** Whether validation data was given (the val_ metrics are defined). */
  public boolean hasValidation() {
    return validation;
  }

  /** Finished epochs, live: includes a resumed checkpoint's epochs. */
  public History history() {
    return history;
  }

  /**
   * A metric of the last finished epoch by name (see {@link EpochStats#metric}).
   *
   * @throws IllegalStateException if no epoch has finished
   */
  public double metric(String name) {
    return history.last().metric(name);
  }

  /**
   * Checks at train begin that {@code metric} will be defined, so a misconfigured callback fails
   * before the first epoch rather than silently never improving.
   *
   * @param who the callback, for the message
   * @throws IllegalArgumentException if the metric is unknown or will be NaN in this run
   */
  public void requireMetric(String metric, String who) {
    metric = EpochStats.canonicalMetric(metric);
    if (metric.startsWith("val_") && !validation) {
      throw new IllegalArgumentException(
          who + " monitors " + metric + ", but train() was given no validation data; add "
              + "TrainOptions.withValidation(...) or monitor " + metric.substring(4));
    }
    if (metric.contains("acc") && !classification) {
      throw new IllegalArgumentException(
          who + " monitors " + metric + ", but " + network
              + " is a regression network (no accuracy); monitor a loss");
    }
  }

  /** The optimizer's current learning rate. */
  public float learningRate() {
    return optimizer.learningRate();
  }

  /** Sets the optimizer's learning rate from the next step on. */
  public void setLearningRate(float lr) {
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("learning rate must be finite and at least 0, got " + lr);
    }
    optimizer.setLearningRate(lr);
  }

  /** The learning rate the network was declared with; schedules scale from it. */
  public float baseLearningRate() {
    return baseLearningRate;
  }

  /** A copy of the model's weights (the parameter arena). */
  public float[] copyWeights() {
    return params.clone();
  }

  /** Replaces the model's weights with {@code weights} (as returned by {@link #copyWeights()}). */
  public void setWeights(float[] weights) {
    if (weights.length != params.length) {
      throw new IllegalArgumentException(
          "expected " + params.length + " weights, got " + weights.length);
    }
    System.arraycopy(weights, 0, params, 0, params.length);
  }

  /**
   * Ends training after the current epoch: its metrics, validation and every callback's
   * {@code onEpochEnd} still happen, then {@code onTrainEnd}.
   */
  public void requestStop() {
    requestStop(null);
  }

  /** {@link #requestStop()} with a reason, printed unless training is quiet. */
  public void requestStop(String reason) {
    stopRequested = true;
    if (reason != null && stopReason == null) {
      stopReason = reason;
      log(reason);
    }
  }

  /** Whether a stop was requested. */
  public boolean stopRequested() {
    return stopRequested;
  }

  /** The first reason given to {@link #requestStop(String)}, or null. */
  public String stopReason() {
    return stopReason;
  }

  /** The divergence that {@link StopOnNaN} turned into a stop, or null. */
  public TrainingDivergedException divergence() {
    return divergence;
  }

  /** Prints one line to the training output unless training is quiet. */
  public void log(String line) {
    if (log != null) {
      log.println(line);
    }
  }
}
