package dev.kiln.processor.ir;

import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Optimizer;
import java.util.Set;

/**
 * The network-level settings of {@code @Network}.
 *
 * @param inputShape the declared input shape ({@code inputShape}, else {@code {inputs}})
 * @param explicit attribute names the user wrote (the rest are defaults)
 * @param clipNorm gradient clipping by global norm (0: off)
 * @param clipValue gradient clipping by value (0: off)
 */
public record NetworkConfig(
    int inputs,
    int[] inputShape,
    Loss loss,
    Optimizer optimizer,
    double learningRate,
    double momentum,
    boolean nesterov,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    int batchSize,
    long seed,
    Set<String> explicit,
    double clipNorm,
    double clipValue) {
  /** Settings without gradient clipping. */
  public NetworkConfig(
      int inputs,
      int[] inputShape,
      Loss loss,
      Optimizer optimizer,
      double learningRate,
      double momentum,
      boolean nesterov,
      double beta1,
      double beta2,
      double epsilon,
      double weightDecay,
      int batchSize,
      long seed,
      Set<String> explicit) {
    this(inputs, inputShape, loss, optimizer, learningRate, momentum, nesterov, beta1, beta2, epsilon, weightDecay,
        batchSize, seed, explicit, 0, 0);
  }
}
