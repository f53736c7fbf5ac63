package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.kiln.dsl.SimpleRNN;
import dev.kiln.runtime.data.TokenSampler;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.SequenceGenerator;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Carried-state generation ({@link SequenceGenerator}): the distribution streamed token by token
 * equals the windowed forward over the same prefix for every cell, stacked layers and last-state
 * networks on features; it equals PyTorch feeding one token at a time with (h, c) carried, beyond the
 * declared window; generation is repeatable for a seed and allocates nothing per token; bad input and
 * networks that cannot stream are refused with the place named.
 */
class SequenceGeneratorTest {
  @TempDir Path dir;

  static final int STEPS = 6;
  static final int VOCABULARY = 11;

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 41)
  static class LstmLm {
    @Embedding(vocabulary = VOCABULARY, dim = 5) Layer emb;
    @LSTM(units = 7, returnSequences = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 42)
  static class GruLm {
    @Embedding(vocabulary = VOCABULARY, dim = 4) Layer emb;
    @GRU(units = 9, returnSequences = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 43)
  static class RnnLm {
    @Embedding(vocabulary = VOCABULARY, dim = 3) Layer emb;
    @SimpleRNN(units = 5, returnSequences = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  /** Stacked cells, a stateful one among them, dropout between them, and a time-distributed hidden layer. */
  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 44)
  static class StackedLm {
    @Embedding(vocabulary = VOCABULARY, dim = 5) Layer emb;
    @LSTM(units = 7, returnSequences = true) Layer first;
    @Dropout(rate = 0.2) Layer drop;
    @GRU(units = 6, returnSequences = true, stateful = true) Layer second;
    @SimpleRNN(units = 5, activation = Activation.RELU, returnSequences = true) Layer third;
    @Dense(units = 8, activation = Activation.TANH) Layer hidden;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  /** A forecaster on features: a last-state GRU over an LSTM, a dense layer on the last state. */
  @Network(inputShape = {STEPS, 3}, loss = Loss.MEAN_SQUARED_ERROR, seed = 45)
  static class LastStateForecaster {
    @LSTM(units = 5, returnSequences = true) Layer first;
    @GRU(units = 4) Layer last;
    @Dense(units = 2) Layer out;
  }

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 46)
  static class BidirectionalLm {
    @Embedding(vocabulary = VOCABULARY, dim = 4) Layer emb;
    @LSTM(units = 3, returnSequences = true, bidirectional = true) Layer both;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  @Network(inputShape = {4}, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 47)
  static class NoRecurrence {
    @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;
  }

  private static int[] tokens(long seed, int count) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] t = new int[count];
    for (int i = 0; i < t.length; i++) {
      t[i] = r.nextInt(VOCABULARY);
    }
    return t;
  }

  // ---------------------------------------------------------------- against the windowed forward

  @Test
  void lstmStreamEqualsTheWindowedForward() {
    streamEqualsWindowedForward(new LstmLmModel());
  }

  @Test
  void gruStreamEqualsTheWindowedForward() {
    streamEqualsWindowedForward(new GruLmModel());
  }

  @Test
  void simpleRnnStreamEqualsTheWindowedForward() {
    streamEqualsWindowedForward(new RnnLmModel());
  }

  @Test
  void stackedStreamEqualsTheWindowedForward() {
    streamEqualsWindowedForward(new StackedLmModel());
  }

  /**
   * For every prefix of a window: the distribution after feeding it token by token is the windowed
   * forward's output at its last step (the network is causal); feeding the window at once gives
   * bitwise what feeding it token by token gives.
   */
  private static void streamEqualsWindowedForward(CompiledModel m) {
    for (long seed = 1; seed <= 3; seed++) {
      int[] window = tokens(seed, STEPS);
      float[] x = new float[STEPS];
      for (int i = 0; i < STEPS; i++) {
        x[i] = window[i];
      }
      m.resetStates();
      float[] full = m.predict(x);
      SequenceGenerator g = m.generator();
      double worst = 0;
      for (int t = 0; t < STEPS; t++) {
        float[] p = g.feed(window[t]);
        assertEquals(VOCABULARY, p.length);
        for (int j = 0; j < VOCABULARY; j++) {
          worst = Math.max(worst, Math.abs(p[j] - full[t * VOCABULARY + j]));
        }
      }
      assertTrue(worst <= 1e-6, m.spec().network() + " seed " + seed + ": streamed vs windowed max error " + worst);
      float[] stepByStep = g.distribution().clone();
      g.reset();
      assertArrayEquals(stepByStep, g.feed(window), m.spec().network() + ": the window fed at once");
    }
  }

  @Test
  void lastStateNetworkOnFeaturesStreamsToTheWindowedForward() {
    LastStateForecasterModel m = new LastStateForecasterModel();
    SplittableRandom r = new SplittableRandom(9);
    float[] x = new float[STEPS * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] full = m.predict(x);
    SequenceGenerator g = m.generator();
    for (int t = 0; t < STEPS; t++) {
      g.feedFeatures(x, t * 3, 1);
    }
    float[] streamed = g.distribution();
    assertEquals(2, streamed.length);
    for (int j = 0; j < 2; j++) {
      assertEquals(full[j], streamed[j], 1e-6, "output " + j);
    }
    // Beyond the window: 2·STEPS steps, step by step, equal the two halves fed at once.
    float[] twice = new float[2 * x.length];
    System.arraycopy(x, 0, twice, 0, x.length);
    System.arraycopy(x, 0, twice, x.length, x.length);
    g.reset();
    for (int t = 0; t < 2 * STEPS; t++) {
      g.feedFeatures(twice, t * 3, 1);
    }
    float[] stepwise = g.distribution().clone();
    g.reset();
    assertArrayEquals(stepwise, g.feedFeatures(twice, 0, 2 * STEPS));
  }

  /** Several rows side by side: each row's distribution is what a one-row generator gives it. */
  @Test
  void rowsAreIndependent() {
    LstmLmModel m = new LstmLmModel();
    int[] a = tokens(5, 2 * STEPS + 1);
    int[] b = tokens(6, 2 * STEPS + 1);
    int[] both = new int[2 * a.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    float[] rows = m.generator(2).feedRows(both, a.length).clone();
    SequenceGenerator one = m.generator();
    assertArrayEquals(one.feed(a), Arrays.copyOfRange(rows, 0, VOCABULARY));
    one.reset();
    assertArrayEquals(one.feed(b), Arrays.copyOfRange(rows, VOCABULARY, 2 * VOCABULARY));
  }

  // ---------------------------------------------------------------- against PyTorch

  @Test
  void lstmMatchesPyTorchCarryingTheStateBeyondTheWindow() throws Exception {
    matchesPyTorch(new LstmLmModel(), "LSTM", 7);
  }

  @Test
  void gruMatchesPyTorchCarryingTheStateBeyondTheWindow() throws Exception {
    matchesPyTorch(new GruLmModel(), "GRU", 9);
  }

  @Test
  void simpleRnnMatchesPyTorchCarryingTheStateBeyondTheWindow() throws Exception {
    matchesPyTorch(new RnnLmModel(), "RNN_TANH", 5);
  }

  /**
   * nn.Embedding + nn.LSTM/GRU/RNN + nn.Linear with Kiln's weights, fed one token at a time with the
   * state carried (float64), over 4 windows' worth of tokens: every step's distribution within 1e-5.
   */
  private void matchesPyTorch(CompiledModel m, String cell, int units) throws Exception {
    String python = PyTorchReferenceTest.findPython();
    Assumptions.assumeTrue(python != null, PyTorchReferenceTest.NO_TORCH);
    int count = 4 * STEPS + 1;
    int[] ids = tokens(cell.hashCode(), count);
    float[] x = new float[count];
    for (int i = 0; i < count; i++) {
      x[i] = ids[i];
    }
    m.save(dir.resolve("init.safetensors"));
    SafeTensors.write(dir.resolve("data.safetensors"), Map.of(), List.of(Tensor.of("x", x, count)));
    PyTorchGraphReferenceTest.copyResource("torch_reference.py", dir.resolve("torch_reference.py"));
    PyTorchGraphReferenceTest.copyResource("torch_generation_reference.py", dir.resolve("torch_generation_reference.py"));
    Process p = new ProcessBuilder(python, dir.resolve("torch_generation_reference.py").toString(), dir.toString(),
        cell, Integer.toString(units)).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "PyTorch reference timed out");
    assertEquals(0, p.exitValue(), log);
    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve("reference.safetensors"))) {
      float[] torch = ref.data("p");
      assertEquals(count * VOCABULARY, torch.length);
      SequenceGenerator g = m.generator();
      double worst = 0;
      for (int t = 0; t < count; t++) {
        float[] kiln = g.feed(ids[t]);
        for (int j = 0; j < VOCABULARY; j++) {
          worst = Math.max(worst, Math.abs(kiln[j] - torch[t * VOCABULARY + j]));
        }
      }
      assertTrue(worst <= 1e-5, cell + ": max error against PyTorch over " + count + " steps " + worst);
    }
  }

  // ---------------------------------------------------------------- generation

  @Test
  void generationIsRepeatableForASeed() {
    StackedLmModel m = new StackedLmModel();
    int[] seed = tokens(8, 3);
    SequenceGenerator g = m.generator();
    int[] a = g.generate(seed, 4 * STEPS, new TokenSampler(7), 1f, 0);
    int[] b = g.generate(seed, 4 * STEPS, new TokenSampler(7), 1f, 0);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, g.generate(seed, 4 * STEPS, new TokenSampler(8), 1f, 0)),
        "another sampler seed draws other tokens");
    // generate is feed + sample, each draw fed back.
    TokenSampler sampler = new TokenSampler(7);
    g.reset();
    g.feed(seed);
    for (int i = 0; i < a.length; i++) {
      int next = g.sample(sampler, 1f, 0);
      assertEquals(a[i], next, "token " + i);
      g.feed(next);
    }
  }

  @Test
  void generatingAllocatesNothingPerToken() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    LstmLmModel m = new LstmLmModel();
    SequenceGenerator g = m.generator();
    TokenSampler sampler = new TokenSampler(3);
    int[] seed = tokens(4, 5);
    int[] out = new int[5000];
    // Warm-up until C2 has compiled the kernels (the interpreter and C1 box vectors): at most 20 rounds.
    for (int round = 0; round < 20; round++) {
      long start = threads.getCurrentThreadAllocatedBytes();
      g.generate(seed, out.length, sampler, 0.9f, 4, out, 0);
      if (round >= 3 && threads.getCurrentThreadAllocatedBytes() - start == 0) {
        break;
      }
    }
    // Best of up to 10 attempts, as the training-step allocation tests do: a late deoptimization (a rare
    // branch's uncommon trap, seen once in CI's full-suite JVM: 744 bytes in one run of 5000 tokens) boxes
    // vectors for one run only, while an allocation per token (>= 16 bytes x 5000) shows in every attempt.
    long extra = Long.MAX_VALUE;
    String seen = "";
    for (int attempt = 0; attempt < 10 && extra > 256; attempt++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      g.generate(seed, 10, sampler, 0.9f, 4, out, 0);
      long few = threads.getCurrentThreadAllocatedBytes() - before;
      before = threads.getCurrentThreadAllocatedBytes();
      g.generate(seed, out.length, sampler, 0.9f, 4, out, 0);
      long many = threads.getCurrentThreadAllocatedBytes() - before;
      extra = Math.min(extra, many - few);
      seen += " " + many + "/" + few;
    }
    assertTrue(extra <= 256, "5000 tokens / 10 tokens allocated (bytes, per attempt):" + seen);
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void aTokenOutsideTheVocabularyIsNamed() {
    SequenceGenerator g = new LstmLmModel().generator();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.feed(3, 4, VOCABULARY, 1));
    assertEquals("token 11 at position 2 of the tokens fed is outside the vocabulary [0, 11) of emb", e.getMessage());
    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> g.feed(-1));
    assertTrue(negative.getMessage().contains("token -1 at position 0"), negative.getMessage());
    assertThrows(IllegalStateException.class, g::distribution, "nothing was fed: the bad tokens ran nothing");
  }

  @Test
  void networksThatCannotStreamAreRefusedNamingTheLayer() {
    UnsupportedOperationException bi =
        assertThrows(UnsupportedOperationException.class, () -> new BidirectionalLmModel().generator());
    assertEquals("BidirectionalLm cannot run step by step (SequenceGenerator): layer 'both' (LSTM): a bidirectional"
        + " layer reads each sequence from its end, which a stream has not reached yet", bi.getMessage());
    UnsupportedOperationException dense =
        assertThrows(UnsupportedOperationException.class, () -> new NoRecurrenceModel().generator());
    assertTrue(dense.getMessage().contains("NoRecurrence has no recurrent layer"), dense.getMessage());
  }
}
