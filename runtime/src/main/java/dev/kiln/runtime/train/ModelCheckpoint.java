package dev.kiln.runtime.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Saves training checkpoints ({@code Model.saveCheckpoint}: weights, optimizer state, random
 * stream, learning rate, history, callback state) at the end of epochs: either whenever a monitored
 * metric improves ({@link #best}), or every {@code n} epochs ({@link #everyEpochs}); or inside
 * epochs, every {@code n} batches ({@link #everyBatches}), with the position in the epoch and a
 * stateful network's carried states, so that a run resumed from it continues bitwise as the
 * uninterrupted run would have. Each file is
 * written atomically (a temporary file renamed over the target), so a crash or a throwing callback
 * never leaves a half-written checkpoint under the name, and the previous file stays usable.
 *
 * <p>A {@code {epoch}} in the file name is replaced by the epoch number, e.g.
 * {@code ckpt-{epoch}.safetensors}, and a {@code {batch}} by the batches done in the epoch; without
 * them each save replaces the last. Its {@code onEpochEnd}
 * runs after every other callback's (see {@link Callback#writesCheckpoints()}).
 *
 * <pre>{@code
 * ModelCheckpoint.best(dir.resolve("best.safetensors"), "val_accuracy")
 * ModelCheckpoint.everyEpochs(dir.resolve("epoch-{epoch}.safetensors"), 1)
 * ModelCheckpoint.everyBatches(dir.resolve("last.safetensors"), 500)
 * }</pre>
 */
public final class ModelCheckpoint implements Callback {
  private final Path pattern;
  private final String monitor;
  private final int every;
  private final int everyBatches;
  private MonitorMode mode;
  private double best = Double.NaN;
  private Path lastSaved;

  private ModelCheckpoint(Path pattern, String monitor, int every) {
    this(pattern, monitor, every, 0);
  }

  private ModelCheckpoint(Path pattern, String monitor, int every, int everyBatches) {
    this.pattern = Objects.requireNonNull(pattern, "file");
    if (pattern.getFileName() == null) {
      throw new IllegalArgumentException("checkpoint file name missing in " + pattern);
    }
    this.monitor = monitor;
    this.every = every;
    this.everyBatches = everyBatches;
    this.mode = monitor == null ? MonitorMode.MIN : MonitorMode.inferFrom(monitor);
  }

  /** Saves when {@code monitor} improves on the best value so far (the first epoch always saves). */
  public static ModelCheckpoint best(Path file, String monitor) {
    return new ModelCheckpoint(file, EpochStats.canonicalMetric(monitor), 0);
  }

  /** Saves after every epoch whose number is a multiple of {@code n}. */
  public static ModelCheckpoint everyEpochs(Path file, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    return new ModelCheckpoint(file, null, n);
  }

  /**
   * Saves inside epochs, after every batch whose number within its epoch (counting from 1) is a
   * multiple of {@code n}; not at epoch ends. Not available with extra metrics or gradient norms
   * (see {@code TrainingRun.epochProgress}).
   */
  public static ModelCheckpoint everyBatches(Path file, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    return new ModelCheckpoint(file, null, 0, n);
  }

  /** Overrides the mode inferred from the monitored metric's name. */
  public ModelCheckpoint withMode(MonitorMode m) {
    this.mode = Objects.requireNonNull(m, "mode");
    return this;
  }

  /** The file for {@code epoch}: the pattern with {@code {epoch}} replaced. */
  public Path fileFor(int epoch) {
    return fileFor(epoch, 0);
  }

  /** The file for batch {@code batchesDone} of {@code epoch}: {@code {epoch}} and {@code {batch}} replaced. */
  public Path fileFor(int epoch, int batchesDone) {
    String name = pattern.getFileName().toString().replace("{epoch}", Integer.toString(epoch))
        .replace("{batch}", Integer.toString(batchesDone));
    return pattern.resolveSibling(name);
  }

  @Override
  public void onBatchEnd(TrainingContext c) {
    int done = c.batch() + 1;
    if (everyBatches > 0 && done % everyBatches == 0) {
      save(c, fileFor(c.epoch(), done), "batch " + done + " of epoch " + c.epoch());
    }
  }

  /** The last file written in this run, or null. */
  public Path lastSaved() {
    return lastSaved;
  }

  /** The best monitored value so far (NaN when not monitoring or before the first epoch). */
  public double best() {
    return best;
  }

  @Override
  public void onTrainBegin(TrainingContext c) {
    if (monitor != null) {
      c.requireMetric(monitor, "ModelCheckpoint");
    }
    best = Double.NaN;
    lastSaved = null;
  }

  @Override
  public void onEpochEnd(TrainingContext c) {
    if (everyBatches > 0) {
      return;
    }
    if (monitor != null) {
      double value = c.metric(monitor);
      if (!mode.improves(value, best, 0)) {
        return;
      }
      best = value;
    } else if (c.epoch() % every != 0) {
      return;
    }
    save(c, fileFor(c.epoch()), "epoch " + c.epoch());
  }

  private void save(TrainingContext c, Path file, String after) {
    try {
      c.model().saveCheckpoint(file);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "ModelCheckpoint could not write " + file + " after " + after + ": " + e.getMessage(), e);
    }
    lastSaved = file;
  }

  @Override
  public boolean writesCheckpoints() {
    return true;
  }

  @Override
  public String stateKey() {
    return "model_checkpoint";
  }

  @Override
  public void saveState(CallbackState s) {
    s.putDouble("best", best);
  }

  @Override
  public void restoreState(CallbackState s) {
    best = s.getDouble("best", Double.NaN);
  }
}
