package dev.kiln.runtime.kernels;

/** Scalar activation formulas shared by both backends (transcendentals stay scalar: Math.exp is a JIT intrinsic). */
final class ActivationMath {
  private static final double INV_SQRT2 = 0.7071067811865476;
  private static final double INV_SQRT_2PI = 0.3989422804014327;

  private ActivationMath() {}

  /**
   * erf by Abramowitz &amp; Stegun 7.1.26 (max abs error 1.5e-7), evaluated in double. Good enough for
   * float results; it keeps GELU within ~1e-7·|z| of PyTorch's exact form.
   */
  static double erf(double x) {
    double ax = Math.abs(x);
    double t = 1.0 / (1.0 + 0.3275911 * ax);
    double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    double r = 1.0 - poly * Math.exp(-ax * ax);
    return x >= 0 ? r : -r;
  }

  static float sigmoid(float z) {
    // Two branches so exp never overflows.
    if (z >= 0) {
      return (float) (1.0 / (1.0 + Math.exp(-z)));
    }
    double e = Math.exp(z);
    return (float) (e / (1.0 + e));
  }

  static float gelu(float z) {
    return (float) (0.5 * z * (1.0 + erf(z * INV_SQRT2)));
  }

  /** d/dz z·Φ(z) = Φ(z) + z·φ(z). */
  static float geluDerivative(float z) {
    double cdf = 0.5 * (1.0 + erf(z * INV_SQRT2));
    double pdf = INV_SQRT_2PI * Math.exp(-0.5 * (double) z * z);
    return (float) (cdf + z * pdf);
  }

  /** act(z) for the elementwise activations. */
  static float apply(Activation act, float alpha, float z) {
    return switch (act) {
      case LINEAR -> z;
      case RELU -> z > 0 ? z : 0f;
      case LEAKY_RELU -> z > 0 ? z : alpha * z;
      case SIGMOID -> sigmoid(z);
      case TANH -> (float) Math.tanh(z);
      case GELU -> gelu(z);
      case SOFTMAX -> throw new IllegalArgumentException("SOFTMAX is not elementwise");
    };
  }

  /** act'(z) given y = act(z) (and z, only read for GELU). */
  static float derivative(Activation act, float alpha, float y, float z) {
    return switch (act) {
      case LINEAR -> 1f;
      case RELU -> y > 0 ? 1f : 0f;
      case LEAKY_RELU -> y > 0 ? 1f : alpha;
      case SIGMOID -> y * (1f - y);
      case TANH -> 1f - y * y;
      case GELU -> geluDerivative(z);
      case SOFTMAX -> throw new IllegalArgumentException("SOFTMAX has no elementwise derivative; fuse it into the loss");
    };
  }

  /** y[r, :] = softmax(z[r, :]) for one row, max-subtracted; z == y allowed. */
  static void softmaxRow(float[] z, int zOff, float[] y, int yOff, int cols) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < cols; j++) {
      max = Math.max(max, z[zOff + j]);
    }
    double sum = 0;
    for (int j = 0; j < cols; j++) {
      float e = (float) Math.exp(z[zOff + j] - max);
      y[yOff + j] = e;
      sum += e;
    }
    float inv = (float) (1.0 / sum);
    for (int j = 0; j < cols; j++) {
      y[yOff + j] *= inv;
    }
  }
}
