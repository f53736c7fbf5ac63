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
 *   <li>the median of the last {@value #WINDOW} batch losses is at least {@value #FACTOR} times the
 *       loss the run started at: the first batch's, or for classification the loss of guessing
 *       ({@code ln classes}) if that is higher, so that a converged model whose first batch happened
 *       to be easy is not flagged. The median ignores a few hard batches;
 *   <li>at the end of an epoch, the root mean square of the weights is at least {@value #FACTOR}
 *       times what it was when training started.
 * </ul>
 * Adam at lr 1e3 on the digits shows both: the loss jumps from 24 to 3e9 after one step and stays
 * near 1e3, and after the first epoch the largest weight is about 1e4.
 * The per-batch check sorts seven numbers in a reused array and allocates nothing; the weight check
 * is one pass over the parameters per epoch.
 */
final class DivergenceWatch {
  /** How many times worse counts as "orders of magnitude". */
  static final double FACTOR = 100;

  /** Batches in the median. */
  static final int WINDOW = 7;

  private final PrintStream log;
  private final Runnable beforePrint;
  private final double chanceLoss;
  private final double[] recent = new double[WINDOW];
  private final double[] sorted = new double[WINDOW];
  private long seen;
  private double start;
  private double initialRms = Double.NaN;
  private boolean lossWarned;
  private boolean weightsWarned;

  /**
   * @param log where warnings go (the progress output), or null to print nothing
   * @param beforePrint ends a progress bar's open line before a warning is printed
   * @param chanceLoss the loss of guessing uniformly (classification), or 0
   */
  DivergenceWatch(PrintStream log, Runnable beforePrint, double chanceLoss) {
    this.log = log;
    this.beforePrint = beforePrint;
    this.chanceLoss = chanceLoss;
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
    if (seen == 0) {
      start = Math.max(loss, chanceLoss);
    }
    recent[(int) (seen++ % WINDOW)] = loss;
    if (seen < WINDOW) {
      return null;
    }
    double median = median();
    if (median >= FACTOR * start && start > 0) {
      lossWarned = true;
      return warn(String.format(Locale.ROOT,
          "warning: the training loss (median of the last %d batches) is %.4g, %.3g times the %.4g it"
              + " started at, in epoch %d, batch %d; the learning rate (%.3g) is probably too high",
          WINDOW, median, median / start, start, epoch, batch, learningRate));
    }
    return null;
  }

  /** Median of {@link #recent}, by insertion sort into a reused array: no allocation. */
  private double median() {
    for (int i = 0; i < WINDOW; i++) {
      double v = recent[i];
      int j = i - 1;
      while (j >= 0 && sorted[j] > v) {
        sorted[j + 1] = sorted[j];
        j--;
      }
      sorted[j + 1] = v;
    }
    return sorted[WINDOW / 2];
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
