package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Options of one {@code train} call. Immutable; each {@code withX} returns a copy.
 *
 * <pre>{@code
 * model.train(train, TrainOptions.epochs(10).withValidation(val).withBatchSize(128)
 *     .withCallbacks(new EarlyStopping("val_loss", 3).restoringBestWeights()));
 * }</pre>
 *
 * @param epochs the epoch to train to (when resuming, the epochs of the checkpoint count)
 * @param batchSize mini-batch size; 0 means the network's declared default
 * @param validation evaluated after every epoch, or null
 * @param shuffleSeed seed of the per-epoch shuffling; null means the model's seed, or the
 *     checkpoint's when resuming
 * @param verbosity what is printed (default {@link Verbosity#BATCHES}: a bar on a terminal, one
 *     line per epoch elsewhere)
 * @param out where progress goes
 * @param callbacks called during training, in order
 * @param resumeFrom a checkpoint to continue from, or null
 * @param shuffle whether each epoch visits the rows in a new seeded order (default) or in data-set
 *     order
 * @param metrics measured besides the loss (and accuracy, for classification) on the training batches
 *     and the validation data, recorded in {@link EpochStats#metrics()}
 * @param gradientClipNorm the largest total L2 norm of the gradient (0: no norm clipping); null means
 *     the network's declared {@code @Network(clipNorm)}
 * @param gradientClipValue the largest absolute gradient value (0: no value clipping); null means
 *     the network's declared {@code @Network(clipValue)}
 * @param gradientNorms whether the per-layer gradient norms are recorded in the history
 * @param carryStatesAcrossEpochs whether a stateful network's carried recurrent states continue from
 *     one epoch into the next (default false: they are reset to zeros at the start of every epoch)
 * @param adversarialTraining makes the perturbation of part of each batch (adversarial training),
 *     or null (see {@link #withAdversarialTraining})
 */
public record TrainOptions(
    int epochs,
    int batchSize,
    Dataset validation,
    Long shuffleSeed,
    Verbosity verbosity,
    PrintStream out,
    List<Callback> callbacks,
    Path resumeFrom,
    boolean shuffle,
    List<Metric> metrics,
    Double gradientClipNorm,
    Double gradientClipValue,
    boolean gradientNorms,
    boolean carryStatesAcrossEpochs,
    BatchPerturbation.Factory adversarialTraining) {

  public TrainOptions {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
    }
    if (batchSize < 0) {
      throw new IllegalArgumentException("batchSize must be at least 1 (or 0 for the default), got " + batchSize);
    }
    Objects.requireNonNull(verbosity, "verbosity");
    Objects.requireNonNull(out, "out");
    if (gradientClipNorm != null) {
      clipBound("gradientClipNorm", gradientClipNorm, true);
    }
    if (gradientClipValue != null) {
      clipBound("gradientClipValue", gradientClipValue, true);
    }
    callbacks = List.copyOf(callbacks); // also refuses null elements
    metrics = List.copyOf(metrics);
    Set<String> names = new HashSet<>();
    for (Metric m : metrics) {
      String name = m.name();
      if (name == null || !NAME.matcher(name).matches() || name.startsWith("val_")
          || EpochStats.METRICS.contains(name) || name.equals("acc")) {
        throw new IllegalArgumentException(
            "metric name '" + name + "' must be letters, digits and '_', must not start with val_, and "
                + "must not be loss, accuracy or acc (accuracy is measured for every classification network)");
      }
      if (!names.add(name)) {
        throw new IllegalArgumentException("two metrics are named '" + name + "'");
      }
    }
  }

  private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  /** Options without extra metrics. */
  public TrainOptions(
      int epochs,
      int batchSize,
      Dataset validation,
      Long shuffleSeed,
      Verbosity verbosity,
      PrintStream out,
      List<Callback> callbacks,
      Path resumeFrom,
      boolean shuffle) {
    this(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, List.of());
  }

  /** Options with the network's declared clipping and without gradient norms. */
  public TrainOptions(
      int epochs,
      int batchSize,
      Dataset validation,
      Long shuffleSeed,
      Verbosity verbosity,
      PrintStream out,
      List<Callback> callbacks,
      Path resumeFrom,
      boolean shuffle,
      List<Metric> metrics) {
    this(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics, null, null,
        false);
  }

  /** Options whose carried recurrent states are reset at the start of every epoch. */
  public TrainOptions(
      int epochs,
      int batchSize,
      Dataset validation,
      Long shuffleSeed,
      Verbosity verbosity,
      PrintStream out,
      List<Callback> callbacks,
      Path resumeFrom,
      boolean shuffle,
      List<Metric> metrics,
      Double gradientClipNorm,
      Double gradientClipValue,
      boolean gradientNorms) {
    this(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, false, null);
  }

  /** Options without adversarial training. */
  public TrainOptions(
      int epochs,
      int batchSize,
      Dataset validation,
      Long shuffleSeed,
      Verbosity verbosity,
      PrintStream out,
      List<Callback> callbacks,
      Path resumeFrom,
      boolean shuffle,
      List<Metric> metrics,
      Double gradientClipNorm,
      Double gradientClipValue,
      boolean gradientNorms,
      boolean carryStatesAcrossEpochs) {
    this(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs, null);
  }

  /** {@code n} epochs, default batch size, no validation, progress on standard output. */
  public static TrainOptions epochs(int n) {
    return new TrainOptions(
        n, 0, null, null, Verbosity.BATCHES, System.out, List.of(), null, true, List.of(), null, null, false, false, null);
  }

  public TrainOptions withBatchSize(int b) {
    if (b < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + b);
    }
    return new TrainOptions(epochs, b, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  public TrainOptions withValidation(Dataset v) {
    return new TrainOptions(epochs, batchSize, v, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  public TrainOptions withShuffleSeed(long seed) {
    return new TrainOptions(epochs, batchSize, validation, seed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * With {@code false}, every epoch visits the rows in data-set order (batches are still the same
   * consecutive slices); for time series, curricula, or comparing with a tool that does not
   * shuffle. Resuming needs the same setting as the run that wrote the checkpoint.
   */
  public TrainOptions withShuffle(boolean shuffle) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /** Prints nothing. */
  public TrainOptions quiet() {
    return withVerbosity(Verbosity.QUIET);
  }

  /** Sets what is printed. */
  public TrainOptions withVerbosity(Verbosity v) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, v, out, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /** Whether anything is printed (verbosity is not {@link Verbosity#QUIET}). */
  public boolean verbose() {
    return verbosity != Verbosity.QUIET;
  }

  public TrainOptions withOutput(PrintStream o) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, o, callbacks, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /** Replaces the callbacks with {@code cs}, called in this order (see {@link Callback}). */
  public TrainOptions withCallbacks(Callback... cs) {
    return withCallbacks(List.of(cs));
  }

  /** Replaces the callbacks with {@code cs}, called in this order (see {@link Callback}). */
  public TrainOptions withCallbacks(List<Callback> cs) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, cs, resumeFrom, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * Replaces the extra metrics with {@code ms}: each is measured on the training batches of every
   * epoch and, with validation data, on the validation data, and recorded in the history under its
   * name and {@code val_} + its name (see {@link Metric}).
   *
   * @throws IllegalArgumentException if a name is malformed, reserved or used twice
   */
  public TrainOptions withMetrics(Metric... ms) {
    return withMetrics(List.of(ms));
  }

  /** {@link #withMetrics(Metric...)} from a list. */
  public TrainOptions withMetrics(List<Metric> ms) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle, ms,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * Continues from a checkpoint written by {@code saveCheckpoint} or {@link ModelCheckpoint}:
   * weights, optimizer state, dropout random stream, learning rate, history and callback state are
   * restored, and training runs from the checkpoint's epoch + 1 to {@link #epochs()}. With the same
   * data, batch size and callbacks, the result is bitwise that of an uninterrupted run.
   */
  public TrainOptions resumeFrom(Path checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, checkpoint, shuffle, metrics,
        gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * Clips the gradient by its global L2 norm before every optimizer update, as PyTorch's
   * {@code clip_grad_norm_(params, maxNorm)}: the norm is taken over all trainable parameters (frozen
   * layers are left out), and when it exceeds {@code maxNorm} every gradient is multiplied by
   * {@code maxNorm / (norm + 1e-6)}. Overrides the network's declared {@code @Network(clipNorm)}.
   *
   * @throws IllegalArgumentException if {@code maxNorm} is not positive and finite
   */
  public TrainOptions withGradientClipNorm(double maxNorm) {
    clipBound("gradientClipNorm", maxNorm, false);
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, maxNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * Clamps every gradient to {@code [-maxValue, maxValue]} before every optimizer update, as
   * PyTorch's {@code clip_grad_value_(params, maxValue)} (after norm clipping when both are set).
   * Overrides the network's declared {@code @Network(clipValue)}.
   *
   * @throws IllegalArgumentException if {@code maxValue} is not positive and finite
   */
  public TrainOptions withGradientClipValue(double maxValue) {
    clipBound("gradientClipValue", maxValue, false);
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, gradientClipNorm, maxValue, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /** Turns off gradient clipping, including what the network declares. */
  public TrainOptions withoutGradientClipping() {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, 0.0, 0.0, gradientNorms, carryStatesAcrossEpochs,
        adversarialTraining);
  }

  /**
   * Records gradient norms in the history: per epoch, the mean over its steps of the L2 norm of the
   * gradient before clipping, in total and per layer with parameters (see {@link GradientNorms},
   * {@link History#gradientNorms(String)}, {@link History#totalGradientNorms()}; {@link CsvLogger}
   * writes them as columns), and each layer's update-to-weight ratio ({@link History#updateRatios};
   * {@link GradientHealth} warns from both). Costs a pass over the gradient and two over the weights
   * per step.
   */
  public TrainOptions withGradientNorms() {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, gradientClipNorm, gradientClipValue, true, carryStatesAcrossEpochs);
  }

  /**
   * Lets a stateful network's carried recurrent states continue from the end of one epoch into the
   * next, instead of resetting them to zeros at the start of every epoch (the default). Meaningful
   * when the data's streams continue from its last batch to its first.
   */
  public TrainOptions carryingStatesAcrossEpochs() {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, gradientClipNorm, gradientClipValue, gradientNorms, true, adversarialTraining);
  }

  /**
   * Adversarial training (Madry et al. 2018): with
   * {@code new dev.kiln.runtime.inspect.AdversarialTraining(attack, fraction)}, in every batch
   * {@code round(fraction · n)} of its {@code n} rows are replaced by adversarial examples made by
   * the attack against the current weights (in inference mode, before the training forward pass).
   * {@code fraction = 1} trains on adversarial examples only, {@code 0.5} on half clean, half
   * adversarial. Random starts derive from the run's seed, the epoch and the row's position in the
   * epoch, so runs repeat and resume bitwise. Needs a classifier on float inputs whose model
   * implements {@code Differentiable}, and training data inside the attack's input range.
   *
   * <pre>{@code
   * TrainOptions.epochs(10).withAdversarialTraining(
   *     new AdversarialTraining(Pgd.linf(0.1f).steps(7).randomStart(1).range(0, 1), 1.0))
   * }</pre>
   */
  public TrainOptions withAdversarialTraining(BatchPerturbation.Factory perturbation) {
    return new TrainOptions(epochs, batchSize, validation, shuffleSeed, verbosity, out, callbacks, resumeFrom, shuffle,
        metrics, gradientClipNorm, gradientClipValue, gradientNorms, carryStatesAcrossEpochs,
        Objects.requireNonNull(perturbation, "perturbation"));
  }

  private static void clipBound(String name, double v, boolean zeroAllowed) {
    if (!(zeroAllowed ? v >= 0 : v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(
          name + " must be positive and finite, got " + v
              + (zeroAllowed ? " (0 turns clipping off)" : "; use withoutGradientClipping() to turn clipping off"));
    }
  }
}
