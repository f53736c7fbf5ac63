package dev.kiln.runtime.inspect;

/**
 * The integrated-gradients attributions of one sample's class score (see
 * {@link IntegratedGradients}), with the two scores that completeness relates them to.
 *
 * @param values one attribution per input feature, in the sample's layout
 * @param cls the class (or output) explained
 * @param score f(x), the class score of the sample
 * @param baselineScore f(b), the class score of the baseline
 */
public record Attribution(float[] values, int cls, double score, double baselineScore) {
  /** The sum of the attributions, in double. */
  public double sum() {
    double s = 0;
    for (float v : values) {
      s += v;
    }
    return s;
  }

  /**
   * The completeness error {@code |Σ attributions - (f(x) - f(b))| / |f(x) - f(b)|}: how far the
   * quadrature is from the exact path integral (NaN when f(x) = f(b)).
   */
  public double completenessError() {
    double delta = score - baselineScore;
    return delta == 0 ? Double.NaN : Math.abs(sum() - delta) / Math.abs(delta);
  }
}
