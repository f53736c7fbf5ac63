package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.optim.GradientClipping;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.BatchPerturbation;
import dev.kiln.runtime.train.EpochProgress;
import dev.kiln.runtime.train.GradientHealth;
import dev.kiln.runtime.train.GradientNormTracker;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.SupervisedStep;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingLoop;
import dev.kiln.runtime.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training concern of a {@link CompiledModel}: checks a {@code train} call against the network
 * and its options, restores a checkpoint to resume from, builds the {@link TrainingLoop} over the
 * supervised step, and keeps the optimizer and the last run (their state goes into checkpoints). The
 * loop, the step and the callbacks live in {@code dev.kiln.runtime.train}; this class only wires
 * them to the model's arenas.
 */
final class ModelTraining {
  private final CompiledModel model;
  private final ModelSpec spec;
  private Optimizer optimizer;
  private TrainingRun run;

  ModelTraining(CompiledModel model) {
    this.model = model;
    this.spec = model.spec();
  }

  /** The last (or running) {@code train} call, or null before the first. */
  TrainingRun run() {
    return run;
  }

  /** The optimizer, created on first use; it keeps its moments from one {@code train} call to the next. */
  Optimizer optimizer() {
    if (optimizer == null) {
      optimizer = spec.optimizer().create(model.params.length);
    }
    return optimizer;
  }

  /** See {@link CompiledModel#train}. */
  History train(Dataset train, TrainOptions options) {
    DataCompatibility.check(spec, train, "training data");
    if (options.validation() != null) {
      DataCompatibility.check(spec, options.validation(), "validation data");
    }
    if (train.rows() == 0) {
      throw new IllegalArgumentException("training data '" + train.name() + "' has no rows");
    }
    requireTrainableLayers();
    CarriedStates states = model.states();
    if (states.any() && options.shuffle()) {
      throw new IllegalArgumentException(
          spec.network() + " has stateful recurrent layers " + statefulLayers() + ": each batch row continues the"
              + " same row of the previous batch, so training needs TrainOptions.withShuffle(false) (and data laid"
              + " out as TextStreams.contiguous does)");
    }
    Optimizer optimizer = optimizer();
    CheckpointFile.Resume resume = null;
    if (options.resumeFrom() != null) {
      long[] rng = {model.dropoutRng.state()};
      try {
        resume = CheckpointFile.read(options.resumeFrom(), spec, model.params, optimizer, rng, options.shuffle());
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
      model.dropoutRng.setState(rng[0]);
      if (resume.stateRows() > 0) {
        states.restore(resume.carriedStates(), resume.stateRows());
      } else {
        states.reset();
      }
      model.trust().set(resume.trust());
    }
    int batch =
        options.batchSize() > 0
            ? options.batchSize()
            : resume != null ? resume.batchSize() : spec.batchSize();
    if (states.any() && train.rows() % batch != 0) {
      throw new IllegalArgumentException(
          spec.network() + " has stateful recurrent layers " + statefulLayers() + ", whose states are per batch row:"
              + " every batch must have the same rows, but training data '" + train.name() + "' has " + train.rows()
              + " rows, not a multiple of the batch size " + batch + " (the last batch would have "
              + train.rows() % batch + "); build it with TextStreams.contiguous for this batch size");
    }
    if (resume != null && resume.batchesDone() > 0 && batch != resume.batchSize()) {
      throw new IllegalArgumentException(
          "cannot resume " + spec.network() + " from " + options.resumeFrom() + " inside epoch "
              + (resume.epoch() + 1) + " with batch size " + batch + ": the checkpoint was taken after "
              + resume.batchesDone() + " batches of " + resume.batchSize() + " rows");
    }
    model.ensureCapacity(Math.min(batch, train.rows()));
    long shuffleSeed =
        options.shuffleSeed() != null
            ? options.shuffleSeed()
            : resume != null ? resume.shuffleSeed() : model.seed();
    ArenaView arenas = model.arenas();
    TrainingLoop loop =
        new TrainingLoop(
            model,
            arenas,
            new SupervisedStep(
                arenas, optimizer, clipping(options), recordsGradientNorms(options) ? gradientNorms() : null,
                adversarialExamples(options, train, shuffleSeed)),
            optimizer,
            spec.optimizer().learningRate(),
            model.evaluator(),
            options,
            train,
            batch,
            resume == null ? 1 : resume.epoch() + 1,
            resume == null ? new History() : resume.history(),
            shuffleSeed,
            resume != null,
            resume == null ? null : resume.progress());
    this.run = loop.run();
    return loop.train(resume == null ? Map.of() : resume.callbacks());
  }

  /**
   * What a checkpoint holds besides the weights and the optimizer: the last run's epoch, history,
   * callback state and progress inside an epoch, or epoch 0 before any training (see
   * {@link CompiledModel#saveCheckpoint}).
   */
  CheckpointFile.State checkpointState() {
    TrainingRun r = run;
    EpochProgress progress = r == null ? null : r.epochProgress();
    CarriedStates states = model.states();
    return new CheckpointFile.State(
        r == null ? 0 : r.epochsCompleted(),
        r == null ? spec.batchSize() : r.context().batchSize(),
        r == null ? model.seed() : r.shuffleSeed(),
        r == null || r.shuffle(),
        model.dropoutRng.state(),
        r == null ? new History() : r.history(),
        r == null ? Map.of() : r.callbackStates(),
        progress,
        states.snapshot(),
        states.rows());
  }

  /**
   * The adversarial part of each batch when the options ask for adversarial training, else null.
   *
   * @throws UnsupportedOperationException if the network has no input gradient (it does not
   *     implement {@link Differentiable}), takes token ids or has stateful layers
   * @throws IllegalArgumentException if the network is not a classifier with one label per sample,
   *     or a training sample lies outside the attack's input range (naming its row and feature)
   */
  private BatchPerturbation adversarialExamples(TrainOptions options, Dataset train, long shuffleSeed) {
    BatchPerturbation.Factory adv = options.adversarialTraining();
    if (adv == null) {
      return null;
    }
    if (spec.tokenInput()) {
      throw new UnsupportedOperationException(
          spec.network() + ": adversarial training perturbs float inputs; this network takes token ids");
    }
    if (!statefulLayers().isEmpty()) {
      throw new UnsupportedOperationException(spec.network() + ": adversarial training does not support the"
          + " stateful layers " + statefulLayers() + ", whose carried states an attack would disturb");
    }
    int labelsPerSample = spec.labelsPerSample();
    if (!spec.loss().isClassification() || labelsPerSample != 1) {
      throw new IllegalArgumentException(
          spec.network() + ": adversarial training needs a classifier with one label per sample; its loss is "
              + spec.loss() + (labelsPerSample != 1 ? " with " + labelsPerSample + " labels per sample" : ""));
    }
    return adv.create(model, train, shuffleSeed);
  }

  /** The stateful layers' names, for messages. */
  private List<String> statefulLayers() {
    return spec.layers().stream().filter(CarriedStates::stateful).map(LayerSpec::name).toList();
  }

  /** The call's clipping: each bound from the options, or the declared one when the options leave it. */
  private GradientClipping clipping(TrainOptions options) {
    GradientClipSpec declared = spec.clipping();
    return new GradientClipping(
        options.gradientClipNorm() != null ? options.gradientClipNorm() : declared.maxNorm(),
        options.gradientClipValue() != null ? options.gradientClipValue() : declared.maxValue());
  }

  /** Whether the run records gradient norms: asked for, or needed by a {@link GradientHealth} callback. */
  private static boolean recordsGradientNorms(TrainOptions options) {
    return options.gradientNorms() || options.callbacks().stream().anyMatch(c -> c instanceof GradientHealth);
  }

  /** A tracker over the layers with trained parameters. */
  private GradientNormTracker gradientNorms() {
    List<String> names = new ArrayList<>();
    List<int[]> tensors = new ArrayList<>();
    for (LayerSpec l : spec.layers()) {
      List<ParamSpec> trained = l.params().stream().filter(ParamSpec::trained).toList();
      if (!trained.isEmpty()) {
        int[] pairs = new int[2 * trained.size()];
        for (int i = 0; i < trained.size(); i++) {
          pairs[2 * i] = trained.get(i).offset();
          pairs[2 * i + 1] = trained.get(i).length();
        }
        names.add(l.name());
        tensors.add(pairs);
      }
    }
    return new GradientNormTracker(names, tensors);
  }

  private void requireTrainableLayers() {
    TrainableLayers trainable = model.trainable();
    if (trainable.trainableCount() == 0) {
      throw new IllegalStateException(
          spec.network() + ": every layer is frozen " + trainable.frozenNames()
              + "; unfreeze at least one layer to train");
    }
  }
}
