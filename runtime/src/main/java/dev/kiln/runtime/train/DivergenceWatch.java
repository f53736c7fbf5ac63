package dev.kiln.runtime.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Notices training that is going wrong while the numbers are still finite, typically a learning
 * rate orders of magnitude too high (Adam at lr 1e3 trains to a useless model without a NaN), and
 * prints one warning line into the progress output, early, instead of letting the run finish
 * quietly. Training goes on; a NaN or infinite loss or weight still stops it with
 * {@link TrainingDivergedException}.
 *
 * <p>Two signals, each warned about once per run:
 * <ul>
 *   <li>the loss, smoothed over batches (exponential moving average, weight 0.1 for the newest
 *       batch), rises to at least {@value #FACTOR} times its lowest smoothed value and above the
 *       first batch's loss; smoothing keeps one hard batch from counting as a rise;
 *   <li>at the end of an epoch, the root mean square of the weights is at least {@value #FACTOR}
 *       times what it was when training started.
 * </ul>
 * The per-batch check is a few arithmetic operations and allocates nothing; the weight check is
 * one pass over the parameters per epoch.
 */
final class DivergenceWatch {
  /** How many times worse counts as "orders of magnitude". */
  static final double FACTOR = 100;

  private static final double ALPHA = 0.1;

  private final PrintStream log;
  private final Runnable beforePrint;
  private double first = Double.NaN;
  private double smoothed = Double.NaN;
  private double lowest = Double.POSITIVE_INFINITY;
  private double initialRms = Double.NaN;
  private boolean lossWarned;
  private boolean weightsWarned;

  /**
   * @param log where warnings go (the progress output), or null to print nothing
   * @param beforePrint ends a progress bar's open line before a warning is printed
   */
  DivergenceWatch(PrintStream log, Runnable beforePrint) {
    this.log = log;
    this.beforePrint = beforePrint;
  }

  /** Remembers the weights' size at the start of training. */
  void begin(float[] params) {
    initialRms = rms(params);
  }

  /**
   * After each batch with its mean loss; returns the warning printed, or null.
   *
   * @param learningRate the current rate, named in the warning
   */
  String batch(int epoch, int batch, double loss, double learningRate) {
    if (lossWarned || !Double.isFinite(loss)) {
      return null;
    }
    if (Double.isNaN(first)) {
      first = loss;
      smoothed = loss;
    } else {
      smoothed += ALPHA * (loss - smoothed);
    }
    lowest = Math.min(lowest, smoothed);
    if (smoothed >= FACTOR * lowest && smoothed > first && lowest >= 0) {
      lossWarned = true;
      return warn(String.format(Locale.ROOT,
          "warning: the training loss rose from %.4g to %.4g (x%.3g) by epoch %d, batch %d;"
              + " the learning rate (%.3g) is probably too high",
          lowest, smoothed, smoothed / lowest, epoch, batch, learningRate));
    }
    return null;
  }

  /** At the end of each epoch; returns the warning printed, or null. */
  String epochEnd(int epoch, float[] params, double learningRate) {
    if (weightsWarned || !(initialRms > 0)) {
      return null;
    }
    double now = rms(params);
    if (now >= FACTOR * initialRms) {
      weightsWarned = true;
      return warn(String.format(Locale.ROOT,
          "warning: the weights grew from RMS %.4g to %.4g (x%.3g) by the end of epoch %d;"
              + " the learning rate (%.3g) is probably too high",
          initialRms, now, now / initialRms, epoch, learningRate));
    }
    return null;
  }

  private String warn(String text) {
    if (log != null) {
      beforePrint.run();
      log.println(text);
      log.flush();
    }
    return text;
  }

  private static double rms(float[] a) {
    double sum = 0;
    for (float v : a) {
      sum += (double) v * v;
    }
    return a.length == 0 ? 0 : Math.sqrt(sum / a.length);
  }
}
