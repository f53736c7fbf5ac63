package dev.kiln.runtime.model;

import dev.kiln.runtime.optim.Adam;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.optim.Sgd;

/**
 * The optimizer a network was declared with.
 *
 * @param kind "SGD", "ADAM" or "ADAMW"
 */
public record OptimizerSpec(
    String kind,
    float learningRate,
    float momentum,
    boolean nesterov,
    float beta1,
    float beta2,
    float epsilon,
    float weightDecay) {

  /** A fresh optimizer for an arena of {@code size} floats. */
  public Optimizer create(int size) {
    return switch (kind) {
      case "SGD" -> new Sgd(size, learningRate, momentum, nesterov, weightDecay);
      case "ADAM" -> new Adam(size, learningRate, beta1, beta2, epsilon, weightDecay, false);
      case "ADAMW" -> new Adam(size, learningRate, beta1, beta2, epsilon, weightDecay, true);
      default -> throw new IllegalArgumentException("unknown optimizer " + kind);
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case "SGD" ->
          "SGD(lr=" + learningRate + ", momentum=" + momentum + (nesterov ? ", nesterov" : "")
              + ", weightDecay=" + weightDecay + ")";
      default ->
          kind + "(lr=" + learningRate + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + epsilon
              + ", weightDecay=" + weightDecay + ")";
    };
  }
}
