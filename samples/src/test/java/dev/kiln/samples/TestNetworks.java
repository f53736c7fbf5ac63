package dev.kiln.samples;

import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Add;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;

/** Small networks used only by the tests; Kiln compiles each into {@code <Name>Model}. */
final class TestNetworks {
  private TestNetworks() {}

  /** Plain SGD with an absurd learning rate: its loss overflows within a few steps. */
  @Network(inputs = 2, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.SGD, learningRate = 1e6, batchSize = 4)
  static class Exploding {
    @Dense(units = 8, activation = Activation.LINEAR)
    Layer hidden;

    @Dense(units = 1)
    Layer out;
  }

  /** Digits with Adam at a learning rate 10^6 times too high: finite numbers, a useless model. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e3, batchSize = 32, seed = 3)
  static class AdamTooFast {
    @Dense(units = 64, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** Same layer names as Digits but another width: its weights must not load into Digits. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY)
  static class NarrowDigits {
    @Dense(units = 32, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** SGD with Nesterov momentum on the digits, to exercise that optimizer end to end. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.05, momentum = 0.9, nesterov = true, batchSize = 32, seed = 5)
  static class NesterovDigits {
    @Dense(units = 48, activation = Activation.LEAKY_RELU, negativeSlope = 0.05)
    Layer hidden;

    @Dense(units = 10)
    Layer logits;
  }

  /** A regression net: learns y = sin(x0) + x1² style targets. */
  @Network(inputs = 2, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 2)
  static class Regressor {
    @Dense(units = 32, activation = Activation.GELU)
    Layer hidden;

    @Dense(units = 1)
    Layer out;
  }

  /** Dropout between two dense layers, trained with Adam: checkpoint resume must restore both streams of state. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 9)
  static class DropoutDigits {
    @Dense(units = 32, activation = Activation.RELU)
    Layer hidden;

    @Dropout(rate = 0.3)
    Layer drop;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** Digits' hidden layer with a five-class head of the same name: only 'hidden' fits Digits' weights. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 32, seed = 9)
  static class FiveClassDigits {
    @Dense(units = 64, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 5, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** Digits' hidden layer, declared frozen, under a new five-class head. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, batchSize = 16, seed = 4)
  static class DigitsNewHead {
    @Dense(units = 64, activation = Activation.RELU, trainable = false)
    Layer hidden;

    @Dense(units = 5, activation = Activation.SOFTMAX)
    Layer head;
  }

  /** AdamW with weight decay, three dense layers and a dropout: freezing the middle splits the arena. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAMW, learningRate = 1e-2, weightDecay = 0.05, batchSize = 32, seed = 6)
  static class AdamWDigits {
    @Dense(units = 32, activation = Activation.RELU)
    Layer hidden;

    @Dropout(rate = 0.2)
    Layer drop;

    @Dense(units = 16, activation = Activation.TANH)
    Layer mid;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }

  /** SGD with (non-Nesterov) momentum and weight decay. */
  @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.02, momentum = 0.9, weightDecay = 1e-3, batchSize = 32, seed = 8)
  static class MomentumDigits {
    @Dense(units = 32, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }

  /**
   * A small CNN on the 8x8 digits with every stateful or saved-tensor op of the convolutional family:
   * BatchNorm (running statistics), dropout after a convolution, max pooling (argmax indices), a
   * residual add.
   */
  @Network(inputShape = {1, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 4)
  static class CnnDigits {
    @Conv2D(filters = 6, kernel = 3, padding = Padding.SAME, useBias = false)
    Layer conv1;

    @BatchNorm
    Layer norm1;

    @Activate(Activation.RELU)
    Layer relu1;

    @Conv2D(filters = 6, kernel = 3, padding = Padding.SAME, activation = Activation.RELU)
    Layer conv2;

    @Dropout(rate = 0.2)
    Layer drop;

    @Add(from = {"drop", "relu1"})
    Layer sum;

    @MaxPool2D(size = 2)
    Layer pool;

    @Flatten
    Layer flat;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer output;
  }
}
