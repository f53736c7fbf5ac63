package dev.kiln.onnx;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.GRU;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.SimpleRNN;

/**
 * Recurrent networks the export tests compare with Kiln: every cell (SimpleRNN TANH and RELU, LSTM,
 * GRU) forward and bidirectional, returning sequences and the last state, on token ids with and
 * without a padding id (the mask reaching through stacked layers and a per-step Dense) and on float
 * sequences, under every loss (softmax per step for a tagger).
 */
final class RecurrentExportNetworks {
  private RecurrentExportNetworks() {}

  /** Steps of every network (the annotations repeat it as a literal). */
  static final int STEPS = 9;
  /** Vocabulary of every embedding. */
  static final int VOCABULARY = 17;

  /** Padded tokens, LSTM last state (forward), softmax classifier. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
      learningRate = 1e-2, batchSize = 16, seed = 41)
  static class PaddedLstmClassifier {
    @Embedding(vocabulary = 17, dim = 6, paddingIndex = 0)
    Layer emb;

    @LSTM(units = 12)
    Layer lstm;

    @Dense(units = 3)
    Layer out;
  }

  /** Padded tokens, bidirectional GRU sequences, Dense per step, softmax per step (a tagger). */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 42)
  static class PaddedBiGruTagger {
    @Embedding(vocabulary = 17, dim = 5, paddingIndex = 0)
    Layer emb;

    @GRU(units = 7, returnSequences = true, bidirectional = true)
    Layer gru;

    @Dense(units = 4, activation = Activation.SOFTMAX)
    Layer tags;
  }

  /** Tokens without padding: SimpleRNN RELU sequences, dropout, bidirectional SimpleRNN TANH last state, sigmoid head. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.BINARY_CROSS_ENTROPY, seed = 43)
  static class StackedRnnBinary {
    @Embedding(vocabulary = 17, dim = 5)
    Layer emb;

    @SimpleRNN(units = 8, activation = Activation.RELU, returnSequences = true)
    Layer rnn1;

    @Dropout(rate = 0.2)
    Layer drop;

    @SimpleRNN(units = 6, bidirectional = true)
    Layer rnn2;

    @Dense(units = 1)
    Layer out;
  }

  /** Float sequences {steps, 3}: bidirectional LSTM sequences, TANH Dense per step, GRU last state, regression. */
  @Network(inputShape = {9, 3}, loss = Loss.MEAN_SQUARED_ERROR, seed = 44)
  static class FloatSequenceRegressor {
    @LSTM(units = 6, returnSequences = true, bidirectional = true)
    Layer lstm;

    @Dense(units = 4, activation = Activation.TANH)
    Layer perStep;

    @GRU(units = 5)
    Layer gru;

    @Dense(units = 2)
    Layer out;
  }

  /** Padded tokens, the mask through a bidirectional LSTM and a RELU Dense per step to a bidirectional GRU's last state. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 45)
  static class PaddedStack {
    @Embedding(vocabulary = 17, dim = 4, paddingIndex = 0)
    Layer emb;

    @LSTM(units = 5, returnSequences = true, bidirectional = true)
    Layer lstm;

    @Dense(units = 6, activation = Activation.RELU)
    Layer perStep;

    @GRU(units = 4, bidirectional = true)
    Layer gru;

    @Dense(units = 3)
    Layer out;
  }

  /** Padded tokens (padding id 3, not 0), bidirectional SimpleRNN TANH sequences as the regression output: zeros at padded steps. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.MEAN_SQUARED_ERROR, seed = 46)
  static class PaddedRnnSequences {
    @Embedding(vocabulary = 17, dim = 4, paddingIndex = 3)
    Layer emb;

    @SimpleRNN(units = 5, returnSequences = true, bidirectional = true)
    Layer rnn;
  }

  /** Padded tokens, SimpleRNN RELU last state (forward), softmax classifier. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 47)
  static class PaddedReluRnn {
    @Embedding(vocabulary = 17, dim = 5, paddingIndex = 0)
    Layer emb;

    @SimpleRNN(units = 7, activation = Activation.RELU)
    Layer rnn;

    @Dense(units = 2)
    Layer out;
  }

  /** Padded tokens, GRU sequences (forward) into a bidirectional LSTM's last state, sigmoid head. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.BINARY_CROSS_ENTROPY, seed = 48)
  static class PaddedGruLstm {
    @Embedding(vocabulary = 17, dim = 5, paddingIndex = 0)
    Layer emb;

    @GRU(units = 6, returnSequences = true)
    Layer gru;

    @LSTM(units = 5, bidirectional = true)
    Layer lstm;

    @Dense(units = 1)
    Layer out;
  }

  /** Padded tokens, forward LSTM sequences, Dense logits per step (LINEAR under softmax cross-entropy). */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 49)
  static class PaddedLstmLanguageModel {
    @Embedding(vocabulary = 17, dim = 6, paddingIndex = 0)
    Layer emb;

    @LSTM(units = 8, returnSequences = true)
    Layer lstm;

    @Dense(units = 17)
    Layer next;
  }

  /** Stateful: ONNX export refuses it. */
  @Network(inputShape = {9}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 44)
  static class StatefulLstmLm {
    @Embedding(vocabulary = 17, dim = 5)
    Layer emb;

    @LSTM(units = 7, returnSequences = true, stateful = true)
    Layer lstm;

    @Dense(units = 17, activation = Activation.SOFTMAX)
    Layer out;
  }
}
