package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.kernels.ThreadTuner;
import dev.kiln.runtime.optim.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop of one {@code train} call: epochs of seeded batches, each trained by a
 * {@link TrainingStep}; callbacks and progress (through {@link TrainingRun}); the thread tuner's
 * per-step hook; metrics; validation after every epoch; and divergence handling (a NaN or infinite
 * loss or weight restores the weights of the last finished epoch, then stops or throws). What a
 * step does is the step's business; this class is the same for every kind of training.
 *
 * <p>Steps allocate nothing here: the per-batch path only calls the step, the metrics and the
 * callbacks.
 */
public final class TrainingLoop {
  private final TrainableNetwork network;
  private final TrainingStep step;
  private final Evaluator evaluator;
  private final TrainOptions options;
  private final Dataset data;
  private final int batch;
  private final int firstEpoch;
  private final boolean resumed;
  private final EpochProgress resumedEpoch;
  private final long shuffleSeed;
  private final TrainingRun run;
  private final Accuracy accuracy;
  private final Metric[] stepMetrics;
  private final Metric[] extraMetrics;

  /**
   * @param model the model being trained, as callbacks see it
   * @param network its arenas
   * @param step what one batch does
   * @param optimizer the optimizer whose learning rate callbacks read and set
   * @param baseLearningRate the declared learning rate
   * @param evaluator evaluates {@code options.validation()} after each epoch
   * @param options the call's options
   * @param data the training data, already checked against the network, with at least one row
   * @param batch the mini-batch size
   * @param firstEpoch 1, or a checkpoint's epoch + 1
   * @param history the history so far (a checkpoint's epochs, or empty)
   * @param shuffleSeed the seed of the per-epoch order
   */
  public TrainingLoop(
      TrainedModel model,
      TrainableNetwork network,
      TrainingStep step,
      Optimizer optimizer,
      float baseLearningRate,
      Evaluator evaluator,
      TrainOptions options,
      Dataset data,
      int batch,
      int firstEpoch,
      History history,
      long shuffleSeed) {
    this(model, network, step, optimizer, baseLearningRate, evaluator, options, data, batch, firstEpoch, history,
        shuffleSeed, false, null);
  }

  /**
   * A loop that may continue from a checkpoint: as the other constructor, and
   *
   * @param resumed whether the run continues from a checkpoint (whose carried states the network
   *     holds already: the first epoch does not reset them)
   * @param resumedEpoch how far epoch {@code firstEpoch} had come when the checkpoint was taken inside
   *     it, or null to start it from its first batch
   */
  public TrainingLoop(
      TrainedModel model,
      TrainableNetwork network,
      TrainingStep step,
      Optimizer optimizer,
      float baseLearningRate,
      Evaluator evaluator,
      TrainOptions options,
      Dataset data,
      int batch,
      int firstEpoch,
      History history,
      long shuffleSeed,
      boolean resumed,
      EpochProgress resumedEpoch) {
    this.network = network;
    this.resumed = resumed;
    this.resumedEpoch = resumedEpoch;
    this.step = step;
    this.evaluator = evaluator;
    this.options = options;
    this.data = data;
    this.batch = batch;
    this.firstEpoch = firstEpoch;
    this.shuffleSeed = shuffleSeed;
    this.accuracy = network.isClassification() ? new Accuracy() : null;
    List<Metric> extra = options.metrics();
    this.extraMetrics = extra.toArray(new Metric[0]);
    this.stepMetrics = new Metric[extraMetrics.length + (accuracy == null ? 0 : 1)];
    int k = 0;
    if (accuracy != null) {
      stepMetrics[k++] = accuracy;
    }
    System.arraycopy(extraMetrics, 0, stepMetrics, k, extraMetrics.length);
    this.run =
        new TrainingRun(
            model,
            network.name(),
            network.classes(),
            options,
            optimizer,
            network.parameters(),
            baseLearningRate,
            data.rows(),
            batch,
            firstEpoch,
            history,
            shuffleSeed);
    run.track(accuracy);
  }

  /** The callback side of this call: its context, history and checkpointable state. */
  public TrainingRun run() {
    return run;
  }

  /**
   * Trains from {@code firstEpoch} to {@code options.epochs()} (or until a callback stops it),
   * restoring each callback's state from {@code restored} first (a checkpoint's, by key).
   *
   * @return the run's history
   * @throws TrainingDivergedException if the loss or weights became NaN or infinite and no
   *     {@link StopOnNaN} callback turned that into a stop (the weights are restored first)
   */
  public History train(Map<String, CallbackState> restored) {
    float[] params = network.parameters();
    float[] lastGood = params.clone();
    int rows = data.rows();
    int batches = EpochOrder.batchCount(rows, batch);
    int[] identity = options.shuffle() ? null : evaluator.identity(rows);
    try (ThreadTuner tuner = ThreadTuner.forCurrentThreads()) {
      run.begin(restored);
      epochs:
      for (int epoch = firstEpoch; epoch <= options.epochs() && !run.stopRequested(); epoch++) {
        boolean continuing = epoch == firstEpoch && resumedEpoch != null;
        // Carried recurrent states start each epoch from zeros, unless the epoch continues a checkpoint
        // (which restored them) or the options carry them across epochs.
        boolean keepStates =
            continuing || (options.carryStatesAcrossEpochs() && (epoch > firstEpoch || resumed));
        if (!keepStates) {
          network.resetStates();
        }
        run.epochBegin(epoch);
        step.epochBegin(epoch);
        int firstBatch = 0;
        int[] order = options.shuffle() ? EpochOrder.permutation(shuffleSeed, epoch, rows) : identity;
        for (Metric m : stepMetrics) {
          m.reset();
        }
        GradientNormTracker norms = step.gradientNorms();
        if (norms != null) {
          norms.reset();
        }
        double lossSum = 0;
        if (continuing) {
          run.resumeEpoch(resumedEpoch, accuracy);
          lossSum = resumedEpoch.lossSum();
          firstBatch = resumedEpoch.batchesDone();
        }
        long t0 = System.nanoTime();
        for (int b = firstBatch; b < batches; b++) {
          run.batchBegin(b);
          tuner.stepBegin();
          int start = b * batch;
          int n = Math.min(batch, rows - start);
          long correctBefore = accuracy == null ? 0 : accuracy.correct();
          long countBefore = accuracy == null ? 0 : accuracy.count();
          double loss = step.run(data, order, start, n);
          if (!Double.isFinite(loss)) {
            TrainingDivergedException e = diverged(params, lastGood, epoch, b, "the loss became " + loss);
            if (run.stopOnDivergence(e)) {
              break epochs;
            }
            throw e;
          }
          step.accumulate(stepMetrics, n);
          // Hits as samples: a sequence output counts its labelled steps, scaled to the batch's rows.
          long counted = accuracy == null ? 0 : accuracy.count() - countBefore;
          long hits = counted == 0 ? 0 : Math.round((double) (accuracy.correct() - correctBefore) * n / counted);
          tuner.stepEnd();
          lossSum += loss;
          run.batchEnd(n, loss, hits);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!allFinite(params)) {
          TrainingDivergedException e =
              diverged(params, lastGood, epoch, batches - 1, "the weights became NaN or infinite");
          if (run.stopOnDivergence(e)) {
            break;
          }
          throw e;
        }
        System.arraycopy(params, 0, lastGood, 0, params.length);
        Map<String, Double> metrics = extraMetrics.length == 0 ? Map.of() : new LinkedHashMap<>();
        for (Metric m : extraMetrics) {
          metrics.put(m.name(), m.result());
        }
        Evaluation val = null;
        if (options.validation() != null) {
          val = evaluator.evaluate(options.validation(), extraMetrics);
          for (Metric m : extraMetrics) {
            metrics.put("val_" + m.name(), m.result());
          }
        }
        run.epochEnd(
            new EpochStats(
                epoch,
                lossSum / rows,
                accuracy != null ? accuracy.result() : Double.NaN,
                val == null ? Double.NaN : val.loss(),
                val == null ? Double.NaN : val.accuracy(),
                seconds,
                rows / seconds,
                metrics,
                norms == null ? null : norms.result()));
      }
      run.end();
    } catch (RuntimeException | Error e) {
      run.failed();
      throw e;
    }
    return run.history();
  }

  private TrainingDivergedException diverged(float[] params, float[] lastGood, int epoch, int batch, String what) {
    System.arraycopy(lastGood, 0, params, 0, params.length);
    return new TrainingDivergedException(
        network.name() + ": training stopped in epoch " + epoch + ", batch " + batch + ": " + what
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
}
