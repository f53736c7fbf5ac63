package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network of 130 layers: the emitter splits forward and backward into methods of at most
 * {@code ModelEmitter.OPS_PER_METHOD} ops (each far below the JVM's 64 KB limit), and the split code
 * computes the same gradients as finite differences.
 */
class LongNetworkTest {
  @TempDir Path dir;

  @Test
  void longNetworksAreSplitIntoMethodsAndStayCorrect() throws Exception {
    StringBuilder layers = new StringBuilder();
    // 10 dense layers, each followed by 12 standalone activations: deep in ops, not in tanh layers
    // (whose gradients would vanish below float32's resolution).
    for (int i = 0; i < 10; i++) {
      layers.append("  @Dense(units = 3, activation = Activation.TANH) Layer d").append(i).append(";\n");
      for (int j = 0; j < 12; j++) {
        layers.append("  @Activate(Activation.LINEAR) Layer a").append(i).append('_').append(j).append(";\n");
      }
    }
    String source =
        "package deep;\nimport dev.kiln.dsl.*;\n"
            + "@Network(inputs = 3, loss = Loss.MEAN_SQUARED_ERROR)\nclass Deep {\n" + layers
            + "  @Dense(units = 2) Layer out;\n}\n";
    ClassLoader loader = GeneratedModels.compile(dir, Map.of("deep.Deep", source));
    String text = GeneratedModels.generatedSource(dir, "deep.DeepModel");
    for (String part : new String[] {"forwardPart0", "forwardPart2", "backwardPart0", "backwardPart2"}) {
      assertTrue(text.contains("private void " + part + "("), part + " missing");
    }
    assertTrue(!text.contains("forwardPart3("), "131 ops make three parts of at most 48");
    CompiledModel m = GeneratedModels.instantiate(loader, "deep.DeepModel", 5);
    SplittableRandom r = new SplittableRandom(2);
    int rows = 4;
    float[] x = new float[rows * 3];
    float[] t = new float[rows * 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble(-1, 1);
    }
    for (int i = 0; i < t.length; i++) {
      t[i] = (float) r.nextDouble(-0.5, 0.5);
    }
    double err = GradientChecks.relativeError(m, Dataset.regression("random", x, rows, 3, t, 2), 1e-2);
    assertTrue(err < 1e-2, "relative gradient error " + err);
  }
}
