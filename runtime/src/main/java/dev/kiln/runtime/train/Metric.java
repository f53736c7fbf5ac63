package dev.kiln.runtime.train;

/**
 * A quantity measured over the samples of an epoch (or of an evaluation), batch by batch, and
 * recorded in the {@link History} under {@link #name()} (training) and {@code val_}{@link #name()}
 * (validation). Give extra metrics with {@link TrainOptions#withMetrics}; accuracy is always
 * measured for classification networks.
 *
 * <p>A metric is stateful: the loop calls {@link #reset()}, then {@link #accumulate} once per
 * batch, then reads {@link #result()}; the same instance measures training, then validation. Use
 * an instance in one {@code train} call at a time. {@code accumulate} runs once per training step:
 * to keep steps allocation-free, do not allocate in it.
 *
 * <pre>{@code
 * Metric meanAbsoluteError = new Metric() {
 *   double sum; long count;
 *   public String name() { return "mae"; }
 *   public void reset() { sum = 0; count = 0; }
 *   public void accumulate(float[] out, int off, int rows, int width, int[] labels, float[] targets) {
 *     for (int i = 0; i < rows * width; i++) sum += Math.abs(out[off + i] - targets[i]);
 *     count += (long) rows * width;
 *   }
 *   public double result() { return count == 0 ? Double.NaN : sum / count; }
 * };
 * }</pre>
 */
public interface Metric {
  /**
   * The name in the history and progress lines: letters, digits and {@code _}, not starting with
   * {@code val_}, and not {@code loss}, {@code accuracy} or {@code acc}.
   */
  String name();

  /** Forgets everything accumulated. */
  void reset();

  /**
   * Adds one batch of {@code rows} samples.
   *
   * @param outputs the network's outputs (probabilities for classification), sample {@code i} at
   *     {@code outputs[offset + i * width, offset + (i + 1) * width)}
   * @param offset where sample 0's outputs start
   * @param rows samples in the batch
   * @param width outputs per sample
   * @param labels class of sample {@code i} at {@code labels[i]} (classification), else null
   * @param targets targets row-major {@code [rows, width]} (regression), else null
   */
  void accumulate(float[] outputs, int offset, int rows, int width, int[] labels, float[] targets);

  /** The value over everything accumulated since {@link #reset()}; NaN if nothing was. */
  double result();

  /** A new accuracy metric (see {@link Accuracy}). */
  static Accuracy accuracy() {
    return new Accuracy();
  }
}
