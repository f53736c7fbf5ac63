package dev.kiln.runtime.trust;

import java.util.Arrays;
import java.util.Objects;

/**
 * An out-of-distribution rule: an input is flagged when its {@link OodScore} is on the wrong side
 * of a threshold chosen on in-distribution validation data, so that a known fraction of
 * in-distribution inputs is accepted.
 *
 * <p>The threshold is the score of the k-th most in-distribution-looking validation sample, k =
 * ⌈acceptRate · n⌉: every validation sample scoring at least as well is accepted, so at least
 * {@code acceptRate} of them are (more only when scores tie). For MSP an input is flagged when its
 * score is below the threshold; for energy when it is above.
 *
 * @param score which score
 * @param temperature the temperature the score is computed at (for MSP the model's calibration
 *     temperature when the detector was fitted, for energy T_e), kept so that a later calibration
 *     does not move the rule
 * @param threshold the threshold, in the score's own units
 * @param acceptRate the fraction of in-distribution validation samples the threshold was chosen to
 *     accept, in (0, 1]
 */
public record OodDetector(OodScore score, double temperature, double threshold, double acceptRate) {
  /** The accept rate used unless another is given: 95 % of in-distribution inputs are accepted. */
  public static final double DEFAULT_ACCEPT_RATE = 0.95;

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if the temperature or threshold is not finite or the accept
   *     rate is outside (0, 1]
   */
  public OodDetector {
    Objects.requireNonNull(score, "score");
    CalibrationMetrics.requireTemperature(temperature);
    if (!Double.isFinite(threshold)) {
      throw new IllegalArgumentException("the out-of-distribution threshold must be finite, got " + threshold);
    }
    if (!(acceptRate > 0 && acceptRate <= 1)) {
      throw new IllegalArgumentException("the accept rate must be in (0, 1], got " + acceptRate);
    }
  }

  /**
   * Chooses the threshold on the scores of in-distribution validation samples.
   *
   * @param values each validation sample's {@code score} value
   * @throws IllegalArgumentException if there are no values, one is not finite, or the accept rate
   *     is outside (0, 1]
   */
  public static OodDetector fit(double[] values, OodScore score, double temperature, double acceptRate) {
    Objects.requireNonNull(values, "values");
    if (values.length == 0) {
      throw new IllegalArgumentException(
          "no in-distribution validation samples to choose the out-of-distribution threshold on");
    }
    if (!(acceptRate > 0 && acceptRate <= 1)) {
      throw new IllegalArgumentException("the accept rate must be in (0, 1], got " + acceptRate);
    }
    double[] outlier = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException("score of validation sample " + i + " is " + values[i]);
      }
      outlier[i] = score.outlierScore(values[i]);
    }
    Arrays.sort(outlier);
    // The tolerance keeps 0.95 * 100 (94.99999999999999 in doubles) at 95.
    int k = Math.max(1, (int) Math.ceil(acceptRate * values.length - 1e-9));
    return new OodDetector(score, temperature, score.outlierScore(outlier[k - 1]), acceptRate);
  }

  /** Whether a sample with this score value is flagged as out of distribution. */
  public boolean flags(double value) {
    return score.outlierScore(value) > score.outlierScore(threshold);
  }

  /** Fraction of {@code values} this rule flags; NaN for none. */
  public double flaggedFraction(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    int flagged = 0;
    for (double v : values) {
      flagged += flags(v) ? 1 : 0;
    }
    return (double) flagged / values.length;
  }
}
