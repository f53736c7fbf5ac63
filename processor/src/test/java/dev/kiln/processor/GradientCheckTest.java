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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Central finite differences against the gradients of the generated backward pass, for every
 * hidden activation × loss × output activation, and for deeper nets with dropout.
 */
class GradientCheckTest {
  private static final List<String> HIDDEN = List.of("LINEAR", "RELU", "LEAKY_RELU", "SIGMOID", "TANH", "GELU");
  private static final Map<String, List<String>> HEADS = new LinkedHashMap<>();

  static {
    HEADS.put("SOFTMAX_CROSS_ENTROPY", List.of("SOFTMAX", "LINEAR"));
    HEADS.put("BINARY_CROSS_ENTROPY", List.of("SIGMOID", "LINEAR"));
    HEADS.put("MEAN_SQUARED_ERROR", List.of("LINEAR", "SIGMOID", "TANH", "GELU", "RELU", "LEAKY_RELU"));
  }

  private static final int INPUTS = 4;
  private static final int HIDDEN_UNITS = 5;
  private static final int CLASSES = 3;

  @TempDir static Path dir;
  private static ClassLoader loader;

  private record Case(String name, String hidden, String loss, String head) {}

  private static final List<Case> CASES = new ArrayList<>();

  @BeforeAll
  static void compileAll() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (String hidden : HIDDEN) {
      for (Map.Entry<String, List<String>> e : HEADS.entrySet()) {
        for (String head : e.getValue()) {
          String name = "G_" + hidden + "_" + e.getKey() + "_" + head;
          CASES.add(new Case(name, hidden, e.getKey(), head));
          int outs = e.getKey().equals("BINARY_CROSS_ENTROPY") ? 1 : CLASSES;
          sources.put(
              "grad." + name,
              "package grad;\nimport dev.kiln.dsl.*;\n"
                  + "@Network(inputs = " + INPUTS + ", loss = Loss." + e.getKey() + ")\n"
                  + "class " + name + " {\n"
                  + "  @Dense(units = " + HIDDEN_UNITS + ", activation = Activation." + hidden + ") Layer hidden;\n"
                  + "  @Dense(units = " + outs + ", activation = Activation." + head + ") Layer out;\n"
                  + "}\n");
        }
      }
    }
    sources.put(
        "grad.Deep",
        """
        package grad;
        import dev.kiln.dsl.*;
        @Network(inputs = 6, loss = Loss.SOFTMAX_CROSS_ENTROPY)
        class Deep {
          @Dense(units = 7, activation = Activation.TANH) Layer first;
          @Dropout(rate = 0.3) Layer drop1;
          @Dense(units = 5, activation = Activation.GELU, useBias = false) Layer second;
          @Dense(units = 6, activation = Activation.SIGMOID) Layer third;
          @Dropout(rate = 0.2) Layer drop2;
          @Dense(units = 4, activation = Activation.SOFTMAX) Layer out;
        }
        """);
    sources.put(
        "grad.DeepRegression",
        """
        package grad;
        import dev.kiln.dsl.*;
        @Network(inputs = 3, loss = Loss.MEAN_SQUARED_ERROR)
        class DeepRegression {
          @Dense(units = 8, activation = Activation.GELU) Layer a;
          @Dense(units = 8, activation = Activation.TANH) Layer b;
          @Dense(units = 6, activation = Activation.SIGMOID) Layer c;
          @Dense(units = 2, activation = Activation.TANH) Layer out;
        }
        """);
    loader = GeneratedModels.compile(dir, sources);
  }

  private static Dataset data(String loss, int inputs, int outputs, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * inputs];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return switch (loss) {
      case "MEAN_SQUARED_ERROR" -> {
        float[] t = new float[rows * outputs];
        for (int i = 0; i < t.length; i++) {
          t[i] = (float) (r.nextDouble() * 1.6 - 0.8);
        }
        yield Dataset.regression("random", x, rows, inputs, t, outputs);
      }
      case "BINARY_CROSS_ENTROPY" -> {
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
          y[i] = r.nextInt(2);
        }
        yield Dataset.classification("random", x, rows, inputs, y, 2);
      }
      default -> {
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
          y[i] = r.nextInt(outputs);
        }
        yield Dataset.classification("random", x, rows, inputs, y, outputs);
      }
    };
  }

  @TestFactory
  List<DynamicTest> everyActivationAndLossCombination() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Case c : CASES) {
      tests.add(
          DynamicTest.dynamicTest(
              c.name(),
              () -> {
                CompiledModel m = GeneratedModels.instantiate(loader, "grad." + c.name() + "Model", 3);
                Dataset d = data(c.loss(), INPUTS, m.spec().outputs(), 6, 5);
                double err = GradientChecks.relativeError(m, d, 1e-2);
                boolean kinked = c.hidden().contains("RELU") || c.head().contains("RELU");
                // Piecewise-linear activations may straddle a kink inside ±h; the bound is looser there.
                double bound = kinked ? 2e-2 : 3e-3;
                assertTrue(err < bound, c.name() + ": relative gradient error " + err + " ≥ " + bound);
              }));
    }
    return tests;
  }

  @Test
  void deepNetworkWithDropoutAndNoBias() {
    CompiledModel m = GeneratedModels.instantiate(loader, "grad.DeepModel", 9);
    double err = GradientChecks.relativeError(m, data("SOFTMAX_CROSS_ENTROPY", 6, 4, 7, 2), 1e-2);
    assertTrue(err < 3e-3, "relative gradient error " + err);
  }

  @Test
  void deepRegressionNetwork() {
    CompiledModel m = GeneratedModels.instantiate(loader, "grad.DeepRegressionModel", 4);
    double err = GradientChecks.relativeError(m, data("MEAN_SQUARED_ERROR", 3, 2, 5, 8), 1e-2);
    assertTrue(err < 3e-3, "relative gradient error " + err);
  }

  @Test
  void aWrongGradientIsCaughtByTheCheck() {
    // The check itself must be able to fail: a model whose gradient is scaled is rejected.
    CompiledModel m = GeneratedModels.instantiate(loader, "grad.DeepRegressionModel", 4);
    Dataset d = data("MEAN_SQUARED_ERROR", 3, 2, 5, 8);
    float[] analytic = new float[m.spec().parameterCount()];
    m.trainingLoss(d, 11, analytic);
    float[] p = m.parameters();
    int i = p.length / 2;
    double h = 1e-2;
    p[i] += (float) h;
    m.setParameters(p);
    double plus = m.trainingLoss(d, 11, null);
    p[i] -= (float) (2 * h);
    m.setParameters(p);
    double minus = m.trainingLoss(d, 11, null);
    double numeric = (plus - minus) / (2 * h);
    double wrong = analytic[i] * 1.5;
    assertTrue(Math.abs(wrong - numeric) > 1e-3 * Math.abs(numeric) || numeric == 0);
  }
}
