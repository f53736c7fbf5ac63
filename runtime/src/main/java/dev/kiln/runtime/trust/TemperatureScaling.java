package dev.kiln.runtime.trust;

/**
 * Temperature scaling (Guo et al., 2017): the one number T > 0 that minimizes the mean negative
 * log-likelihood of {@code head(z / T)} on held-out logits z. Dividing every logit by the same T
 * changes no predicted class, only how confident the probabilities are.
 *
 * <p>The fit is deterministic and in double precision. With s = 1/T the mean NLL
 * {@code g(s) = mean_i [logsumexp(s·z_i) − s·z_i,y]} (for a sigmoid head {@code mean_i softplus(−s·m_i)}
 * with m = z for label 1 and −z for label 0) is convex in s, with
 * {@code g'(s) = mean_i (E_p[z_i] − z_i,y)} and {@code g''(s) = mean_i Var_p(z_i) ≥ 0}. The fit
 * brackets the root of g' in s ∈ [1/{@value #MAX_TEMPERATURE}, 1/{@value #MIN_TEMPERATURE}] and runs
 * Newton's method from s = 1, falling back to bisection whenever a Newton step leaves the bracket.
 * When g' has no root in that range (e.g. separable data, whose NLL keeps falling as T → 0) T ends
 * at the bound. The result never has a larger validation NLL than T = 1: if rounding made it so, T
 * = 1 is returned.
 */
public final class TemperatureScaling {
  /** Smallest temperature the fit returns. */
  public static final double MIN_TEMPERATURE = 0.01;

  /** Largest temperature the fit returns. */
  public static final double MAX_TEMPERATURE = 100;

  private static final int MAX_ITERATIONS = 200;

  private TemperatureScaling() {}

  /**
   * The result of a fit.
   *
   * @param temperature the fitted T
   * @param nllAtOne mean validation NLL at T = 1
   * @param nll mean validation NLL at the fitted T, never above {@code nllAtOne}
   * @param iterations Newton or bisection steps taken
   */
  public record Fit(double temperature, double nllAtOne, double nll, int iterations) {}

  /**
   * Fits T on {@code labels.length} samples.
   *
   * @param logits row-major {@code [labels.length, width]}
   * @param width logits per sample (1 for a sigmoid head)
   * @throws IllegalArgumentException if there are no samples, the sizes do not match, a label is
   *     outside the classes or a logit is not finite (naming the sample)
   */
  public static Fit fit(float[] logits, int width, int[] labels, Head head) {
    CalibrationMetrics.check(logits, width, labels, head);
    double lo = 1 / MAX_TEMPERATURE;
    double hi = 1 / MIN_TEMPERATURE;
    double[] d = new double[2];
    double s;
    int iterations = 0;
    derivatives(logits, width, labels, head, lo, d);
    if (d[0] >= 0) {
      s = lo; // the NLL rises with confidence everywhere: as flat as allowed
    } else {
      derivatives(logits, width, labels, head, hi, d);
      if (d[0] <= 0) {
        s = hi; // the NLL falls with confidence everywhere: as sharp as allowed
      } else {
        s = 1;
        while (iterations < MAX_ITERATIONS) {
          iterations++;
          derivatives(logits, width, labels, head, s, d);
          if (d[0] == 0) {
            break;
          }
          if (d[0] < 0) {
            lo = s;
          } else {
            hi = s;
          }
          double next = s - d[0] / d[1];
          if (!(d[1] > 0) || !(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
          }
          boolean done = Math.abs(next - s) <= 1e-13 * s || hi - lo <= 1e-13 * s;
          s = next;
          if (done) {
            break;
          }
        }
      }
    }
    double t = 1 / s;
    double atOne = meanNegativeLogLikelihood(logits, width, labels, head, 1);
    double atT = meanNegativeLogLikelihood(logits, width, labels, head, t);
    if (!(atT <= atOne)) {
      return new Fit(1, atOne, atOne, iterations);
    }
    return new Fit(t, atOne, atT, iterations);
  }

  /** The mean negative log-likelihood of {@code head(z / temperature)}. */
  public static double meanNegativeLogLikelihood(
      float[] logits, int width, int[] labels, Head head, double temperature) {
    CalibrationMetrics.check(logits, width, labels, head);
    CalibrationMetrics.requireTemperature(temperature);
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      sum += head.negativeLogLikelihood(logits, i * width, width, labels[i], temperature);
    }
    return sum / labels.length;
  }

  /** g'(s) and g''(s) of the mean NLL as a function of s = 1/T, into {@code d[0]}, {@code d[1]}. */
  private static void derivatives(float[] z, int width, int[] labels, Head head, double s, double[] d) {
    double first = 0;
    double second = 0;
    for (int i = 0; i < labels.length; i++) {
      int off = i * width;
      if (head == Head.SIGMOID) {
        double m = labels[i] == 1 ? z[off] : -z[off];
        double q = Head.sigmoid(-s * m); // 1 − σ(s·m)
        first += -m * q;
        second += m * m * q * (1 - q);
      } else {
        double lse = Head.logSumExp(z, off, width, s);
        double mean = 0;
        double meanSquare = 0;
        for (int j = 0; j < width; j++) {
          double p = Math.exp(s * z[off + j] - lse);
          mean += p * z[off + j];
          meanSquare += p * z[off + j] * z[off + j];
        }
        first += mean - z[off + labels[i]];
        second += Math.max(0, meanSquare - mean * mean);
      }
    }
    d[0] = first / labels.length;
    d[1] = second / labels.length;
  }
}
