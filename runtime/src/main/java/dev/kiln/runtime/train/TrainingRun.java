package dev.kiln.runtime.train;

import dev.kiln.runtime.optim.Optimizer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The callback side of one {@code train} call: the training loop reports its events here, and this
 * class keeps the {@link TrainingContext} current and calls the callbacks (the progress display
 * first, the user's callbacks in order, checkpoint writers last). Used by the runtime's training
 * loop; users interact with {@link TrainingContext} and {@link Callback}.
 *
 * <p>The per-batch methods allocate nothing.
 */
public final class TrainingRun {
  private final TrainingContext context;
  private final Callback[] callbacks;
  private final String[] stateKeys;
  private final ProgressDisplay progress;
  private final boolean stopOnNaN;
  private final long shuffleSeed;
  private int epochsCompleted;
  private boolean inEpoch;
  /** Batches of the current epoch trained so far. */
  private int batchesDone;
  /** A NaN or infinite loss or weight stopped the run inside an epoch (the weights were restored). */
  private boolean diverged;
  /** The loop's accuracy metric (classification), whose counts a checkpoint inside an epoch holds. */
  private Accuracy accuracy;
  private final boolean extraMetrics;
  private final boolean gradientNorms;

  /**
   * @param model the model being trained
   * @param network its name, for messages
   * @param classes classes of a classification network (2 for binary cross-entropy), 0 for
   *     regression
   * @param options the call's options (callbacks, verbosity, output, epochs)
   * @param optimizer the model's optimizer (its learning rate is what callbacks set)
   * @param params the live parameter arena
   * @param baseLearningRate the declared learning rate
   * @param samplesPerEpoch training rows
   * @param batchSize mini-batch size
   * @param startEpoch first epoch to run (1, or a checkpoint's epoch + 1)
   * @param history the run's history, holding a resumed checkpoint's epochs already
   * @param shuffleSeed the seed of the per-epoch shuffling in use
   */
  TrainingRun(
      TrainedModel model,
      String network,
      int classes,
      TrainOptions options,
      Optimizer optimizer,
      float[] params,
      float baseLearningRate,
      int samplesPerEpoch,
      int batchSize,
      int startEpoch,
      History history,
      long shuffleSeed) {
    this.shuffle = options.shuffle();
    this.extraMetrics = !options.metrics().isEmpty();
    this.gradientNorms = options.gradientNorms();
    int batches = (samplesPerEpoch + batchSize - 1) / batchSize;
    PrintStream log = options.verbosity() == Verbosity.QUIET ? null : options.out();
    this.context =
        new TrainingContext(
            model,
            network,
            classes > 0,
            optimizer,
            params,
            baseLearningRate,
            options.epochs(),
            startEpoch,
            batches,
            batchSize,
            samplesPerEpoch,
            options.validation() != null,
            history,
            log);
    this.epochsCompleted = startEpoch - 1;
    this.shuffleSeed = shuffleSeed;
    List<Callback> ordered = new ArrayList<>();
    this.progress =
        log == null
            ? null
            : new ProgressDisplay(
                log,
                options.verbosity() == Verbosity.BATCHES && ProgressDisplay.isTerminal(log),
                System::nanoTime);
    if (progress != null) {
      ordered.add(progress);
    }
    for (Callback c : options.callbacks()) {
      if (!c.writesCheckpoints()) {
        ordered.add(c);
      }
    }
    for (Callback c : options.callbacks()) {
      if (c.writesCheckpoints()) {
        ordered.add(c);
      }
    }
    this.callbacks = ordered.toArray(new Callback[0]);
    this.stateKeys = new String[callbacks.length];
    Map<String, Integer> seen = new HashMap<>();
    boolean nan = false;
    for (int i = 0; i < callbacks.length; i++) {
      nan |= callbacks[i] instanceof StopOnNaN;
      String key = callbacks[i].stateKey();
      if (key != null) {
        int n = seen.merge(key, 1, Integer::sum);
        stateKeys[i] = n == 1 ? key : key + "_" + n;
      }
    }
    this.stopOnNaN = nan;
    this.params = params;
    this.watch =
        new DivergenceWatch(log, progress == null ? () -> {} : progress::abandonLine, chanceLoss(classes));
  }

  private final float[] params;
  private final DivergenceWatch watch;

  /** The mean loss of guessing uniformly: ln(classes) for cross-entropy, 0 for regression. */
  private static double chanceLoss(int classes) {
    return classes > 0 ? Math.log(classes) : 0;
  }

  /** The context callbacks see. */
  public TrainingContext context() {
    return context;
  }

  /** The run's history (resumed epochs included). */
  public History history() {
    return context.history();
  }

  /** Epochs finished, counting a resumed checkpoint's. */
  public int epochsCompleted() {
    return epochsCompleted;
  }

  /**
   * False from the start of an epoch until it is recorded, and after a divergence inside an epoch:
   * the weights and optimizer state then belong to no finished epoch.
   */
  public boolean betweenEpochs() {
    return !inEpoch;
  }

  private final boolean shuffle;

  /** The training loop's accuracy metric, whose counts {@link #epochProgress} reports. */
  void track(Accuracy a) {
    this.accuracy = a;
  }

  /**
   * How far the current epoch has come, for a checkpoint taken inside it (from a callback's
   * {@code onBatchEnd}, {@code onBatchBegin} or {@code onEpochBegin}); null between epochs.
   *
   * @throws IllegalStateException if the state inside the epoch cannot be saved: after a divergence
   *     (the weights were restored to the last finished epoch, the optimizer state was not), or when
   *     extra metrics or gradient norms are recorded (their running sums are not saved)
   */
  public EpochProgress epochProgress() {
    if (!inEpoch) {
      return null;
    }
    String why =
        diverged
            ? "training diverged in it and the weights were restored to the last finished epoch"
            : extraMetrics
                ? "the running values of the extra metrics (TrainOptions.withMetrics) are not saved inside an epoch"
                : gradientNorms
                    ? "the running gradient norms (TrainOptions.withGradientNorms) are not saved inside an epoch"
                    : null;
    if (why != null) {
      throw new IllegalStateException(
          "a checkpoint was requested inside epoch " + context.epoch() + ", but " + why
              + "; take checkpoints between epochs (from onEpochEnd, or after train returns)");
    }
    return new EpochProgress(
        batchesDone,
        context.lossSum,
        context.samplesSeen,
        context.correct,
        accuracy == null ? 0 : accuracy.correct(),
        accuracy == null ? 0 : accuracy.count());
  }

  /**
   * Continues the epoch just begun from a checkpoint's {@code progress}: its running sums, and the
   * accuracy counts into {@code a} (null for regression).
   */
  void resumeEpoch(EpochProgress progress, Accuracy a) {
    batchesDone = progress.batchesDone();
    context.samplesSeen = progress.samplesSeen();
    context.lossSum = progress.lossSum();
    context.correct = progress.correct();
    if (a != null) {
      a.restore(progress.accuracyCorrect(), progress.accuracyCount());
    }
  }

  /** Whether epochs are shuffled ({@link TrainOptions#shuffle()}). */
  public boolean shuffle() {
    return shuffle;
  }

  /** The seed of the per-epoch shuffling in use. */
  public long shuffleSeed() {
    return shuffleSeed;
  }

  /** The current state of every callback that has some, by unique key (for a checkpoint). */
  public Map<String, CallbackState> callbackStates() {
    Map<String, CallbackState> out = new LinkedHashMap<>();
    for (int i = 0; i < callbacks.length; i++) {
      if (stateKeys[i] != null) {
        CallbackState s = new CallbackState();
        callbacks[i].saveState(s);
        out.put(stateKeys[i], s);
      }
    }
    return out;
  }

  /**
   * Calls {@code onTrainBegin}, then restores each callback's state from {@code restored} (a
   * checkpoint's, by key; callbacks without an entry start fresh).
   */
  public void begin(Map<String, CallbackState> restored) {
    watch.begin(params);
    for (Callback c : callbacks) {
      c.onTrainBegin(context);
    }
    for (int i = 0; i < callbacks.length; i++) {
      CallbackState s = stateKeys[i] == null ? null : restored.get(stateKeys[i]);
      if (s != null) {
        callbacks[i].restoreState(s);
      }
    }
  }

  /** Starts epoch {@code epoch}. */
  public void epochBegin(int epoch) {
    inEpoch = true;
    batchesDone = 0;
    context.epoch = epoch;
    context.batch = -1;
    context.samplesSeen = 0;
    context.lossSum = 0;
    context.correct = 0;
    context.batchLoss = Double.NaN;
    for (Callback c : callbacks) {
      c.onEpochBegin(context);
    }
  }

  /** Before step {@code batch} (0-based) of the current epoch. */
  public void batchBegin(int batch) {
    context.batch = batch;
    for (Callback c : callbacks) {
      c.onBatchBegin(context);
    }
  }

  /** After a step over {@code n} samples with summed loss {@code lossSum} and {@code correct} hits. */
  public void batchEnd(int n, double lossSum, long correct) {
    context.samplesSeen += n;
    context.lossSum += lossSum;
    context.correct += correct;
    context.batchLoss = lossSum / n;
    batchesDone++;
    watch.batch(context.epoch, context.batch, context.batchLoss, context.learningRate());
    for (Callback c : callbacks) {
      c.onBatchEnd(context);
    }
  }

  /** Records the finished epoch in the history and calls {@code onEpochEnd}. */
  public void epochEnd(EpochStats stats) {
    context.batch = -1;
    context.history().add(stats);
    epochsCompleted = stats.epoch();
    inEpoch = false;
    watch.epochEnd(stats.epoch(), params, context.learningRate());
    for (Callback c : callbacks) {
      c.onEpochEnd(context);
    }
  }

  /** Whether a callback asked to stop. */
  public boolean stopRequested() {
    return context.stopRequested();
  }

  /**
   * The loop found a NaN or infinite loss or weight (and restored the weights). Returns true if a
   * {@link StopOnNaN} callback turns this into a normal stop; false means the loop must throw.
   */
  public boolean stopOnDivergence(TrainingDivergedException e) {
    if (progress != null) {
      progress.abandonLine();
    }
    diverged = true;
    if (!stopOnNaN) {
      return false;
    }
    context.divergence = e;
    context.requestStop("StopOnNaN: " + e.getMessage());
    return true;
  }

  /** Calls {@code onTrainEnd}. */
  public void end() {
    context.batch = -1;
    for (Callback c : callbacks) {
      c.onTrainEnd(context);
    }
  }

  /** Training ends with an exception: ends an open progress line so the error starts on its own. */
  public void failed() {
    if (progress != null) {
      progress.abandonLine();
    }
  }
}
