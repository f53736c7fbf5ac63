package dev.kiln.runtime.inspect;

import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.model.LossKind;

/**
 * The score of a class that an attribution explains.
 *
 * <p>{@link #LOGIT} is the default: the logit z_c of a softmax head; for one sigmoid output, z for
 * class 1 and -z for class 0 (the log-odds of the class); the output itself for regression. Logits
 * do not saturate, so gradients stay informative where the probability is already near 0 or 1.
 * {@link #PROBABILITY} explains the class probability instead (softmax(z)_c, σ(z) or 1 - σ(z)).
 */
public enum AttributionTarget {
  LOGIT,
  PROBABILITY;

  /**
   * The score of class (or output) {@code c} of row {@code row} from the logits, and, if
   * {@code seed} is not null, its gradient with respect to the logits written to
   * {@code seed[row * outputs, (row + 1) * outputs)}.
   */
  double score(Differentiable model, float[] logits, int row, int c, float[] seed) {
    int outs = model.outputs();
    int off = row * outs;
    if (seed != null) {
      java.util.Arrays.fill(seed, off, off + outs, 0f);
    }
    LossKind loss = model.loss();
    boolean binary = loss == LossKind.BINARY_CROSS_ENTROPY && outs == 1;
    if (this == LOGIT) {
      if (binary) {
        float sign = c == 1 ? 1f : -1f;
        if (seed != null) {
          seed[off] = sign;
        }
        return sign * logits[off];
      }
      if (seed != null) {
        seed[off + c] = 1f;
      }
      return logits[off + c];
    }
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < outs; j++) {
          max = Math.max(max, logits[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < outs; j++) {
          sum += Math.exp(logits[off + j] - max);
        }
        double pc = Math.exp(logits[off + c] - max) / sum;
        if (seed != null) {
          // ∂ p_c / ∂ z_j = p_c (δ_cj - p_j)
          for (int j = 0; j < outs; j++) {
            double pj = Math.exp(logits[off + j] - max) / sum;
            seed[off + j] = (float) (pc * ((j == c ? 1 : 0) - pj));
          }
        }
        return pc;
      }
      case BINARY_CROSS_ENTROPY -> {
        int j = binary ? 0 : c;
        double p = 1 / (1 + Math.exp(-logits[off + j]));
        double sign = binary && c == 0 ? -1 : 1;
        if (seed != null) {
          seed[off + j] = (float) (sign * p * (1 - p));
        }
        return binary && c == 0 ? 1 - p : p;
      }
      default ->
          throw new IllegalArgumentException("a regression network has no class probabilities; explain its LOGIT (output)");
    }
  }

  /**
   * @throws IllegalArgumentException if {@code c} is not a class (or output) of the network, naming
   *     the row
   */
  static void checkClass(Differentiable model, int row, int c) {
    int n = model.loss() == LossKind.BINARY_CROSS_ENTROPY && model.outputs() == 1 ? 2 : model.outputs();
    if (c < 0 || c >= n) {
      throw new IllegalArgumentException("class of row " + row + " is " + c + ", outside [0, " + n + ")");
    }
  }
}
