package dev.kiln.runtime.trust;

import java.util.Objects;

/**
 * How well a classifier's probabilities match reality on labelled data, at one temperature.
 *
 * <ul>
 *   <li>ECE: top-label expected calibration error over equal-width confidence bins
 *       ({@link ReliabilityBins}); for a sigmoid head the predicted class is 1 iff p ≥ 0.5 and the
 *       confidence is max(p, 1 − p).
 *   <li>NLL: mean over samples of −log p(label), from the logits (log-softmax, or softplus for a
 *       sigmoid head).
 *   <li>Brier score: for a softmax head the mean over samples of Σ_c (p_c − 1[c = label])²; for a
 *       sigmoid head the usual binary score, the mean of (p − label)² with p the probability of
 *       class 1 (half of the two-class sum above).
 * </ul>
 *
 * @param samples number of samples measured
 * @param temperature the temperature the probabilities were computed at
 * @param reliability the bins and the ECE
 * @param negativeLogLikelihood mean NLL in nats
 * @param brier the Brier score
 */
public record CalibrationMetrics(
    int samples, double temperature, ReliabilityBins reliability, double negativeLogLikelihood, double brier) {

  /** The expected calibration error. */
  public double expectedCalibrationError() {
    return reliability.expectedCalibrationError();
  }

  /**
   * Measures the head's probabilities at {@code temperature} on {@code labels.length} samples.
   *
   * @param logits row-major {@code [labels.length, width]}
   * @param width logits per sample (1 for a sigmoid head)
   * @param labels each sample's class
   * @param bins number of ECE bins (see {@link ReliabilityBins#DEFAULT_BINS})
   * @throws IllegalArgumentException if there are no samples, the sizes do not match, a label is
   *     outside the classes or a logit is not finite (naming the sample), or T is not positive
   */
  public static CalibrationMetrics of(
      float[] logits, int width, int[] labels, Head head, double temperature, int bins) {
    check(logits, width, labels, head);
    requireTemperature(temperature);
    int n = labels.length;
    double[] confidence = new double[n];
    boolean[] correct = new boolean[n];
    float[] p = new float[width];
    double nll = 0;
    double brier = 0;
    for (int i = 0; i < n; i++) {
      int off = i * width;
      head.probabilities(logits, off, width, temperature, p, 0);
      nll += head.negativeLogLikelihood(logits, off, width, labels[i], temperature);
      if (head == Head.SIGMOID) {
        double q = p[0];
        brier += (q - labels[i]) * (q - labels[i]);
        int predicted = q >= 0.5 ? 1 : 0;
        confidence[i] = Math.max(q, 1 - q);
        correct[i] = predicted == labels[i];
      } else {
        int best = 0;
        for (int j = 0; j < width; j++) {
          double d = p[j] - (j == labels[i] ? 1 : 0);
          brier += d * d;
          if (p[j] > p[best]) {
            best = j;
          }
        }
        confidence[i] = Math.clamp(p[best], 0.0, 1.0);
        correct[i] = best == labels[i];
      }
    }
    return new CalibrationMetrics(
        n, temperature, ReliabilityBins.of(confidence, correct, bins), nll / n, brier / n);
  }

  /**
   * Checks that {@code logits} holds {@code labels.length} finite rows of {@code width} and that
   * every label is a class of the head.
   */
  static void check(float[] logits, int width, int[] labels, Head head) {
    Objects.requireNonNull(logits, "logits");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(head, "head");
    if (width < 1 || (head == Head.SIGMOID && width != 1)) {
      throw new IllegalArgumentException(
          "a " + head + " head needs " + (head == Head.SIGMOID ? "exactly 1 logit" : "at least 1 logit")
              + " per sample, got " + width);
    }
    if (labels.length == 0) {
      throw new IllegalArgumentException("no samples: calibration needs labelled data");
    }
    if (logits.length != (long) labels.length * width) {
      throw new IllegalArgumentException(
          "logits hold " + logits.length + " values, expected " + labels.length + " samples x " + width
              + " logits = " + (long) labels.length * width);
    }
    int classes = head.classes(width);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            "label of sample " + i + " is " + labels[i] + ", outside [0, " + classes + ")");
      }
    }
    for (int k = 0; k < logits.length; k++) {
      if (!Float.isFinite(logits[k])) {
        throw new IllegalArgumentException(
            "logit " + k % width + " of sample " + k / width + " is " + logits[k] + "; logits must be finite");
      }
    }
  }

  static void requireTemperature(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("the temperature must be finite and > 0, got " + temperature);
    }
  }
}
