package dev.kiln.runtime.train;

import dev.kiln.runtime.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Writes the history as CSV, one row per finished epoch:
 * {@code epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second}
 * (undefined values are empty cells; numbers are Java's shortest exact decimal form). When gradient
 * norms are recorded ({@link TrainOptions#withGradientNorms()}) the row goes on with
 * {@code grad_norm} (the total), {@code grad_norm_<layer>} for each layer, in layer order, and
 * {@code update_ratio_<layer>} for each layer (see {@link GradientNorms}).
 *
 * <p>After every epoch the whole file is rewritten atomically from the live history (a temporary
 * file renamed over the target) rather than appended to: a reader never sees a half row, a crash
 * leaves the previous epoch's complete file, and a run resumed from a checkpoint rewrites exactly
 * the checkpoint's epochs plus the new ones, with no duplicate rows for epochs run twice. The
 * files are small (one row per epoch), so the rewrite costs nothing noticeable.
 */
public final class CsvLogger implements Callback {
  /** The header row. */
  public static final String HEADER =
      "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_second";

  private final Path file;
  private float[] learningRates = new float[0]; // by epoch - 1; NaN where unknown

  /** Logs to {@code file}, replacing what it held. */
  public CsvLogger(Path file) {
    this.file = Objects.requireNonNull(file, "file");
  }

  /** The file written. */
  public Path file() {
    return file;
  }

  @Override
  public void onTrainBegin(TrainingContext c) {
    learningRates = new float[0];
  }

  @Override
  public void onBatchEnd(TrainingContext c) {
    // The rate of the epoch's first step, whatever order the schedules run in.
    if (c.batch() != 0) {
      return;
    }
    if (learningRates.length < c.epoch()) {
      int old = learningRates.length;
      learningRates = Arrays.copyOf(learningRates, c.epoch());
      Arrays.fill(learningRates, old, learningRates.length, Float.NaN);
    }
    learningRates[c.epoch() - 1] = c.learningRate();
  }

  @Override
  public void onEpochEnd(TrainingContext c) {
    GradientNorms columns = null;
    for (EpochStats e : c.history().epochs()) {
      if (e.gradientNorms() != null) {
        columns = e.gradientNorms();
        break;
      }
    }
    StringBuilder s = new StringBuilder(HEADER);
    if (columns != null) {
      s.append(",grad_norm");
      for (String layer : columns.layers().keySet()) {
        s.append(",grad_norm_").append(layer);
      }
      for (String layer : columns.updateRatios().keySet()) {
        s.append(",update_ratio_").append(layer);
      }
    }
    s.append('\n');
    for (EpochStats e : c.history().epochs()) {
      float lr = e.epoch() <= learningRates.length ? learningRates[e.epoch() - 1] : Float.NaN;
      s.append(e.epoch())
          .append(',').append(cell(e.loss()))
          .append(',').append(cell(e.accuracy()))
          .append(',').append(cell(e.validationLoss()))
          .append(',').append(cell(e.validationAccuracy()))
          .append(',').append(Float.isNaN(lr) ? "" : Float.toString(lr))
          .append(',').append(cell(e.seconds()))
          .append(',').append(cell(e.samplesPerSecond()));
      if (columns != null) {
        GradientNorms g = e.gradientNorms();
        s.append(',').append(g == null ? "" : cell(g.total()));
        for (String layer : columns.layers().keySet()) {
          Double v = g == null ? null : g.layers().get(layer);
          s.append(',').append(v == null ? "" : cell(v));
        }
        for (String layer : columns.updateRatios().keySet()) {
          Double v = g == null ? null : g.updateRatios().get(layer);
          s.append(',').append(v == null ? "" : cell(v));
        }
      }
      s.append('\n');
    }
    try {
      AtomicFiles.write(file, s.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("CsvLogger could not write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String cell(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  @Override
  public String stateKey() {
    return "csv_logger";
  }

  @Override
  public void saveState(CallbackState s) {
    s.putFloats("learning_rates", learningRates);
  }

  @Override
  public void restoreState(CallbackState s) {
    float[] lrs = s.getFloats("learning_rates");
    if (lrs != null) {
      learningRates = lrs;
    }
  }
}
