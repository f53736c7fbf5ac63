package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.SimpleRNN;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;

/**
 * Vanishing gradients, seen rather than read about: a sequence of {@value #STEPS} tokens whose class
 * is its FIRST token, so the network must carry one fact across every step. A {@link Rnn} (Elman,
 * tanh) and an {@link Lstm} of the same width learn it side by side.
 *
 * <p>Each step draws its token from its own four ids ({@code 4t .. 4t+3}), so the embedding rows of
 * step t receive exactly the gradient that reaches step t: the sample prints the size of that
 * gradient per step for both networks before training. Through the RNN it shrinks by orders of
 * magnitude from the last step back to the first (each step multiplies it by {@code W_hh} and
 * {@code tanh'}); through the LSTM's additive cell path it stays large. Then both train for the same
 * epochs and the sample prints their test accuracy (4 classes: chance is 0.25).
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=LongMemory package}.
 */
public final class LongMemory {
  /** Steps between the fact and the answer. */
  public static final int STEPS = 35;

  /** Ids per step (and classes). */
  public static final int IDS = 4;

  /** Every step's ids. */
  public static final int VOCABULARY = STEPS * IDS;

  /** Default number of epochs. */
  public static final int EPOCHS = 30;

  private LongMemory() {}

  /** The Elman network. */
  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 9, name = "LongMemoryRnnModel")
  public static class Rnn {
    @Embedding(vocabulary = VOCABULARY, dim = 8) Layer embedding;
    @SimpleRNN(units = 32) Layer rnn;
    @Dense(units = IDS, activation = Activation.SOFTMAX) Layer output;
  }

  /** The same with an LSTM. */
  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 32, seed = 9, name = "LongMemoryLstmModel")
  public static class Lstm {
    @Embedding(vocabulary = VOCABULARY, dim = 8) Layer embedding;
    @LSTM(units = 32) Layer lstm;
    @Dense(units = IDS, activation = Activation.SOFTMAX) Layer output;
  }

  /** {@code rows} sequences: step t holds one of the ids {@code 4t..4t+3}; the class is the first step's. */
  public static Dataset sequences(String name, int rows, long seed) {
    SplitMix64 rng = new SplitMix64(seed);
    float[] x = new float[rows * STEPS];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      for (int t = 0; t < STEPS; t++) {
        x[i * STEPS + t] = t * IDS + rng.nextInt(IDS);
      }
      y[i] = (int) x[i * STEPS];
    }
    return Dataset.classification(name, x, rows, STEPS, y, IDS);
  }

  /**
   * The size of the loss's gradient reaching each step: the norm of the embedding rows of that
   * step's ids in the gradient of the mean loss over {@code data}.
   */
  public static double[] gradientPerStep(CompiledModel model, Dataset data) {
    float[] g = new float[model.spec().parameterCount()];
    model.trainingLoss(data, 1, g);
    ParamSpec table = model.spec().parameters().stream().filter(p -> p.name().equals("embedding.weight"))
        .findFirst().orElseThrow();
    int dim = table.shape()[1];
    double[] norms = new double[STEPS];
    for (int t = 0; t < STEPS; t++) {
      double s = 0;
      for (int k = t * IDS * dim; k < (t + 1) * IDS * dim; k++) {
        double v = g[table.offset() + k];
        s += v * v;
      }
      norms[t] = Math.sqrt(s);
    }
    return norms;
  }

  public static void main(String[] args) {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Dataset train = sequences("long-memory/train", 4000, 1);
    Dataset test = sequences("long-memory/test", 1000, 2);
    LongMemoryRnnModel rnn = new LongMemoryRnnModel();
    LongMemoryLstmModel lstm = new LongMemoryLstmModel();
    double[] r = gradientPerStep(rnn, train);
    double[] l = gradientPerStep(lstm, train);
    System.out.printf("gradient reaching each step before training (norm; %d steps, the class is step 0's token):%n", STEPS);
    System.out.printf("  %-5s %12s %12s%n", "step", "SimpleRNN", "LSTM");
    for (int t = STEPS - 1; t >= 0; t -= (t > 4 ? 5 : 1)) {
      System.out.printf("  %-5d %12.3e %12.3e%n", t, r[t], l[t]);
    }
    System.out.printf("first step / last step: SimpleRNN %.1e, LSTM %.1e%n", r[0] / r[STEPS - 1], l[0] / l[STEPS - 1]);
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(test).quiet();
    rnn.train(train, options);
    lstm.train(train, options);
    System.out.printf("SimpleRNN test accuracy: %.4f (chance 0.25)%n", rnn.evaluate(test).accuracy());
    System.out.printf("LSTM test accuracy: %.4f%n", lstm.evaluate(test).accuracy());
  }
}
