package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Central finite differences against the generated truncated back-propagation through time of
 * stateful layers: batch 2 starts from the state batch 1 ended with, so its loss depends on that
 * state, but the state is a constant of batch 2 (no gradient flows into it). {@code trainingLoss}
 * leaves the carried state alone, so differencing it with the state of batch 1 held fixed is exactly
 * the truncated gradient. Every cell, odd sizes, a stacked pair, and padded sequences whose carried
 * state is that of each row's last real step.
 */
class StatefulGradientCheckTest {
  @TempDir static Path dir;
  private static ClassLoader loader;

  private static final int STEPS = 5;
  private static final int VOCABULARY = 7;
  private static final int ROWS = 3;

  private static final Map<String, String> NETS = new LinkedHashMap<>();

  static {
    String head = "  @Dense(units = " + VOCABULARY + ", activation = Activation.SOFTMAX) Layer out;\n";
    NETS.put("StatefulLstm", "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3) Layer emb;\n"
        + "  @LSTM(units = 5, returnSequences = true, stateful = true) Layer lstm;\n" + head);
    NETS.put("StatefulGru", "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 4) Layer emb;\n"
        + "  @GRU(units = 3, returnSequences = true, stateful = true) Layer gru;\n" + head);
    NETS.put("StatefulRnnTanh", "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3) Layer emb;\n"
        + "  @SimpleRNN(units = 4, returnSequences = true, stateful = true) Layer rnn;\n" + head);
    NETS.put("StatefulStackedLstmGru", "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3) Layer emb;\n"
        + "  @LSTM(units = 3, returnSequences = true, stateful = true) Layer lstm;\n"
        + "  @GRU(units = 5, returnSequences = true, stateful = true) Layer gru;\n" + head);
    NETS.put("StatefulPaddedLstmLastState", "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3, paddingIndex = 0) Layer emb;\n"
        + "  @LSTM(units = 5, stateful = true) Layer lstm;\n"
        + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n");
  }

  @BeforeAll
  static void compileAll() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : NETS.entrySet()) {
      boolean perStep = !e.getKey().contains("LastState");
      sources.put("st." + e.getKey(),
          "package st;\nimport dev.kiln.dsl.*;\n@Network(inputShape = {" + STEPS + "}, inputType = InputType.TOKENS,"
              + " loss = Loss.SOFTMAX_CROSS_ENTROPY, batchSize = " + ROWS + ")\nclass " + e.getKey() + " {\n"
              + e.getValue() + "}\n");
      assertTrue(perStep || e.getKey().contains("Padded"));
    }
    loader = GeneratedModels.compile(dir, sources);
  }

  /** Next-token labels at every step. */
  private static Dataset nextTokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[ROWS * STEPS];
    int[] y = new int[ROWS * STEPS];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(VOCABULARY);
      y[i] = r.nextInt(VOCABULARY);
    }
    return Dataset.sequenceClassification("next", x, ROWS, STEPS, y, STEPS, VOCABULARY);
  }

  /** Sequences padded at the end with id 0 (row 0 full), one label per row. */
  private static Dataset padded(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[ROWS * STEPS];
    int[] y = new int[ROWS];
    for (int i = 0; i < ROWS; i++) {
      int length = i == 0 ? STEPS : 1 + r.nextInt(STEPS);
      for (int t = 0; t < length; t++) {
        x[i * STEPS + t] = 1 + r.nextInt(VOCABULARY - 1);
      }
      y[i] = r.nextInt(3);
    }
    return Dataset.classification("padded", x, ROWS, STEPS, y, 3);
  }

  @TestFactory
  List<DynamicTest> truncatedGradientOfTheSecondBatch() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String name : NETS.keySet()) {
      tests.add(DynamicTest.dynamicTest(name, () -> {
        boolean padded = name.contains("Padded");
        Dataset first = padded ? padded(5) : nextTokens(5);
        Dataset second = padded ? padded(6) : nextTokens(6);
        CompiledModel m = GeneratedModels.instantiate(loader, "st." + name + "Model", 3);
        double fresh = m.trainingLoss(second, 11, null);
        // Batch 1 at inference carries its final state (predict keeps states between calls of as many rows).
        m.predict(first.features(), ROWS, new float[ROWS * m.spec().outputs()]);
        double carried = m.trainingLoss(second, 11, null);
        assertNotEquals(fresh, carried, "batch 2's loss must depend on batch 1's carried state");
        assertEquals(carried, m.trainingLoss(second, 11, null), "trainingLoss must not change the carried state");
        double err = GradientChecks.relativeError(m, second, 1e-2);
        assertTrue(err < 1e-3, name + ": relative error of the truncated gradient " + err + " ≥ 1e-3");
        // After resetStates, batch 2 starts from zeros again.
        m.resetStates();
        assertEquals(fresh, m.trainingLoss(second, 11, null));
      }));
    }
    return tests;
  }

  /** Predicting one row after batches of three starts that row from zeros; the next one-row call carries. */
  @TestFactory
  List<DynamicTest> anotherBatchSizeStartsFromZeros() {
    return List.of(DynamicTest.dynamicTest("StatefulLstm", () -> {
      CompiledModel m = GeneratedModels.instantiate(loader, "st.StatefulLstmModel", 3);
      CompiledModel fresh = GeneratedModels.instantiate(loader, "st.StatefulLstmModel", 3);
      Dataset first = nextTokens(5);
      m.predict(first.features(), ROWS, new float[ROWS * m.spec().outputs()]);
      float[] one = java.util.Arrays.copyOf(nextTokens(7).features(), STEPS);
      float[] a = m.predict(one);
      assertArrayEquals(fresh.predict(one), a, "a single row after batches of 3 starts from zeros");
      assertArrayEquals(fresh.predict(one), m.predict(one), "then carries like a fresh model does");
      assertNotEquals(a[0], m.predict(one)[0]);
    }));
  }
}
