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
 * Central finite differences against the generated backward pass for every op of the graph compiler
 * and its options, on odd sizes: convolutions (stride, padding, dilation, groups, depthwise, 1x1,
 * 5x5, no bias, fused activations), pooling, batch normalization in training mode, standalone
 * activations, dropout outside dense chains, and DAGs whose tensors are read twice (residual add,
 * concatenation).
 */
class GraphGradientCheckTest {
  @TempDir static Path dir;
  private static ClassLoader loader;

  /** name → layer declarations; every network reads a [2, 7, 6] image and has 3 classes. */
  private static final Map<String, String> NETS = new LinkedHashMap<>();

  static {
    String head = "  @Flatten Layer flat;\n  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n";
    NETS.put("ConvValidTanh", "  @Conv2D(filters = 3, kernel = 3, activation = Activation.TANH) Layer conv;\n" + head);
    NETS.put("ConvStrideSame", "  @Conv2D(filters = 4, kernel = 3, stride = 2, padding = Padding.SAME, activation = Activation.SIGMOID) Layer conv;\n" + head);
    NETS.put("ConvDilatedExplicitPad", "  @Conv2D(filters = 3, kernel = {3, 2}, dilation = 2, pad = {2, 1, 0, 1}, activation = Activation.GELU) Layer conv;\n" + head);
    NETS.put("ConvGroupsNoBias", "  @Conv2D(filters = 4, kernel = 3, groups = 2, useBias = false, activation = Activation.TANH) Layer conv;\n" + head);
    NETS.put("ConvDepthwiseThenPointwiseLeakyRelu",
        "  @Conv2D(filters = 2, kernel = 3, groups = 2, padding = Padding.SAME, activation = Activation.TANH) Layer dw;\n"
            + "  @Conv2D(filters = 5, kernel = 1, activation = Activation.LEAKY_RELU, negativeSlope = 0.2) Layer pw;\n" + head);
    NETS.put("Conv5x5", "  @Conv2D(filters = 2, kernel = 5, padding = Padding.SAME, activation = Activation.LINEAR) Layer conv;\n" + head);
    NETS.put("ConvReluMaxPool",
        "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer conv;\n"
            + "  @MaxPool2D(size = 2) Layer pool;\n" + head);
    NETS.put("AvgPoolPadded",
        "  @Conv2D(filters = 3, kernel = 2, activation = Activation.TANH) Layer conv;\n"
            + "  @AvgPool2D(size = 3, stride = 2, pad = 1) Layer pool;\n" + head);
    NETS.put("MaxPoolStrideOne",
        "  @Conv2D(filters = 2, kernel = 3, activation = Activation.TANH) Layer conv;\n"
            + "  @MaxPool2D(size = {2, 3}, stride = 1) Layer pool;\n" + head);
    NETS.put("BatchNormConvAndDense",
        "  @Conv2D(filters = 3, kernel = 3) Layer conv;\n"
            + "  @BatchNorm Layer bn;\n"
            + "  @Activate(Activation.TANH) Layer act;\n"
            + "  @GlobalAveragePool2D Layer gap;\n"
            + "  @Dense(units = 5) Layer hidden;\n"
            + "  @BatchNorm(momentum = 0.2) Layer bn2;\n"
            + "  @Activate(Activation.GELU) Layer act2;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n");
    NETS.put("ResidualAddAndReuse",
        "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.TANH) Layer stem;\n"
            + "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.TANH) Layer a;\n"
            + "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME) Layer b;\n"
            + "  @Add(from = {\"b\", \"stem\"}) Layer sum;\n"
            + "  @Activate(Activation.SIGMOID) Layer act;\n"
            + "  @Add(from = {\"act\", \"act\", \"stem\"}) Layer twice;\n"
            + "  @GlobalAveragePool2D Layer gap;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n");
    NETS.put("ConcatBranches",
        "  @Conv2D(filters = 2, kernel = 1, activation = Activation.TANH) Layer left;\n"
            + "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.TANH, from = {\"input\"}) Layer right;\n"
            + "  @Concat(from = {\"left\", \"right\", \"input\"}) Layer cat;\n"
            + "  @Dropout(rate = 0.25) Layer drop;\n" + head);
    NETS.put("DenseBranchesFromOneTensor",
        "  @Flatten Layer flat;\n"
            + "  @Dense(units = 6, activation = Activation.TANH) Layer shared;\n"
            + "  @Dense(units = 4, activation = Activation.SIGMOID) Layer p;\n"
            + "  @Dense(units = 4, activation = Activation.TANH, from = {\"shared\"}) Layer q;\n"
            + "  @Concat(from = {\"p\", \"q\"}) Layer pq;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n");
  }

  @BeforeAll
  static void compileAll() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : NETS.entrySet()) {
      sources.put("graph." + e.getKey(),
          "package graph;\nimport dev.kiln.dsl.*;\n"
              + "@Network(inputShape = {2, 7, 6}, loss = Loss.SOFTMAX_CROSS_ENTROPY)\n"
              + "class " + e.getKey() + " {\n" + e.getValue() + "}\n");
    }
    loader = GeneratedModels.compile(dir, sources);
  }

  private static Dataset data(int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int inputs = 2 * 7 * 6;
    float[] x = new float[rows * inputs];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = r.nextInt(3);
    }
    return Dataset.classification("random", x, rows, inputs, y, 3);
  }

  @TestFactory
  List<DynamicTest> everyOpAndOption() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String name : NETS.keySet()) {
      tests.add(DynamicTest.dynamicTest(name, () -> {
        CompiledModel m = GeneratedModels.instantiate(loader, "graph." + name + "Model", 3);
        // ReLU and max pooling are piecewise linear: a kink (or a change of the window's maximum) may
        // fall inside ±h, so a smaller step and a looser bound there.
        boolean kinked = name.contains("Relu") || name.contains("MaxPool");
        double err = GradientChecks.relativeError(m, data(5, 7), kinked ? 3e-3 : 1e-2);
        double bound = kinked ? 5e-3 : 1e-3;
        assertTrue(err < bound, name + ": relative gradient error " + err + " ≥ " + bound);
      }));
    }
    return tests;
  }
}
