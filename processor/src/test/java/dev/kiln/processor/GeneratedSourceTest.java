package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated source, compared with a checked-in golden file. After an intended change to the
 * emitter, regenerate it with {@code mvn -pl processor test -Dkiln.updateGolden=true} and review
 * the diff.
 */
class GeneratedSourceTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden/GoldenNetModel.java");

  private static final String SOURCE =
      """
      package golden;

      import dev.kiln.dsl.*;

      @Network(inputs = 12, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.SGD, learningRate = 0.1,
          momentum = 0.9, batchSize = 8, seed = 5)
      class GoldenNet {
        @Dense(units = 16, activation = Activation.GELU) Layer hidden;
        @Dropout(rate = 0.25) Layer drop;
        @Dense(units = 8, activation = Activation.LEAKY_RELU, negativeSlope = 0.1, useBias = false,
            trainable = false) Layer narrow;
        @Dense(units = 4, activation = Activation.SOFTMAX) Layer out;
      }
      """;

  /** A small CNN: convolutions with SAME and VALID padding, both poolings, flatten, dropout. */
  private static final String CNN =
      """
      package golden;

      import dev.kiln.dsl.*;

      @Network(inputShape = {1, 12, 12}, loss = Loss.SOFTMAX_CROSS_ENTROPY, batchSize = 16, seed = 3)
      class GoldenCnn {
        @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer conv1;
        @MaxPool2D(size = 2) Layer pool1;
        @Conv2D(filters = 16, kernel = 3, activation = Activation.RELU) Layer conv2;
        @AvgPool2D(size = 2) Layer pool2;
        @Flatten Layer flat;
        @Dropout(rate = 0.25) Layer drop;
        @Dense(units = 10, activation = Activation.SOFTMAX) Layer out;
      }
      """;

  /** A small residual network: a skip connection, batch normalization, global average pooling. */
  private static final String RESIDUAL =
      """
      package golden;

      import dev.kiln.dsl.*;

      @Network(inputShape = {3, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY, batchSize = 16, seed = 3)
      class GoldenResidual {
        @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, useBias = false) Layer stem;
        @BatchNorm Layer stemNorm;
        @Activate(Activation.RELU) Layer stemRelu;
        @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer a;
        @Conv2D(filters = 8, kernel = 3, padding = Padding.SAME) Layer b;
        @Add(from = {"b", "stemRelu"}) Layer sum;
        @Activate(Activation.RELU) Layer relu;
        @GlobalAveragePool2D Layer gap;
        @Dense(units = 4, activation = Activation.SOFTMAX) Layer out;
      }
      """;

  /**
   * A small text classifier: token ids with padding, an embedding, a bidirectional LSTM returning
   * sequences (masked by the padding), a GRU's last state, a dense head.
   */
  private static final String SEQUENCE =
      """
      package golden;

      import dev.kiln.dsl.*;

      @Network(inputShape = {10}, inputType = InputType.TOKENS, loss = Loss.BINARY_CROSS_ENTROPY, batchSize = 16, seed = 3)
      class GoldenSequence {
        @Embedding(vocabulary = 30, dim = 6, paddingIndex = 0) Layer emb;
        @LSTM(units = 5, returnSequences = true, bidirectional = true) Layer lstm;
        @Dropout(rate = 0.2) Layer drop;
        @GRU(units = 4) Layer gru;
        @Dense(units = 1, activation = Activation.SIGMOID) Layer out;
      }
      """;

  /**
   * A stacked character language model that streams: its generated class has the streaming pass
   * ({@code stream(n, steps, states)}) over an embedding, two recurrent layers with their carried
   * states, dropout skipped, and a time-distributed softmax head.
   */
  private static final String CHAR_LM =
      """
      package golden;

      import dev.kiln.dsl.*;

      @Network(inputShape = {12}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY, batchSize = 8, seed = 4)
      class GoldenCharLm {
        @Embedding(vocabulary = 20, dim = 5) Layer emb;
        @LSTM(units = 7, returnSequences = true) Layer lstm;
        @Dropout(rate = 0.1) Layer drop;
        @GRU(units = 6, returnSequences = true) Layer gru;
        @Dense(units = 20, activation = Activation.SOFTMAX) Layer out;
      }
      """;

  @TempDir Path dir;

  private String generate(Path into) throws IOException {
    return generate(into, "GoldenNet", SOURCE);
  }

  private static String generate(Path into, String name, String source) throws IOException {
    GeneratedModels.compile(into, Map.of("golden." + name, source));
    return GeneratedModels.generatedSource(into, "golden." + name + "Model");
  }

  private static void assertGolden(Path golden, String text) throws IOException {
    if (Boolean.getBoolean("kiln.updateGolden")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, text);
    }
    assertEquals(Files.readString(golden), text, "generated code changed; see the class comment to update");
  }

  @Test
  void generatedSourceMatchesTheGoldenFile() throws IOException {
    assertGolden(GOLDEN, generate(dir.resolve("a")));
  }

  @Test
  void cnnSourceMatchesTheGoldenFile() throws IOException {
    assertGolden(GOLDEN.resolveSibling("GoldenCnnModel.java"), generate(dir.resolve("cnn"), "GoldenCnn", CNN));
  }

  @Test
  void residualSourceMatchesTheGoldenFile() throws IOException {
    assertGolden(GOLDEN.resolveSibling("GoldenResidualModel.java"), generate(dir.resolve("res"), "GoldenResidual", RESIDUAL));
  }

  @Test
  void sequenceSourceMatchesTheGoldenFile() throws IOException {
    assertGolden(GOLDEN.resolveSibling("GoldenSequenceModel.java"), generate(dir.resolve("seq"), "GoldenSequence", SEQUENCE));
  }

  @Test
  void streamingSourceMatchesTheGoldenFile() throws IOException {
    assertGolden(GOLDEN.resolveSibling("GoldenCharLmModel.java"), generate(dir.resolve("lm"), "GoldenCharLm", CHAR_LM));
  }

  @Test
  void generationIsStable() throws IOException {
    assertEquals(generate(dir.resolve("a")), generate(dir.resolve("b")));
  }

  @Test
  void generatedSourceIsMarkedAndCommentedWithShapes() throws IOException {
    String text = generate(dir.resolve("a"));
    assertTrue(text.contains("@Generated("), "marked @Generated");
    assertTrue(text.contains("value = \"dev.kiln.processor.KilnProcessor\""));
    assertTrue(text.contains("// hidden: [B, 12] · [12, 16] + bias, GELU in the epilogue"), text);
    assertTrue(text.contains("// narrow: [B, 16] · [16, 8], LEAKY_RELU in the epilogue"), text);
    assertTrue(text.contains("Parameter arena offset of hidden.kernel [12, 16]."), text);
    assertTrue(!text.contains("new float["), "the generated step allocates nothing");
  }
}
