package dev.kiln.runtime.inspect;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.train.Accuracy;
import java.util.Arrays;
import java.util.Objects;

/**
 * Accuracy under attack for a list of radii ε, on a classification data set: for each ε, the
 * fraction of samples that the network classifies correctly both as they are and after the attack
 * with that radius. A sample the network already gets wrong counts as not robust at every ε (an
 * attacker can leave it alone), so robust accuracy never exceeds clean accuracy and equals it at
 * ε = 0. Deterministic: random starts are drawn per row of the data set, independent of batching.
 *
 * <pre>{@code
 * RobustAccuracy r = RobustAccuracy.evaluate(model, test, Pgd.linf(0.1f).steps(10).range(0, 1), 0, 0.05, 0.1);
 * r.accuracyAt(0.1);
 * }</pre>
 *
 * @param attack the attack's {@link Pgd#name()}
 * @param epsilons the radii, in the order given
 * @param robustCorrect per radius, the samples classified correctly clean and attacked
 * @param cleanCorrect the samples classified correctly without attack
 * @param samples the samples evaluated
 */
public record RobustAccuracy(String attack, double[] epsilons, long[] robustCorrect, long cleanCorrect, long samples) {
  /** Rows per call into the network. */
  private static final int BATCH = 256;

  public RobustAccuracy {
    Objects.requireNonNull(attack, "attack");
    epsilons = epsilons.clone();
    robustCorrect = robustCorrect.clone();
    if (epsilons.length != robustCorrect.length) {
      throw new IllegalArgumentException("one robust count per epsilon: " + epsilons.length + " epsilons, "
          + robustCorrect.length + " counts");
    }
  }

  /** The clean accuracy. */
  public double cleanAccuracy() {
    return samples == 0 ? Double.NaN : (double) cleanCorrect / samples;
  }

  /** The robust accuracy at the {@code i}-th radius. */
  public double robustAccuracy(int i) {
    return samples == 0 ? Double.NaN : (double) robustCorrect[i] / samples;
  }

  /**
   * The robust accuracy at radius {@code epsilon}.
   *
   * @throws IllegalArgumentException if it was not evaluated, listing those that were
   */
  public double accuracyAt(double epsilon) {
    for (int i = 0; i < epsilons.length; i++) {
      if (epsilons[i] == epsilon) {
        return robustAccuracy(i);
      }
    }
    throw new IllegalArgumentException("epsilon " + epsilon + " was not evaluated; the radii are "
        + Arrays.toString(epsilons));
  }

  /** Robust accuracies in the order of {@link #epsilons()}. */
  public double[] robustAccuracies() {
    double[] a = new double[epsilons.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = robustAccuracy(i);
    }
    return a;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(attack).append(": clean ").append(String.format("%.4f", cleanAccuracy()));
    for (int i = 0; i < epsilons.length; i++) {
      s.append(String.format(", ε=%s %.4f", (float) epsilons[i], robustAccuracy(i)));
    }
    return s.append(" (").append(samples).append(" samples)").toString();
  }

  /**
   * Evaluates {@code attack} at each radius in {@code epsilons} (the attack's own ε is replaced, its
   * step size scaled along; see {@link Pgd#withEpsilon}) on every row of {@code data}.
   *
   * @throws IllegalArgumentException if the data set is not a classification set with one label per
   *     row and the network's input width, a radius is negative or not finite, or a sample lies
   *     outside the attack's input range (naming its row)
   */
  public static RobustAccuracy evaluate(Differentiable model, Dataset data, Pgd attack, double... epsilons) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(attack, "attack");
    Pgd[] attacks = new Pgd[epsilons.length];
    for (int e = 0; e < epsilons.length; e++) {
      if (!(epsilons[e] >= 0) || Double.isInfinite(epsilons[e])) {
        throw new IllegalArgumentException("epsilon " + e + " must be finite and >= 0, got " + epsilons[e]);
      }
      attacks[e] = attack.withEpsilon((float) epsilons[e]);
    }
    TrustChecks.requireClassificationData(model, data, "robust accuracy");
    int width = model.inputs();
    int outs = model.outputs();
    int rows = data.rows();
    int cap = Math.min(BATCH, Math.max(rows, 1));
    float[] x = new float[cap * width];
    float[] adv = new float[cap * width];
    float[] gradient = new float[cap * width];
    float[] out = new float[cap * outs];
    int[] labels = new int[cap];
    boolean[] clean = new boolean[cap];
    long cleanCorrect = 0;
    long[] robust = new long[epsilons.length];
    for (int start = 0; start < rows; start += cap) {
      int n = Math.min(cap, rows - start);
      System.arraycopy(data.features(), start * width, x, 0, n * width);
      System.arraycopy(data.labels(), start, labels, 0, n);
      attack.range().checkInside(x, n, width, "data '" + data.name() + "' (batch from row " + start + ")");
      model.predict(x, n, out);
      for (int i = 0; i < n; i++) {
        clean[i] = Accuracy.predictedClass(out, i * outs, outs) == labels[i];
        cleanCorrect += clean[i] ? 1 : 0;
      }
      for (int e = 0; e < attacks.length; e++) {
        attacks[e].perturb(model, x, labels, n, adv, gradient, attacks[e].seed(), start);
        model.predict(adv, n, out);
        for (int i = 0; i < n; i++) {
          if (clean[i] && Accuracy.predictedClass(out, i * outs, outs) == labels[i]) {
            robust[e]++;
          }
        }
      }
    }
    return new RobustAccuracy(attack.name(), epsilons, robust, cleanCorrect, rows);
  }
}
