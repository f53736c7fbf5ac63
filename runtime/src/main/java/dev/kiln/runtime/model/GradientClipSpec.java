package dev.kiln.runtime.model;

/**
 * The gradient clipping a network declares ({@code @Network(clipNorm = ..., clipValue = ...)}); the
 * options of a {@code train} call override it ({@code TrainOptions.withGradientClipNorm}, ...).
 *
 * @param maxNorm the largest total L2 norm of the gradient, 0 for no norm clipping
 * @param maxValue the largest absolute gradient value, 0 for no value clipping
 */
public record GradientClipSpec(double maxNorm, double maxValue) {
  /** No clipping. */
  public static final GradientClipSpec NONE = new GradientClipSpec(0, 0);

  public GradientClipSpec {
    if (!(maxNorm >= 0) || Double.isInfinite(maxNorm) || !(maxValue >= 0) || Double.isInfinite(maxValue)) {
      throw new IllegalArgumentException(
          "clipNorm and clipValue must be 0 (off) or positive and finite, got " + maxNorm + " and " + maxValue);
    }
  }
}
