package dev.kiln.runtime.inspect;

import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.model.Differentiable;
import java.util.Objects;

/**
 * Projected gradient descent on the loss (Madry et al. 2018), which with one step of size ε and no
 * random start is the fast gradient sign method (FGSM, Goodfellow et al. 2015; see {@link Fgsm}).
 * Each step moves every sample up the gradient of its own loss against its true label (the sign of
 * the gradient, times the step size, for L∞; the gradient scaled to the step size's L2 length for
 * L2), then projects back into the ε-ball around the clean sample and clips to the valid
 * {@link InputRange}. Immutable; each setter returns a copy.
 *
 * <pre>{@code
 * Pgd attack = Pgd.linf(0.1f).steps(10).stepSize(0.025f).randomStart(7).range(0, 1);
 * float[] adversarial = attack.perturb(model, x, labels, rows);
 * }</pre>
 *
 * <p>Defaults: 10 steps of size 2.5 ε / steps (Madry et al.'s rule), no random start, no range. The
 * step size is kept as a fraction of ε, so {@link #withEpsilon} (used by {@link RobustAccuracy} to
 * sweep ε) scales it along.
 *
 * <p>Random start: L∞ draws each feature's offset uniformly in [-ε, ε]; L2 draws a direction from a
 * standard normal and a radius ε·u^(1/d), uniform in the ball. Sample {@code firstRow + i}'s draws
 * come from its own stream derived from the seed and that index, so results do not depend on how
 * the rows are batched.
 *
 * <p>Floats: the L∞ projection clamps to {@code [x - ε, x + ε]} computed in float, so a perturbed
 * feature may sit up to one float rounding of {@code x ± ε} beyond ε from the clean one.
 */
public final class Pgd {
  /** The norm that measures perturbations. */
  public enum Norm {
    /** The largest absolute change of a feature. */
    LINF("L∞"),
    /** The Euclidean length of the change. */
    L2("L2");

    private final String symbol;

    Norm(String symbol) {
      this.symbol = symbol;
    }

    /** "L∞" or "L2". */
    public String symbol() {
      return symbol;
    }
  }

  private final Norm norm;
  private final float epsilon;
  private final int steps;
  private final double stepFraction; // step size / ε; NaN: 2.5 / steps
  private final boolean randomStart;
  private final long seed;
  private final InputRange range;
  private final boolean fgsm;

  private Pgd(Norm norm, float epsilon, int steps, double stepFraction, boolean randomStart, long seed,
      InputRange range, boolean fgsm) {
    this.norm = norm;
    this.epsilon = epsilon;
    this.steps = steps;
    this.stepFraction = stepFraction;
    this.randomStart = randomStart;
    this.seed = seed;
    this.range = range;
    this.fgsm = fgsm;
  }

  /** PGD in the L∞ ball of radius {@code epsilon} (10 steps of 2.5 ε / 10, no random start, no range). */
  public static Pgd linf(float epsilon) {
    return new Pgd(Norm.LINF, checkEpsilon(epsilon), 10, Double.NaN, false, 0, InputRange.unbounded(), false);
  }

  /** PGD in the L2 ball of radius {@code epsilon} (10 steps of 2.5 ε / 10, no random start, no range). */
  public static Pgd l2(float epsilon) {
    return new Pgd(Norm.L2, checkEpsilon(epsilon), 10, Double.NaN, false, 0, InputRange.unbounded(), false);
  }

  /** One step of size ε without random start: FGSM (see {@link Fgsm}). */
  static Pgd fgsm(Norm norm, float epsilon) {
    return new Pgd(norm, checkEpsilon(epsilon), 1, 1.0, false, 0, InputRange.unbounded(), true);
  }

  private static float checkEpsilon(float epsilon) {
    if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    return epsilon;
  }

  /**
   * The number of gradient steps.
   *
   * @throws IllegalArgumentException if {@code n < 1}
   */
  public Pgd steps(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + n);
    }
    return new Pgd(norm, epsilon, n, stepFraction, randomStart, seed, range, fgsm && n == 1);
  }

  /**
   * The length of each step (L∞: the change of each feature; L2: the Euclidean length), kept as the
   * fraction {@code size / ε} when ε changes.
   *
   * @throws IllegalArgumentException if the size is not positive and finite, or ε is 0
   */
  public Pgd stepSize(float size) {
    if (!(size > 0) || Float.isInfinite(size)) {
      throw new IllegalArgumentException("step size must be positive and finite, got " + size);
    }
    if (epsilon == 0) {
      throw new IllegalArgumentException("a step size needs epsilon > 0 (it is kept as a fraction of epsilon)");
    }
    return new Pgd(norm, epsilon, steps, (double) size / epsilon, randomStart, seed, range, fgsm && size == epsilon);
  }

  /** Starts from a random point of the ε-ball, drawn from {@code seed} (deterministic). */
  public Pgd randomStart(long seed) {
    return new Pgd(norm, epsilon, steps, stepFraction, true, seed, range, false);
  }

  /** Clips perturbed inputs to {@code [lo, hi]} (e.g. 0 and 1 for images scaled to [0, 1]). */
  public Pgd range(float lo, float hi) {
    return range(InputRange.of(lo, hi));
  }

  /** Clips perturbed inputs to {@code range} (see {@link InputRange}). */
  public Pgd range(InputRange range) {
    return new Pgd(norm, epsilon, steps, stepFraction, randomStart, seed, Objects.requireNonNull(range, "range"), fgsm);
  }

  /** The same attack with radius {@code epsilon}, the step size scaled in proportion. */
  public Pgd withEpsilon(float epsilon) {
    return new Pgd(norm, checkEpsilon(epsilon), steps, stepFraction, randomStart, seed, range, fgsm);
  }

  public Norm norm() {
    return norm;
  }

  public float epsilon() {
    return epsilon;
  }

  public int steps() {
    return steps;
  }

  /** The step size: ε times the set fraction, or 2.5 ε / steps by default. */
  public float stepSize() {
    return (float) (epsilon * (Double.isNaN(stepFraction) ? 2.5 / steps : stepFraction));
  }

  public boolean hasRandomStart() {
    return randomStart;
  }

  /** The seed of the random start (0 without one). */
  public long seed() {
    return seed;
  }

  public InputRange range() {
    return range;
  }

  /** "FGSM L∞" or "PGD-10 L2" and so on. */
  public String name() {
    return (fgsm ? "FGSM" : "PGD-" + steps) + " " + norm.symbol();
  }

  @Override
  public String toString() {
    return name() + " ε=" + epsilon + (fgsm ? "" : ", step " + stepSize()) + (randomStart ? ", random start " + seed : "")
        + ", range " + range;
  }

  /**
   * Adversarial versions of {@code rows} samples (row-major in {@code x}) against their true
   * {@code labels}; allocates the result and a gradient buffer.
   *
   * @throws IllegalArgumentException as {@link #perturb(Differentiable, float[], int[], int, float[], float[], long, long)}
   */
  public float[] perturb(Differentiable model, float[] x, int[] labels, int rows) {
    int width = model.inputs();
    float[] out = new float[Math.multiplyExact(rows, width)];
    perturb(model, x, labels, rows, out, new float[out.length], seed, 0);
    return out;
  }

  /**
   * Writes adversarial versions of {@code rows} samples of {@code x} to {@code out}, without
   * allocating: {@code gradient} is scratch space of at least {@code rows * model.inputs()} floats.
   * Random starts, if any, come from the attack's seed and the sample's row {@code firstRow + i}.
   * {@code x} and the labels are not changed; {@code out} must not be {@code x}.
   *
   * @param stream the random-start seed to use instead of the attack's own (training derives one per
   *     epoch from the run's seed); ignored without a random start
   * @param firstRow the index of row 0 in its data set, which with {@code stream} picks each row's
   *     random draws
   * @throws IllegalArgumentException if an array is too short, {@code out} is {@code x}, or a clean
   *     value is outside the input range (naming the row and feature)
   */
  public void perturb(Differentiable model, float[] x, int[] labels, int rows, float[] out, float[] gradient,
      long stream, long firstRow) {
    Objects.requireNonNull(model, "model");
    int width = model.inputs();
    long count = (long) rows * width;
    requireLength("x", x, count);
    requireLength("out", out, count);
    requireLength("gradient", gradient, count);
    if (labels.length < rows) {
      throw new IllegalArgumentException("labels has " + labels.length + " entries for " + rows + " rows");
    }
    if (out == x) {
      throw new IllegalArgumentException("out must not be x: the projection needs the clean samples");
    }
    if (!model.loss().isClassification()) {
      throw new IllegalArgumentException(
          "attacks maximize a classification loss, but the network's loss is " + model.loss());
    }
    range.checkInside(x, rows, width, "clean input");
    System.arraycopy(x, 0, out, 0, (int) count);
    if (epsilon == 0) {
      return;
    }
    if (randomStart) {
      for (int i = 0; i < rows; i++) {
        randomOffset(SplitMix64.derive(stream, firstRow + i), x, out, gradient, i * width, width);
        range.clip(out, i * width, width);
      }
    }
    float alpha = stepSize();
    for (int s = 0; s < steps; s++) {
      model.lossGradient(out, labels, rows, gradient);
      for (int i = 0; i < rows; i++) {
        int off = i * width;
        if (norm == Norm.LINF) {
          for (int j = 0; j < width; j++) {
            float g = gradient[off + j];
            float v = out[off + j] + alpha * Math.signum(g);
            float c = x[off + j];
            out[off + j] = Math.min(Math.max(v, c - epsilon), c + epsilon);
          }
        } else {
          double gn = Math.sqrt(sumOfSquares(gradient, off, width));
          if (gn > 0) {
            float scale = (float) (alpha / gn);
            for (int j = 0; j < width; j++) {
              out[off + j] += scale * gradient[off + j];
            }
          }
          projectL2(x, out, off, width);
        }
        range.clip(out, off, width);
      }
    }
  }

  /**
   * Adds a random point of the ε-ball to {@code out[off, off + width)}; {@code scratch} holds the
   * normal draws of an L2 direction at the same offsets. Draw {@code t} of the row is
   * {@code SplitMix64.derive(rowSeed, t)}: counter-based, so nothing is allocated.
   */
  private void randomOffset(long rowSeed, float[] x, float[] out, float[] scratch, int off, int width) {
    long t = 0;
    if (norm == Norm.LINF) {
      for (int j = 0; j < width; j++) {
        out[off + j] += (float) ((2 * uniform(rowSeed, t++) - 1) * epsilon);
      }
      return;
    }
    // A standard normal direction (Box-Muller), scaled to radius ε·u^(1/d): uniform in the ball.
    double sum = 0;
    for (int j = 0; j < width; j += 2) {
      double r = Math.sqrt(-2 * Math.log(1 - uniform(rowSeed, t++)));
      double angle = 2 * Math.PI * uniform(rowSeed, t++);
      double a = r * Math.cos(angle);
      scratch[off + j] = (float) a;
      sum += (double) scratch[off + j] * scratch[off + j];
      if (j + 1 < width) {
        scratch[off + j + 1] = (float) (r * Math.sin(angle));
        sum += (double) scratch[off + j + 1] * scratch[off + j + 1];
      }
    }
    double radius = epsilon * Math.pow(uniform(rowSeed, t), 1.0 / width);
    double scale = sum > 0 ? radius / Math.sqrt(sum) : 0;
    for (int j = 0; j < width; j++) {
      out[off + j] = (float) (out[off + j] + scratch[off + j] * scale);
    }
    projectL2(x, out, off, width); // rounding of x + a may overshoot ε by an ulp
  }

  /** Uniform in [0, 1) with 53 random bits: draw {@code t} of the stream {@code seed}. */
  private static double uniform(long seed, long t) {
    return (SplitMix64.derive(seed, t) >>> 11) * 0x1.0p-53;
  }

  /** Scales {@code out - x} on {@code [off, off + width)} back to length ε if it is longer. */
  private void projectL2(float[] x, float[] out, int off, int width) {
    double sum = 0;
    for (int j = 0; j < width; j++) {
      double d = out[off + j] - x[off + j];
      sum += d * d;
    }
    double len = Math.sqrt(sum);
    if (len > epsilon) {
      double scale = epsilon / len;
      for (int j = 0; j < width; j++) {
        out[off + j] = (float) (x[off + j] + (out[off + j] - x[off + j]) * scale);
      }
    }
  }

  private static double sumOfSquares(float[] a, int off, int n) {
    double s = 0;
    for (int j = 0; j < n; j++) {
      s += (double) a[off + j] * a[off + j];
    }
    return s;
  }

  private static void requireLength(String name, float[] a, long needed) {
    Objects.requireNonNull(a, name);
    if (a.length < needed) {
      throw new IllegalArgumentException(name + " has " + a.length + " floats, rows * inputs = " + needed + " needed");
    }
  }
}
