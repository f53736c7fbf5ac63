package dev.kiln.runtime.inspect;

import dev.kiln.runtime.model.Differentiable;
import java.util.Objects;

/**
 * Integrated gradients (Sundararajan et al. 2017): the attribution of feature j is
 * {@code (x_j - b_j) ∫₀¹ ∂ f(b + α(x - b)) / ∂ x_j dα} for a baseline b and a class score f (see
 * {@link AttributionTarget}; the logit by default). The attributions add up to
 * {@code f(x) - f(b)} (completeness) up to the error of the quadrature, which each
 * {@link Attribution} reports. Immutable; each setter returns a copy.
 *
 * <pre>{@code
 * Attribution a = IntegratedGradients.steps(64).explain(model, sample, predictedClass);
 * a.completenessError(); // |Σ attributions - (f(x) - f(b))| / |f(x) - f(b)|
 * }</pre>
 *
 * <p>Quadrature: {@link Quadrature#GAUSS_LEGENDRE} (the default, as Captum's) is exact for
 * polynomials of degree 2·steps - 1 along the path and converges fast on smooth networks (tanh,
 * sigmoid); on ReLU networks the gradient is piecewise constant along the path and both rules
 * converge at a similar rate. The gradients of all the path's points go through the network as one
 * batch of {@code steps} rows.
 */
public final class IntegratedGradients {
  /** How the path integral is approximated from {@code steps} gradients. */
  public enum Quadrature {
    /** Gauss-Legendre nodes and weights on [0, 1]. */
    GAUSS_LEGENDRE,
    /** The trapezoid rule on steps equally spaced points including both ends (steps >= 2). */
    TRAPEZOID
  }

  private final int steps;
  private final float[] baseline; // one sample, or null for zeros
  private final Quadrature quadrature;
  private final AttributionTarget target;

  private IntegratedGradients(int steps, float[] baseline, Quadrature quadrature, AttributionTarget target) {
    this.steps = steps;
    this.baseline = baseline;
    this.quadrature = quadrature;
    this.target = target;
  }

  /**
   * Integrated gradients from {@code steps} gradients along the path (zero baseline, Gauss-Legendre,
   * on the logit).
   *
   * @throws IllegalArgumentException if {@code steps < 2}
   */
  public static IntegratedGradients steps(int steps) {
    if (steps < 2) {
      throw new IllegalArgumentException("integrated gradients need at least 2 steps, got " + steps);
    }
    return new IntegratedGradients(steps, null, Quadrature.GAUSS_LEGENDRE, AttributionTarget.LOGIT);
  }

  /** The baseline sample (copied); the default is all zeros. */
  public IntegratedGradients baseline(float[] sample) {
    return new IntegratedGradients(steps, Objects.requireNonNull(sample, "sample").clone(), quadrature, target);
  }

  public IntegratedGradients quadrature(Quadrature q) {
    return new IntegratedGradients(steps, baseline, Objects.requireNonNull(q, "quadrature"), target);
  }

  /** Explains the class probability or the logit (the default). */
  public IntegratedGradients target(AttributionTarget t) {
    return new IntegratedGradients(steps, baseline, quadrature, Objects.requireNonNull(t, "target"));
  }

  public int steps() {
    return steps;
  }

  public Quadrature quadrature() {
    return quadrature;
  }

  public AttributionTarget target() {
    return target;
  }

  /**
   * The attributions of class (or output) {@code cls}'s score for one sample.
   *
   * @throws IllegalArgumentException if the sample or the baseline is not {@code model.inputs()}
   *     floats, or {@code cls} is not a class of the network
   */
  public Attribution explain(Differentiable model, float[] sample, int cls) {
    Objects.requireNonNull(model, "model");
    int width = model.inputs();
    int outs = model.outputs();
    if (sample.length != width) {
      throw new IllegalArgumentException("the sample has " + sample.length + " floats, the network takes " + width);
    }
    if (baseline != null && baseline.length != width) {
      throw new IllegalArgumentException("the baseline has " + baseline.length + " floats, the network takes " + width);
    }
    AttributionTarget.checkClass(model, 0, cls);
    float[] b = baseline != null ? baseline : new float[width];
    double[][] rule = quadrature == Quadrature.GAUSS_LEGENDRE ? gaussLegendre(steps) : trapezoid(steps);
    double[] alphas = rule[0];
    double[] weights = rule[1];

    // f(x) and f(b)
    float[] ends = new float[2 * width];
    System.arraycopy(sample, 0, ends, 0, width);
    System.arraycopy(b, 0, ends, width, width);
    float[] endLogits = new float[2 * outs];
    model.logits(ends, 2, endLogits);
    double fx = target.score(model, endLogits, 0, cls, null);
    double fb = target.score(model, endLogits, 1, cls, null);

    float[] points = new float[steps * width];
    for (int k = 0; k < steps; k++) {
      float a = (float) alphas[k];
      for (int j = 0; j < width; j++) {
        points[k * width + j] = b[j] + a * (sample[j] - b[j]);
      }
    }
    float[] logits = new float[steps * outs];
    float[] seed = new float[steps * outs];
    model.logits(points, steps, logits);
    for (int k = 0; k < steps; k++) {
      target.score(model, logits, k, cls, seed);
    }
    float[] gradient = new float[steps * width];
    model.logitGradient(points, steps, seed, gradient);
    float[] attributions = new float[width];
    for (int j = 0; j < width; j++) {
      double integral = 0;
      for (int k = 0; k < steps; k++) {
        integral += weights[k] * gradient[k * width + j];
      }
      attributions[j] = (float) ((sample[j] - (double) b[j]) * integral);
    }
    return new Attribution(attributions, cls, fx, fb);
  }

  /**
   * Nodes (row 0) and weights (row 1) of the n-point Gauss-Legendre rule on [0, 1]: the roots of
   * the Legendre polynomial P_n by Newton's method from Chebyshev-like guesses.
   */
  static double[][] gaussLegendre(int n) {
    double[] x = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < (n + 1) / 2; i++) {
      double z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
      double dp;
      for (int iter = 0; ; iter++) {
        double p0 = 1;
        double p1 = 0;
        for (int k = 1; k <= n; k++) {
          double p2 = p1;
          p1 = p0;
          p0 = ((2 * k - 1) * z * p1 - (k - 1) * p2) / k;
        }
        dp = n * (z * p0 - p1) / (z * z - 1);
        double dz = p0 / dp;
        z -= dz;
        if (Math.abs(dz) < 1e-15 || iter > 100) {
          break;
        }
      }
      // Recompute the derivative at the converged root for the weight.
      double p0 = 1;
      double p1 = 0;
      for (int k = 1; k <= n; k++) {
        double p2 = p1;
        p1 = p0;
        p0 = ((2 * k - 1) * z * p1 - (k - 1) * p2) / k;
      }
      dp = n * (z * p0 - p1) / (z * z - 1);
      double weight = 2 / ((1 - z * z) * dp * dp);
      // map [-1, 1] to [0, 1]: α = (1 ± z) / 2, weight / 2
      x[i] = (1 - z) / 2;
      x[n - 1 - i] = (1 + z) / 2;
      w[i] = weight / 2;
      w[n - 1 - i] = weight / 2;
    }
    return new double[][] {x, w};
  }

  /** Nodes and weights of the trapezoid rule on n equally spaced points of [0, 1]. */
  static double[][] trapezoid(int n) {
    double[] x = new double[n];
    double[] w = new double[n];
    double h = 1.0 / (n - 1);
    for (int k = 0; k < n; k++) {
      x[k] = k * h;
      w[k] = k == 0 || k == n - 1 ? h / 2 : h;
    }
    return new double[][] {x, w};
  }
}
