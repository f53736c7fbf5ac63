package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.SimpleRNN;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.TextStreams;
import dev.kiln.runtime.data.Vocabulary;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.ModelCheckpoint;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stateful recurrent language models end to end: two consecutive batches against PyTorch carrying
 * {@code h.detach()} (probabilities, losses, every gradient, two SGD steps) for each cell on odd
 * sizes; the training rules of stateful networks; and a character LSTM on {@link TextStreams}
 * checkpointed in the middle of its second epoch and resumed bitwise.
 */
class StatefulLanguageModelTest {
  @TempDir Path dir;

  static final int STEPS = 5;
  static final int VOCABULARY = 7;
  static final int ROWS = 3;

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.SGD, learningRate = 0.5, batchSize = ROWS, seed = 21)
  static class StatefulLstmLm {
    @Embedding(vocabulary = VOCABULARY, dim = 3) Layer emb;
    @LSTM(units = 5, returnSequences = true, stateful = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.SGD, learningRate = 0.5, batchSize = ROWS, seed = 22)
  static class StatefulGruLm {
    @Embedding(vocabulary = VOCABULARY, dim = 4) Layer emb;
    @GRU(units = 3, returnSequences = true, stateful = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  @Network(inputShape = {STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.SGD, learningRate = 0.5, batchSize = ROWS, seed = 23)
  static class StatefulRnnLm {
    @Embedding(vocabulary = VOCABULARY, dim = 3) Layer emb;
    @SimpleRNN(units = 9, returnSequences = true, stateful = true) Layer rnn;
    @Dense(units = VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  /** A small character language model in the shape of ShakespeareChars, stateful, with dropout and Adam. */
  @Network(inputShape = {StatefulCharLstm.STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
      optimizer = Optimizer.ADAM, learningRate = 3e-3, clipNorm = 5, batchSize = 4, seed = 5)
  static class StatefulCharLstm {
    static final int STEPS = 16;

    @Embedding(vocabulary = ShakespeareChars.VOCABULARY, dim = 8) Layer emb;
    @LSTM(units = 24, returnSequences = true, stateful = true) Layer lstm;
    @Dropout(rate = 0.1) Layer drop;
    @Dense(units = ShakespeareChars.VOCABULARY, activation = Activation.SOFTMAX) Layer out;
  }

  // ---------------------------------------------------------------- PyTorch reference

  @Test
  void lstmMatchesPyTorchCarryingTheDetachedState() throws Exception {
    matchesPyTorch(StatefulLstmLmModel::new, "LSTM", 5);
  }

  @Test
  void gruMatchesPyTorchCarryingTheDetachedState() throws Exception {
    matchesPyTorch(StatefulGruLmModel::new, "GRU", 3);
  }

  @Test
  void simpleRnnMatchesPyTorchCarryingTheDetachedState() throws Exception {
    matchesPyTorch(StatefulRnnLmModel::new, "RNN_TANH", 9);
  }

  private void matchesPyTorch(Supplier<CompiledModel> factory, String cell, int units) throws Exception {
    String python = PyTorchReferenceTest.findPython();
    Assumptions.assumeTrue(python != null, PyTorchReferenceTest.NO_TORCH);
    SplittableRandom r = new SplittableRandom(cell.hashCode());
    float[] x = new float[2 * ROWS * STEPS];
    int[] y = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(VOCABULARY);
      y[i] = r.nextInt(VOCABULARY);
    }
    Dataset both = Dataset.sequenceClassification("both", x, 2 * ROWS, STEPS, y, STEPS, VOCABULARY);
    Dataset b1 = rows(x, y, 0);
    Dataset b2 = rows(x, y, 1);

    CompiledModel m = factory.get();
    m.save(dir.resolve("init.safetensors"));
    List<Tensor> data = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      Dataset b = k == 0 ? b1 : b2;
      float[] labels = new float[ROWS * STEPS];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = b.labels()[i];
      }
      data.add(Tensor.of("x" + (k + 1), b.features(), ROWS, STEPS));
      data.add(Tensor.of("y" + (k + 1), labels, ROWS, STEPS));
    }
    SafeTensors.write(dir.resolve("data.safetensors"), Map.of(), data);
    PyTorchGraphReferenceTest.copyResource("torch_reference.py", dir.resolve("torch_reference.py"));
    PyTorchGraphReferenceTest.copyResource("torch_stateful_reference.py", dir.resolve("torch_stateful_reference.py"));
    Process p = new ProcessBuilder(python, dir.resolve("torch_stateful_reference.py").toString(), dir.toString(), cell,
        Integer.toString(units), "0.5").redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "PyTorch reference timed out");
    assertEquals(0, p.exitValue(), log);

    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve("reference.safetensors"))) {
      // Batch 1 from zeros, batch 2 from batch 1's final state: loss and truncated gradient by
      // trainingLoss (which keeps the carried state), probabilities by predict (which carries it).
      int outs = ROWS * m.spec().outputs();
      for (int k = 1; k <= 2; k++) {
        Dataset b = k == 1 ? b1 : b2;
        float[] g = new float[m.spec().parameterCount()];
        double loss = m.trainingLoss(b, 1, g);
        assertEquals(ref.data("loss" + k)[0], loss, 2e-6 * Math.abs(loss), cell + " loss of batch " + k);
        for (ParamSpec ps : m.spec().parameters()) {
          float[] kiln = Arrays.copyOfRange(g, ps.offset(), ps.offset() + ps.length());
          assertClose(ref.data("g" + k + "." + ps.name()), kiln, 1e-4, cell + " batch " + k + " gradient of " + ps.name());
        }
        float[] probs = new float[outs];
        m.predict(b.features(), ROWS, probs);
        assertClose(ref.data("p" + k), probs, 1e-5, cell + " probabilities of batch " + k);
      }
      // Two SGD steps of train (shuffle off: row r of batch 2 continues row r of batch 1).
      CompiledModel t = factory.get();
      t.train(both, TrainOptions.epochs(1).withBatchSize(ROWS).withShuffle(false).quiet());
      float[] after = t.parameters();
      for (ParamSpec ps : t.spec().parameters()) {
        assertClose(ref.data("w." + ps.name()), Arrays.copyOfRange(after, ps.offset(), ps.offset() + ps.length()), 1e-5,
            cell + " " + ps.name() + " after two steps");
      }
    }
  }

  private static Dataset rows(float[] x, int[] y, int batch) {
    int from = batch * ROWS * STEPS;
    int to = from + ROWS * STEPS;
    return Dataset.sequenceClassification("b" + (batch + 1), Arrays.copyOfRange(x, from, to), ROWS, STEPS,
        Arrays.copyOfRange(y, from, to), STEPS, VOCABULARY);
  }

  /** ‖kiln − ref‖∞ ≤ tolerance · max(1, ‖ref‖∞). */
  private static void assertClose(float[] ref, float[] kiln, double tolerance, String what) {
    assertEquals(ref.length, kiln.length, what);
    double scale = 1;
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]));
      worst = Math.max(worst, Math.abs(ref[i] - kiln[i]));
    }
    assertTrue(worst <= tolerance * scale, what + ": max error " + worst + " > " + tolerance * scale);
  }

  // ---------------------------------------------------------------- rules

  @Test
  void statefulTrainingRefusesShufflingAndPartialBatches() {
    Dataset streams = charStreams(4);
    StatefulCharLstmModel m = new StatefulCharLstmModel();
    IllegalArgumentException shuffled =
        assertThrows(IllegalArgumentException.class, () -> m.train(streams, TrainOptions.epochs(1).quiet()));
    assertTrue(shuffled.getMessage().contains("StatefulCharLstm has stateful recurrent layers [lstm]")
        && shuffled.getMessage().contains("TrainOptions.withShuffle(false)"), shuffled.getMessage());
    IllegalArgumentException partial =
        assertThrows(IllegalArgumentException.class,
            () -> m.train(streams, TrainOptions.epochs(1).withShuffle(false).withBatchSize(5).quiet()));
    assertTrue(partial.getMessage().contains("has " + streams.rows() + " rows, not a multiple of the batch size 5"),
        partial.getMessage());
  }

  /** predict carries the state between calls of as many rows; resetStates starts again from zeros. */
  @Test
  void predictCarriesStatesUntilResetStates() {
    StatefulCharLstmModel m = new StatefulCharLstmModel();
    float[] one = Arrays.copyOf(charStreams(4).features(), StatefulCharLstm.STEPS);
    float[] first = m.predict(one);
    float[] second = m.predict(one);
    assertNotEquals(Arrays.toString(first), Arrays.toString(second), "the second call starts from the first's state");
    m.resetStates();
    assertArrayEquals(first, m.predict(one));
    assertArrayEquals(second, m.predict(one));
  }

  // ---------------------------------------------------------------- resume inside an epoch

  /**
   * A stateful character LSTM (dropout, Adam, clipping) on contiguous streams: a checkpoint taken
   * after batch 7 of epoch 2 and resumed by a model of another seed ends bitwise where the
   * uninterrupted run ends (weights, carried states, every epoch's statistics).
   */
  @Test
  void statefulCharLstmResumesBitwiseInsideAnEpoch() throws IOException {
    Dataset streams = charStreams(4);
    int batches = streams.rows() / 4;
    assertTrue(batches > 10, "enough batches for a checkpoint inside the epoch: " + batches);
    TrainOptions options = TrainOptions.epochs(3).withShuffle(false).withValidation(charStreams(4)).quiet();

    StatefulCharLstmModel reference = new StatefulCharLstmModel();
    History full = reference.train(streams, options.withCallbacks(
        ModelCheckpoint.everyBatches(dir.resolve("ckpt-{epoch}-{batch}.safetensors"), 7)));
    Path inside = dir.resolve("ckpt-2-7.safetensors");
    assertTrue(Files.exists(inside));

    StatefulCharLstmModel resumed = new StatefulCharLstmModel(999);
    History rest = resumed.train(streams, options.resumeFrom(inside));
    assertArrayEquals(reference.parameters(), resumed.parameters(), "weights after resuming inside epoch 2");
    assertEquals(full.epochs().size(), rest.epochs().size());
    for (int i = 0; i < full.epochs().size(); i++) {
      EpochStats e = full.epochs().get(i);
      EpochStats a = rest.epochs().get(i);
      for (String metric : List.of("loss", "accuracy", "val_loss", "val_accuracy")) {
        assertEquals(e.metric(metric), a.metric(metric), "epoch " + e.epoch() + " " + metric);
      }
    }
    // The carried states match too: the next predictions from them are the same.
    float[] x = Arrays.copyOf(streams.features(), 4 * StatefulCharLstm.STEPS);
    float[] a = new float[4 * reference.spec().outputs()];
    float[] b = new float[a.length];
    reference.predict(x, 4, a);
    resumed.predict(x, 4, b);
    assertArrayEquals(a, b, "predictions from the carried states");

    // ... and those states are not zeros: from zeros the predictions differ.
    resumed.resetStates();
    resumed.predict(x, 4, b);
    assertNotEquals(Arrays.toString(a), Arrays.toString(b));
  }

  /** Contiguous streams of the first 4000 characters of tiny Shakespeare, for batches of {@code batch} rows. */
  static Dataset charStreams(int batch) {
    String text = ShakespeareChars.text();
    Vocabulary chars = Vocabulary.ofCharacters(text);
    int[] ids = chars.characterIds(text.substring(0, 4000));
    return TextStreams.contiguous("chars", ids, ShakespeareChars.VOCABULARY, batch, StatefulCharLstm.STEPS);
  }
}
