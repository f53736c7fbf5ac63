package dev.kiln.report;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;

/** Small networks for the report tests; Kiln's processor compiles each into {@code <Name>Model}. */
final class ReportNetworks {
  private ReportNetworks() {}

  /** Three classes in the plane, softmax output. */
  @Network(inputs = 2, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, batchSize = 32, seed = 11)
  static class ThreeBlobs {
    @Dense(units = 16, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** Two overlapping classes, one sigmoid output trained with binary cross-entropy. */
  @Network(inputs = 2, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.1, momentum = 0.9, batchSize = 16, seed = 12)
  static class TwoBlobs {
    @Dense(units = 8, activation = Activation.TANH)
    Layer hidden;

    @Dense(units = 1, activation = Activation.SIGMOID)
    Layer output;
  }

  /** Regression with two targets. */
  @Network(inputs = 2, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAMW, learningRate = 1e-2, weightDecay = 1e-3, batchSize = 32, seed = 13)
  static class Plane {
    @Dense(units = 16, activation = Activation.TANH)
    Layer hidden;

    @Dense(units = 2)
    Layer output;
  }

  /** A small CNN on 1x6x6 images: 4 filters of 3x3 (valid, ReLU), max pooling, two classes. */
  @Network(inputShape = {1, 6, 6}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, batchSize = 16, seed = 14)
  static class TinyCnn {
    @Conv2D(filters = 4, kernel = 3, activation = Activation.RELU)
    Layer conv;

    @MaxPool2D(size = 2)
    Layer pool;

    @Flatten
    Layer flat;

    @Dense(units = 2, activation = Activation.SOFTMAX)
    Layer output;
  }
}
