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

  @TempDir Path dir;

  private String generate(Path into) throws IOException {
    GeneratedModels.compile(into, Map.of("golden.GoldenNet", SOURCE));
    return GeneratedModels.generatedSource(into, "golden.GoldenNetModel");
  }

  @Test
  void generatedSourceMatchesTheGoldenFile() throws IOException {
    String text = generate(dir.resolve("a"));
    if (Boolean.getBoolean("kiln.updateGolden")) {
      Files.createDirectories(GOLDEN.getParent());
      Files.writeString(GOLDEN, text);
    }
    assertEquals(Files.readString(GOLDEN), text, "generated code changed; see the class comment to update");
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
