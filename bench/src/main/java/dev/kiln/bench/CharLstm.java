package dev.kiln.bench;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;

/**
 * The character LSTM of {@code bench/compare}'s CharLstm rows: Embedding(65, 64), LSTM(256) returning
 * its state at every step, Dense(65) with a softmax at every step, per-step softmax cross-entropy,
 * Adam, batch 32, windows of {@value #STEPS} characters. torch_workloads.py builds the same network
 * from nn.Embedding, nn.LSTM(batch_first=True) and nn.Linear.
 */
@Network(inputShape = {CharLstm.STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
    optimizer = Optimizer.ADAM, batchSize = 32, seed = 1)
public class CharLstm {
  /** Characters per window. */
  public static final int STEPS = 64;

  /** Distinct characters of tiny Shakespeare. */
  public static final int VOCABULARY = 65;

  @Embedding(vocabulary = VOCABULARY, dim = 64)
  Layer embedding;

  @LSTM(units = 256, returnSequences = true)
  Layer lstm;

  @Dense(units = VOCABULARY, activation = Activation.SOFTMAX)
  Layer output;
}
