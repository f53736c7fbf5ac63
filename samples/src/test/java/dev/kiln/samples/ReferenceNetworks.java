package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;

/**
 * Small networks compared against PyTorch by {@link PyTorchReferenceTest}; together with the
 * samples and {@link TestNetworks} they cover every activation, loss and optimizer option.
 */
final class ReferenceNetworks {
  private ReferenceNetworks() {}

  /** BreastCancer without its dropout, so that its gradient and training can be compared: TANH, SIGMOID + BCE, AdamW. */
  @Network(inputs = 30, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.ADAMW, learningRate = 1e-3, weightDecay = 1e-2, batchSize = 16, seed = 3)
  static class TanhBinary {
    @Dense(units = 16, activation = Activation.TANH)
    Layer hidden;

    @Dense(units = 1, activation = Activation.SIGMOID)
    Layer diagnosis;
  }

  /** SIGMOID hidden layer, a LINEAR logit with BCE, SGD with (non-Nesterov) momentum and L2 weight decay. */
  @Network(inputs = 30, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.1, momentum = 0.9, weightDecay = 1e-3, batchSize = 16, seed = 11)
  static class SigmoidLogit {
    @Dense(units = 8, activation = Activation.SIGMOID)
    Layer hidden;

    @Dense(units = 1)
    Layer logit;
  }

  /**
   * Three dense layers (the first without bias), a TANH head with 3 outputs and MSE, Adam with L2
   * weight decay and non-default betas and epsilon.
   */
  @Network(inputs = 5, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 1e-2, weightDecay = 1e-3, beta1 = 0.8, beta2 = 0.99, epsilon = 1e-6, batchSize = 8, seed = 13)
  static class TanhRegressor {
    @Dense(units = 12, activation = Activation.SIGMOID, useBias = false)
    Layer first;

    @Dense(units = 8, activation = Activation.RELU)
    Layer second;

    @Dense(units = 3, activation = Activation.TANH)
    Layer out;
  }

  /** Plain SGD (no momentum) on the digits with a SOFTMAX head and a GELU hidden layer. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.2, batchSize = 24, seed = 17)
  static class PlainSgdDigits {
    @Dense(units = 20, activation = Activation.GELU)
    Layer hidden;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }
}
