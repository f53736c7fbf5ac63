package dev.kiln.onnx;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;

/**
 * Networks the export tests train and export; with the samples' Digits (RELU, SOFTMAX) and
 * BreastCancer (TANH, dropout, SIGMOID head) they cover every activation, loss and layer option.
 */
final class ExportNetworks {
  private ExportNetworks() {}

  /** LEAKY_RELU with a non-default slope, GELU, a dropout between them, LINEAR logits under softmax cross-entropy. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 21)
  static class LeakyGeluDigits {
    @Dense(units = 32, activation = Activation.LEAKY_RELU, negativeSlope = 0.1)
    Layer leaky;

    @Dropout(rate = 0.1)
    Layer drop;

    @Dense(units = 24, activation = Activation.GELU)
    Layer gelu;

    @Dense(units = 10)
    Layer logits;
  }

  /** SIGMOID without bias (MatMul), TANH, and a LINEAR logit under binary cross-entropy (sigmoid head). */
  @Network(inputs = 30, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 16, seed = 22)
  static class SigmoidTanhBinary {
    @Dense(units = 12, activation = Activation.SIGMOID, useBias = false)
    Layer squash;

    @Dense(units = 8, activation = Activation.TANH)
    Layer tanh;

    @Dense(units = 1)
    Layer logit;
  }

  /** Regression with GELU and RELU hidden layers and a LINEAR output under mean squared error. */
  @Network(inputs = 29, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 16, seed = 23)
  static class LinearRegressor {
    @Dense(units = 16, activation = Activation.GELU)
    Layer gelu;

    @Dense(units = 8, activation = Activation.RELU)
    Layer relu;

    @Dense(units = 1)
    Layer out;
  }

  /** Regression whose output layer is activated (TANH, 2 outputs) after LEAKY_RELU and SIGMOID layers. */
  @Network(inputs = 28, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 16, seed = 24)
  static class TanhHeadRegressor {
    @Dense(units = 16, activation = Activation.LEAKY_RELU, negativeSlope = 0.2)
    Layer leaky;

    @Dense(units = 8, activation = Activation.SIGMOID)
    Layer sigmoid;

    @Dense(units = 2, activation = Activation.TANH)
    Layer out;
  }
}
