package dev.kiln.samples;

import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Add;
import dev.kiln.dsl.AvgPool2D;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.dsl.Concat;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.GRU;
import dev.kiln.dsl.GlobalAveragePool2D;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;
import dev.kiln.dsl.SimpleRNN;

/**
 * Networks of the graph compiler compared against PyTorch by {@link PyTorchGraphReferenceTest}: every
 * convolution, pooling and normalization option, residual adds and concatenation, a whole CNN, and
 * the recurrent family (embeddings with and without padding, every cell in both directions, sequence
 * and last-state outputs, stacking, Dense on every step, a float sequence regression and a character
 * language model with a label per step). Sizes are odd on purpose (9x7, 11x9 images, 3 or 5
 * channels; 7 steps, 11 token ids, 5 or 6 units, which only the scalar tails of the recurrent
 * cells' elementwise loops see at 256 or 512 bits, and 17 or 19 units, one full vector of 16 or
 * more and a tail at every width), so no vector loop runs without its tail and no window tiles the
 * image exactly.
 */
final class GraphReferenceNetworks {
  private GraphReferenceNetworks() {}

  /**
   * SAME padding with stride 2 and an even kernel height, so the padding is asymmetric (1 on top, 2
   * at the bottom); then VALID padding with dilation 2; TANH and SIGMOID fused.
   */
  @Network(inputShape = {3, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 31)
  static class ConvSameStrideDilated {
    @Conv2D(filters = 4, kernel = {4, 3}, stride = 2, padding = Padding.SAME, activation = Activation.TANH)
    Layer same;

    @Conv2D(filters = 5, kernel = 2, dilation = 2, activation = Activation.SIGMOID)
    Layer dilated;

    @Flatten Layer flat;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * Explicit asymmetric padding (top 2, left 0, bottom 1, right 1) with a 2x3 kernel, stride {1, 2}
   * and a {2, 1} dilation, GELU fused; then a 1x1 convolution without bias and a LINEAR activation.
   */
  @Network(inputShape = {3, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 32)
  static class ConvExplicitPad {
    @Conv2D(filters = 5, kernel = {2, 3}, stride = {1, 2}, dilation = {2, 1}, pad = {2, 0, 1, 1}, activation = Activation.GELU)
    Layer padded;

    @Conv2D(filters = 3, kernel = 1, useBias = false)
    Layer pointwise;

    @Flatten Layer flat;

    @Dense(units = 4, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * Groups: 3 groups of one input channel and two filters each (no bias, LEAKY_RELU 0.1), a
   * depthwise convolution with SAME padding (groups = channels = filters, RELU), a depthwise
   * convolution with channel multiplier 2 (groups 6, filters 12, stride 2, TANH), and a pointwise one.
   */
  @Network(inputShape = {3, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 33)
  static class ConvGroups {
    @Conv2D(filters = 6, kernel = 3, groups = 3, useBias = false, activation = Activation.LEAKY_RELU, negativeSlope = 0.1)
    Layer grouped;

    @Conv2D(filters = 6, kernel = 3, groups = 6, padding = Padding.SAME, activation = Activation.RELU)
    Layer depthwise;

    @Conv2D(filters = 12, kernel = {3, 2}, groups = 6, stride = 2, activation = Activation.TANH)
    Layer multiplier;

    @Conv2D(filters = 4, kernel = 1, activation = Activation.LINEAR)
    Layer pointwise;

    @Flatten Layer flat;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * Max pooling 3x3, stride 2, padding 1 (padded cells never win), then average pooling 3x3, stride
   * 2, padding 1 (padded cells count as zeros), on an 11x9 image; then a 2x2 max pool with SAME
   * padding on a 3x3 input (one padded row and column at the bottom and right).
   */
  @Network(inputShape = {3, 11, 9}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 34)
  static class PoolPadded {
    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, activation = Activation.TANH)
    Layer conv;

    @MaxPool2D(size = 3, stride = 2, pad = 1)
    Layer max;

    @AvgPool2D(size = 3, stride = 2, pad = 1)
    Layer avg;

    @MaxPool2D(size = 2, padding = Padding.SAME)
    Layer sameMax;

    @Flatten Layer flat;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * Rectangular windows with strides other than their size and asymmetric explicit padding, a
   * default-stride max pool on an odd size (the last row is dropped), an average pool with SAME
   * padding at stride 1 (padded zeros count), and a global average pool.
   */
  @Network(inputShape = {3, 11, 9}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 35)
  static class PoolAsymmetricGlobal {
    @Conv2D(filters = 5, kernel = 2, activation = Activation.SIGMOID)
    Layer conv;

    @AvgPool2D(size = {2, 3}, stride = {1, 2}, pad = {1, 0, 0, 1})
    Layer avg;

    @MaxPool2D(size = {3, 2}, stride = {2, 1}, pad = {0, 1, 1, 0})
    Layer max;

    @MaxPool2D(size = 2)
    Layer half;

    @AvgPool2D(size = 2, stride = 1, padding = Padding.SAME)
    Layer sameAvg;

    @GlobalAveragePool2D Layer gap;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * BatchNorm after a convolution (per channel over batch and positions) and after a dense layer (per
   * feature), default momentum and epsilon on the first, momentum 0.2 and epsilon 1e-3 on the second.
   * The layers before them have no bias: BatchNorm removes it, so its gradient would be zero up to
   * rounding and Adam's first step (≈ lr · sign(g)) would amplify that rounding into a full step.
   */
  @Network(inputShape = {3, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 36)
  static class BatchNormConvDense {
    @Conv2D(filters = 5, kernel = 3, useBias = false)
    Layer conv;

    @BatchNorm Layer bn;

    @Activate(Activation.RELU)
    Layer relu;

    @MaxPool2D(size = 2)
    Layer pool;

    @Flatten Layer flat;

    @Dense(units = 7, useBias = false)
    Layer hidden;

    @BatchNorm(momentum = 0.2, epsilon = 1e-3)
    Layer bn2;

    @Activate(Activation.TANH)
    Layer act;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * A residual DAG: {@code stem} is read by {@code a}, by {@code sum} and by {@code twice}; {@code act}
   * is read twice by the same Add; a Concat joins a block's output, an inner tensor and the network
   * input along the channels.
   */
  @Network(inputShape = {3, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 37)
  static class ResidualConcat {
    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, activation = Activation.TANH)
    Layer stem;

    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, activation = Activation.RELU)
    Layer a;

    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME)
    Layer b;

    @Add(from = {"b", "stem"})
    Layer sum;

    @Activate(Activation.SIGMOID)
    Layer act;

    @Add(from = {"act", "act", "stem"})
    Layer twice;

    @Concat(from = {"twice", "a", "input"})
    Layer cat;

    @Conv2D(filters = 5, kernel = 3, stride = 2, activation = Activation.TANH)
    Layer mix;

    @GlobalAveragePool2D Layer gap;

    @Dense(units = 6, activation = Activation.TANH)
    Layer hidden;

    @Dense(units = 3, activation = Activation.SOFTMAX, from = {"hidden"})
    Layer out;
  }

  /** The classic Fashion-MNIST CNN: two conv + max-pool stages, then two dense layers. */
  @Network(inputShape = {1, 28, 28}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 4, seed = 38)
  static class FashionCnn {
    @Conv2D(filters = 32, kernel = 3, activation = Activation.RELU)
    Layer conv1;

    @MaxPool2D(size = 2)
    Layer pool1;

    @Conv2D(filters = 64, kernel = 3, activation = Activation.RELU)
    Layer conv2;

    @MaxPool2D(size = 2)
    Layer pool2;

    @Flatten Layer flat;

    @Dense(units = 128, activation = Activation.RELU)
    Layer hidden;

    @Dense(units = 10, activation = Activation.SOFTMAX)
    Layer out;
  }

  // ---------------------------------------------------------------- the recurrent family

  /**
   * Token sequences of varied real lengths padded at the end with id 4 (not 0, so a kernel that
   * assumed 0 would show), a bidirectional LSTM's last state (the forward direction's after each
   * sequence's last real step; the backward one's after reading from that step back to the first),
   * and beside it the flattened embeddings themselves: the one reader of the padded steps that no
   * length masks, so the padding row gets a gradient there that Kiln must drop.
   */
  @Network(inputShape = {7}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
      learningRate = 1e-2, seed = 41)
  static class PaddedBiLstm {
    @Embedding(vocabulary = 11, dim = 5, paddingIndex = 4)
    Layer emb;

    @LSTM(units = 6, bidirectional = true)
    Layer lstm;

    @Flatten(from = "emb")
    Layer bag;

    @Concat(from = {"lstm", "bag"})
    Layer cat;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * A bidirectional GRU returning every step (padded steps zero), a Dropout of rate 0 (the
   * lengths must pass through it), and a tanh SimpleRNN's last state over the GRU's sequence, masked
   * by the same lengths.
   */
  @Network(inputShape = {7}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
      learningRate = 1e-2, seed = 42)
  static class PaddedGruRnn {
    @Embedding(vocabulary = 11, dim = 5, paddingIndex = 0)
    Layer emb;

    @GRU(units = 17, returnSequences = true, bidirectional = true)
    Layer gru;

    @Dropout(rate = 0)
    Layer drop;

    @SimpleRNN(units = 19)
    Layer rnn;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * Two stacked LSTMs returning every step (the second masked by the embedding's padding too), a
   * Dense layer on every step (it sees the padded steps' zeros and gives tanh(bias) there), then the
   * steps flattened into one dense head.
   */
  @Network(inputShape = {7}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
      learningRate = 1e-2, seed = 43)
  static class StackedLstmPerStep {
    @Embedding(vocabulary = 11, dim = 6, paddingIndex = 10)
    Layer emb;

    @LSTM(units = 5, returnSequences = true)
    Layer lstm1;

    @LSTM(units = 17, returnSequences = true)
    Layer lstm2;

    @Dense(units = 4, activation = Activation.TANH)
    Layer perStep;

    @Flatten Layer flat;

    @Dense(units = 3, activation = Activation.SOFTMAX)
    Layer out;
  }

  /**
   * A float sequence {7 steps, 3 features}, no lengths: a ReLU SimpleRNN's sequence into a
   * bidirectional GRU's last state (the backward direction starts at the last step), regression.
   */
  @Network(inputShape = {7, 3}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 1e-2, seed = 44)
  static class FloatSequenceRegression {
    @SimpleRNN(units = 17, activation = Activation.RELU, returnSequences = true)
    Layer rnn;

    @GRU(units = 6, bidirectional = true)
    Layer gru;

    @Dense(units = 2)
    Layer out;
  }

  /**
   * A character language model: every step predicts the next id, over the whole vocabulary; padded
   * steps and each sequence's last real step have no label (-1).
   */
  @Network(inputShape = {7}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
      learningRate = 1e-2, seed = 45)
  static class CharLanguageModel {
    @Embedding(vocabulary = 11, dim = 5, paddingIndex = 0)
    Layer emb;

    @LSTM(units = 6, returnSequences = true)
    Layer lstm;

    @Dense(units = 11, activation = Activation.SOFTMAX)
    Layer out;
  }
}
