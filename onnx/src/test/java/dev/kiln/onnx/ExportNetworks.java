package dev.kiln.onnx;

import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Add;
import dev.kiln.dsl.AvgPool2D;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.dsl.Concat;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.GlobalAveragePool2D;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;

/**
 * Networks the export tests train and export; with the samples' Digits (RELU, SOFTMAX) and
 * BreastCancer (TANH, dropout, SIGMOID head) they cover every activation, loss and layer option,
 * and with FashionCnn and FashionResNet every convolutional layer kind on Fashion-MNIST images.
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

  /** Conv (stride 2, explicit asymmetric pad) → max pool → BatchNorm → average pool → Flatten → dropout → Dense, on Fashion-MNIST. */
  @Network(inputShape = {1, 28, 28}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 25)
  static class FashionCnn {
    @Conv2D(filters = 6, kernel = 3, padding = Padding.SAME, activation = Activation.RELU)
    Layer conv1;

    @MaxPool2D(size = 2)
    Layer pool1;

    @Conv2D(filters = 8, kernel = {3, 2}, stride = 2, pad = {1, 0, 0, 1}, activation = Activation.LEAKY_RELU, negativeSlope = 0.1)
    Layer conv2;

    @BatchNorm
    Layer norm;

    @AvgPool2D(size = 3, stride = 2, pad = 1)
    Layer pool2;

    @Flatten
    Layer flat;

    @Dropout(rate = 0.2)
    Layer drop;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer out;
  }

  /** Residual blocks (Add), a grouped dilated conv, a Concat branch and global average pooling, on Fashion-MNIST. */
  @Network(inputShape = {1, 28, 28}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 26)
  static class FashionResNet {
    @Conv2D(filters = 8, kernel = 3, stride = 2, padding = Padding.SAME, useBias = false)
    Layer stem;

    @BatchNorm
    Layer stemNorm;

    @Activate(Activation.RELU)
    Layer stemRelu;

    @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, dilation = 2, groups = 2, activation = Activation.RELU)
    Layer a;

    @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME)
    Layer b;

    @Add(from = {"b", "stemRelu"})
    Layer sum;

    @Activate(Activation.RELU)
    Layer relu;

    @Conv2D(filters = 4, kernel = 1, activation = Activation.TANH, from = {"stemRelu"})
    Layer side;

    @Concat(from = {"relu", "side"})
    Layer cat;

    @GlobalAveragePool2D
    Layer gap;

    @Dense(units = 10)
    Layer out;
  }
}
