package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code @Dense(trainable = false)} reaches the generated spec and the model starts with it frozen. */
class DeclaredFrozenLayerTest {
  private static final String SOURCE =
      """
      package frozen;

      import dev.kiln.dsl.*;

      @Network(inputs = 5, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAMW, learningRate = 0.01,
          weightDecay = 0.1, batchSize = 4, seed = 3)
      class PartlyFrozen {
        @Dense(units = 6, activation = Activation.TANH, trainable = false) Layer base;
        @Dropout(rate = 0.2) Layer drop;
        @Dense(units = 3, activation = Activation.SOFTMAX) Layer head;
      }
      """;

  @TempDir Path dir;

  @Test
  void declaredFrozenLayerIsInTheSpecAndStaysBitwiseUnchangedByTraining() throws IOException {
    ClassLoader loader = GeneratedModels.compile(dir, Map.of("frozen.PartlyFrozen", SOURCE));
    String text = GeneratedModels.generatedSource(dir, "frozen.PartlyFrozenModel");
    assertTrue(text.contains("base             Dense    [B, 6] TANH frozen"), "class comment says frozen:\n" + text);

    CompiledModel model = GeneratedModels.instantiate(loader, "frozen.PartlyFrozenModel", 3);
    List<LayerSpec> layers = model.spec().layers();
    assertEquals(List.of(true, false, true, true), layers.stream().map(LayerSpec::trainable).toList());
    assertTrue(model.isFrozen("base"));
    assertFalse(model.isFrozen("head"));
    assertFalse(model.isFrozen("drop"), "a layer without parameters is never frozen");
    assertEquals(6 * 3 + 3, model.trainableParameterCount());
    assertTrue(model.summary().contains("Parameters: 57 (228 B): 21 trainable, 36 frozen"), model.summary());

    SplittableRandom rnd = new SplittableRandom(1);
    int rows = 40;
    float[] x = new float[rows * 5];
    int[] y = new int[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < rows; i++) {
      y[i] = x[i * 5] > 0 ? (x[i * 5 + 1] > 0 ? 2 : 1) : 0;
    }
    Dataset data = Dataset.classification("random", x, rows, 5, y, 3);
    float[] before = model.parameters();
    model.train(data, TrainOptions.epochs(3).quiet());
    float[] after = model.parameters();
    int baseFloats = 5 * 6 + 6;
    assertArrayEquals(
        Arrays.copyOfRange(before, 0, baseFloats), Arrays.copyOfRange(after, 0, baseFloats),
        "the frozen layer's kernel and bias are bitwise unchanged (AdamW's decay included)");
    assertFalse(
        Arrays.equals(Arrays.copyOfRange(before, baseFloats, before.length), Arrays.copyOfRange(after, baseFloats, after.length)),
        "the head trained");
  }

  @Test
  void clippingAndGradientNormsLeaveOutTheFrozenLayer() throws IOException {
    String source = SOURCE.replace("seed = 3)", "seed = 3, clipNorm = 0.05, clipValue = 0.01)");
    ClassLoader loader = GeneratedModels.compile(dir, Map.of("frozen.PartlyFrozen", source));
    CompiledModel model = GeneratedModels.instantiate(loader, "frozen.PartlyFrozenModel", 3);
    assertEquals(new dev.kiln.runtime.model.GradientClipSpec(0.05, 0.01), model.spec().clipping());
    SplittableRandom rnd = new SplittableRandom(2);
    int rows = 40;
    float[] x = new float[rows * 5];
    int[] y = new int[rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < rows; i++) {
      y[i] = x[i * 5] > 0 ? 1 : 0;
    }
    Dataset data = Dataset.classification("random", x, rows, 5, y, 3);
    float[] before = model.parameters();
    dev.kiln.runtime.train.History h = model.train(data, TrainOptions.epochs(3).quiet().withGradientNorms());
    float[] after = model.parameters();
    int baseFloats = 5 * 6 + 6;
    assertArrayEquals(Arrays.copyOfRange(before, 0, baseFloats), Arrays.copyOfRange(after, 0, baseFloats));
    double[] base = h.gradientNorms("base"), head = h.gradientNorms("head"), total = h.totalGradientNorms();
    for (int e = 0; e < 3; e++) {
      assertTrue(Double.isNaN(base[e]), "a layer frozen all epoch has no norm");
      assertTrue(head[e] > 0.05, "the head's gradient exceeds the bound, so clipping bites: " + head[e]);
      assertEquals(total[e], head[e], 1e-6 * total[e], "the total is over the trainable layers only");
    }
    CompiledModel unclipped = GeneratedModels.instantiate(loader, "frozen.PartlyFrozenModel", 3);
    unclipped.train(data, TrainOptions.epochs(3).quiet().withoutGradientClipping());
    assertFalse(Arrays.equals(after, unclipped.parameters()), "the declared clipping changed the training");
  }
}
