package dev.kiln.processor;

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
 * Central finite differences against the generated back-propagation through time, on odd sizes:
 * embeddings with and without padding (so sequences of different real lengths), every cell in both
 * directions, sequence and last-state outputs, stacked layers with dropout between them, a dense
 * layer on every step, and a float sequence input under mean squared error.
 */
class RecurrentGradientCheckTest {
  @TempDir static Path dir;
  private static ClassLoader loader;

  private static final int STEPS = 6;
  private static final int VOCABULARY = 9;

  /** name → (network header, layer declarations). */
  private static final Map<String, String[]> NETS = new LinkedHashMap<>();

  static {
    String tokens = "@Network(inputShape = {" + STEPS + "}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)";
    String head = "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n";
    NETS.put("PaddedBidirectionalLstm", new String[] {tokens,
        "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 4, paddingIndex = 0) Layer emb;\n"
            + "  @LSTM(units = 5, bidirectional = true) Layer lstm;\n" + head});
    NETS.put("PaddedGruSequencesThenRnn", new String[] {tokens,
        "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3, paddingIndex = 0) Layer emb;\n"
            + "  @GRU(units = 4, returnSequences = true, bidirectional = true) Layer gru;\n"
            + "  @Dropout(rate = 0.2) Layer drop;\n"
            + "  @SimpleRNN(units = 3) Layer rnn;\n" + head});
    NETS.put("UnpaddedStackedLstmGru", new String[] {tokens,
        "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 3) Layer emb;\n"
            + "  @LSTM(units = 4, returnSequences = true) Layer lstm;\n"
            + "  @GRU(units = 3, bidirectional = true) Layer gru;\n" + head});
    NETS.put("ReverseRnnTanhLastState", new String[] {tokens,
        "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 5, paddingIndex = 0) Layer emb;\n"
            + "  @SimpleRNN(units = 4, bidirectional = true) Layer rnn;\n" + head});
    NETS.put("LanguageModelPerStep", new String[] {tokens,
        "  @Embedding(vocabulary = " + VOCABULARY + ", dim = 4) Layer emb;\n"
            + "  @LSTM(units = 5, returnSequences = true) Layer lstm;\n"
            + "  @Dense(units = " + VOCABULARY + ", activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("FloatSequenceRegression", new String[] {
        "@Network(inputShape = {" + STEPS + ", 3}, loss = Loss.MEAN_SQUARED_ERROR)",
        "  @SimpleRNN(units = 4, returnSequences = true) Layer rnn;\n"
            + "  @LSTM(units = 3, returnSequences = true) Layer lstm;\n"
            + "  @Dense(units = 2, activation = Activation.TANH) Layer perStep;\n"
            + "  @Flatten Layer flat;\n"
            + "  @Dense(units = 2) Layer out;\n"});
  }

  @BeforeAll
  static void compileAll() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String[]> e : NETS.entrySet()) {
      sources.put("seq." + e.getKey(),
          "package seq;\nimport dev.kiln.dsl.*;\n" + e.getValue()[0] + "\nclass " + e.getKey() + " {\n"
              + e.getValue()[1] + "}\n");
    }
    loader = GeneratedModels.compile(dir, sources);
  }

  /** Token sequences padded at the end with id 0, of lengths 1..STEPS (one of each kind at least). */
  static Dataset tokens(int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * STEPS];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      int length = i == 0 ? STEPS : 1 + r.nextInt(STEPS);
      for (int t = 0; t < length; t++) {
        x[i * STEPS + t] = 1 + r.nextInt(VOCABULARY - 1);
      }
      y[i] = r.nextInt(3);
    }
    return Dataset.classification("tokens", x, rows, STEPS, y, 3);
  }

  /** Next-token labels at every step, some steps unlabelled (-1). */
  private static Dataset nextTokens(int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * STEPS];
    int[] y = new int[rows * STEPS];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(VOCABULARY);
      y[i] = r.nextInt(4) == 0 ? Dataset.IGNORED_LABEL : r.nextInt(VOCABULARY);
    }
    return Dataset.sequenceClassification("next", x, rows, STEPS, y, STEPS, VOCABULARY);
  }

  private static Dataset floats(int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * STEPS * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    float[] y = new float[rows * 2];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return Dataset.regression("series", x, rows, STEPS * 3, y, 2).withSampleShape(STEPS, 3);
  }

  @TestFactory
  List<DynamicTest> everyCellAndOption() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String name : NETS.keySet()) {
      tests.add(DynamicTest.dynamicTest(name, () -> {
        CompiledModel m = GeneratedModels.instantiate(loader, "seq." + name + "Model", 3);
        Dataset data = name.startsWith("Float") ? floats(5, 7) : name.startsWith("Language") ? nextTokens(5, 7) : tokens(5, 7);
        boolean kinked = name.contains("Relu");
        double err = GradientChecks.relativeError(m, data, kinked ? 3e-3 : 1e-2);
        double bound = kinked ? 5e-3 : 1e-3;
        assertTrue(err < bound, name + ": relative gradient error " + err + " ≥ " + bound);
      }));
    }
    return tests;
  }
}
