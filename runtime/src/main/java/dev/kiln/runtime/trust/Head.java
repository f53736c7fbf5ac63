package dev.kiln.runtime.trust;

/**
 * The function that turns a classifier's logits into probabilities, with a temperature T > 0 that
 * divides the logits first. Everything is computed in double precision from float logits, with a
 * numerically stable log-sum-exp, so that very large logits give finite scores and losses.
 *
 * <p>A softmax head has {@code width} logits per sample and as many class probabilities; a sigmoid
 * head has one logit z per sample and one output, the probability σ(z) of class 1 (its two classes
 * are the softmax over the logits {0, z}).
 */
public enum Head {
  /** softmax(z / T) over {@code width} classes. */
  SOFTMAX,
  /** σ(z / T), the probability of class 1 of a binary classifier; {@code width} is 1. */
  SIGMOID;

  /** Number of classes of a sample of {@code width} logits: {@code width}, or 2 for a sigmoid. */
  public int classes(int width) {
    return this == SIGMOID ? 2 : width;
  }

  /**
   * Writes the head's outputs for one sample: {@code width} probabilities at {@code out[outOff]}.
   *
   * @param z logits; the sample's {@code width} logits start at {@code zOff}
   * @param temperature T > 0 (1 leaves the logits as they are)
   */
  public void probabilities(float[] z, int zOff, int width, double temperature, float[] out, int outOff) {
    if (this == SIGMOID) {
      for (int j = 0; j < width; j++) {
        out[outOff + j] = (float) sigmoid(z[zOff + j] / temperature);
      }
      return;
    }
    double lse = logSumExp(z, zOff, width, 1 / temperature);
    for (int j = 0; j < width; j++) {
      out[outOff + j] = (float) Math.exp(z[zOff + j] / temperature - lse);
    }
  }

  /**
   * The negative log-likelihood −log p(label) of one sample under the head at temperature T,
   * computed from the logits (log-softmax, or softplus for a sigmoid), never from rounded
   * probabilities.
   */
  public double negativeLogLikelihood(float[] z, int zOff, int width, int label, double temperature) {
    if (this == SIGMOID) {
      double m = label == 1 ? z[zOff] / temperature : -z[zOff] / temperature;
      return softplus(-m);
    }
    return logSumExp(z, zOff, width, 1 / temperature) - z[zOff + label] / temperature;
  }

  /** log Σ_j exp(scale · z_j) over one sample's logits, shifted by the largest for stability. */
  public static double logSumExp(float[] z, int off, int width, double scale) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < width; j++) {
      max = Math.max(max, scale * z[off + j]);
    }
    double sum = 0;
    for (int j = 0; j < width; j++) {
      sum += Math.exp(scale * z[off + j] - max);
    }
    return max + Math.log(sum);
  }

  /** σ(x) = 1 / (1 + e^−x), without overflow for large |x|. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /** log(1 + e^x), without overflow for large x and accurate for very negative x. */
  public static double softplus(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }
}
