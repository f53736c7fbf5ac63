package dev.kiln.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;
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
 * Input gradients of the generated input-gradient pass against central differences of inference
 * ({@code logits}/{@code predict}), for every op kind on odd sizes: dense layers with each
 * activation, convolutions (stride, padding), max, average and global average pooling, flatten,
 * batch normalization with its running statistics, dropout (the identity at inference), add,
 * concatenation, standalone activations, recurrent cells on float sequences (bidirectional,
 * sequences), each loss, a frozen first layer, and an input read by several layers (whose gradient
 * is the sum). Both {@code lossGradient} (per-sample loss, checked against the loss it returns) and
 * {@code logitGradient} (a random seed) are checked.
 */
class InputGradientCheckTest {
  @TempDir static Path dir;
  private static ClassLoader loader;

  private static final int ROWS = 3;

  /** name → (network header, layer declarations). */
  private static final Map<String, String[]> NETS = new LinkedHashMap<>();

  static {
    String image = "@Network(inputShape = {2, 7, 6}, loss = Loss.SOFTMAX_CROSS_ENTROPY)";
    String head = "  @Flatten Layer flat;\n  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n";
    NETS.put("ConvValidTanh", new String[] {image,
        "  @Conv2D(filters = 3, kernel = 3, activation = Activation.TANH) Layer conv;\n" + head});
    NETS.put("ConvStrideSameSigmoid", new String[] {image,
        "  @Conv2D(filters = 4, kernel = 3, stride = 2, padding = Padding.SAME, activation = Activation.SIGMOID) Layer conv;\n"
            + head});
    NETS.put("ConvReluMaxPool", new String[] {image,
        "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer conv;\n"
            + "  @MaxPool2D(size = 2) Layer pool;\n" + head});
    // Valid convolutions whose pooling is fused at inference (the convolution's output is then not
    // stored by predict; the input-gradient pass must still read it whole).
    String wide = "@Network(inputShape = {2, 9, 12}, loss = Loss.SOFTMAX_CROSS_ENTROPY)";
    NETS.put("ConvReluMaxPoolFused", new String[] {wide,
        "  @Conv2D(filters = 5, kernel = 3, activation = Activation.RELU) Layer conv;\n"
            + "  @MaxPool2D(size = 2) Layer pool;\n" + head});
    NETS.put("ConvLinearAvgPoolFused", new String[] {wide,
        "  @Conv2D(filters = 3, kernel = 3) Layer conv;\n"
            + "  @AvgPool2D(size = 2) Layer pool;\n" + head});
    NETS.put("MaxPoolOnInputStrideOne", new String[] {image,
        "  @MaxPool2D(size = {2, 3}, stride = 1) Layer pool;\n"
            + "  @Conv2D(filters = 2, kernel = 3, activation = Activation.TANH) Layer conv;\n" + head});
    NETS.put("AvgPoolPaddedOnInput", new String[] {image,
        "  @AvgPool2D(size = 3, stride = 2, pad = 1) Layer pool;\n"
            + "  @Conv2D(filters = 3, kernel = 2, activation = Activation.GELU) Layer conv;\n" + head});
    NETS.put("BatchNormInferenceAndDropout", new String[] {image,
        "  @BatchNorm Layer bn0;\n"
            + "  @Conv2D(filters = 3, kernel = 3) Layer conv;\n"
            + "  @BatchNorm Layer bn;\n"
            + "  @Activate(Activation.TANH) Layer act;\n"
            + "  @Dropout(rate = 0.4) Layer drop;\n"
            + "  @GlobalAveragePool2D Layer gap;\n"
            + "  @Dense(units = 5) Layer hidden;\n"
            + "  @BatchNorm(momentum = 0.2) Layer bn2;\n"
            + "  @Activate(Activation.GELU) Layer act2;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("ResidualAddAndReuse", new String[] {image,
        "  @Conv2D(filters = 2, kernel = 3, padding = Padding.SAME, activation = Activation.TANH) Layer a;\n"
            + "  @Add(from = {\"a\", \"input\"}) Layer sum;\n"
            + "  @Activate(Activation.SIGMOID) Layer act;\n"
            + "  @Add(from = {\"act\", \"act\", \"input\"}) Layer twice;\n"
            + "  @GlobalAveragePool2D Layer gap;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("ConcatWithInputAndDropout", new String[] {image,
        "  @Conv2D(filters = 2, kernel = 1, activation = Activation.TANH) Layer left;\n"
            + "  @Conv2D(filters = 3, kernel = 3, padding = Padding.SAME, activation = Activation.TANH, from = {\"input\"}) Layer right;\n"
            + "  @Concat(from = {\"left\", \"right\", \"input\"}) Layer cat;\n"
            + "  @Dropout(rate = 0.25) Layer drop;\n" + head});
    NETS.put("FlattenDropoutFoldIntoInput", new String[] {image,
        "  @Flatten Layer flat;\n"
            + "  @Dropout(rate = 0.5) Layer drop;\n"
            + "  @Dense(units = 6, activation = Activation.TANH) Layer shared;\n"
            + "  @Dense(units = 4, activation = Activation.SIGMOID) Layer p;\n"
            + "  @Dense(units = 4, activation = Activation.TANH, from = {\"shared\"}) Layer q;\n"
            + "  @Concat(from = {\"p\", \"q\"}) Layer pq;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    String vector = "@Network(inputs = 7, loss = Loss.SOFTMAX_CROSS_ENTROPY)";
    NETS.put("DenseEachSmoothActivation", new String[] {vector,
        "  @Dense(units = 6, activation = Activation.TANH) Layer a;\n"
            + "  @Dense(units = 5, activation = Activation.SIGMOID) Layer b;\n"
            + "  @Dense(units = 5, activation = Activation.GELU) Layer c;\n"
            + "  @Dense(units = 4, activation = Activation.LINEAR, useBias = false) Layer d;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("DenseReluLeakyRelu", new String[] {vector,
        "  @Dense(units = 6, activation = Activation.RELU) Layer a;\n"
            + "  @Dense(units = 5, activation = Activation.LEAKY_RELU, negativeSlope = 0.1) Layer b;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("FrozenFirstLayerTwoReaders", new String[] {vector,
        "  @Dense(units = 5, activation = Activation.TANH, trainable = false) Layer frozen;\n"
            + "  @Dense(units = 4, activation = Activation.SIGMOID, from = {\"input\"}) Layer side;\n"
            + "  @Concat(from = {\"frozen\", \"side\"}) Layer both;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("BinaryDropout", new String[] {"@Network(inputs = 7, loss = Loss.BINARY_CROSS_ENTROPY)",
        "  @Dense(units = 5, activation = Activation.TANH) Layer hidden;\n"
            + "  @Dropout(rate = 0.3) Layer drop;\n"
            + "  @Dense(units = 1, activation = Activation.SIGMOID) Layer out;\n"});
    NETS.put("RegressionSigmoidOutput", new String[] {"@Network(inputs = 7, loss = Loss.MEAN_SQUARED_ERROR)",
        "  @Dense(units = 5, activation = Activation.TANH) Layer hidden;\n"
            + "  @Dense(units = 2, activation = Activation.SIGMOID) Layer out;\n"});
    String sequence = "@Network(inputShape = {5, 3}, loss = Loss.SOFTMAX_CROSS_ENTROPY)";
    NETS.put("BidirectionalLstm", new String[] {sequence,
        "  @LSTM(units = 4, bidirectional = true) Layer lstm;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("GruSequencesDropoutSimpleRnn", new String[] {sequence,
        "  @GRU(units = 4, returnSequences = true, bidirectional = true) Layer gru;\n"
            + "  @Dropout(rate = 0.2) Layer drop;\n"
            + "  @SimpleRNN(units = 3) Layer rnn;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
    NETS.put("SequenceRegression", new String[] {"@Network(inputShape = {5, 3}, loss = Loss.MEAN_SQUARED_ERROR)",
        "  @SimpleRNN(units = 4, returnSequences = true, bidirectional = true) Layer rnn;\n"
            + "  @LSTM(units = 3, returnSequences = true) Layer lstm;\n"
            + "  @Dense(units = 2, activation = Activation.TANH) Layer perStep;\n"
            + "  @Flatten Layer flat;\n"
            + "  @Dense(units = 2) Layer out;\n"});
    NETS.put("Stateful", new String[] {"@Network(inputShape = {5, 3}, loss = Loss.MEAN_SQUARED_ERROR)",
        "  @LSTM(units = 3, stateful = true) Layer lstm;\n"
            + "  @Dense(units = 2) Layer out;\n"});
    NETS.put("Tokens", new String[] {"@Network(inputShape = {4}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
        "  @Embedding(vocabulary = 6, dim = 3) Layer emb;\n"
            + "  @Flatten Layer flat;\n"
            + "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;\n"});
  }

  @BeforeAll
  static void compileAll() {
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, String[]> e : NETS.entrySet()) {
      sources.put("igrad." + e.getKey(),
          "package igrad;\nimport dev.kiln.dsl.*;\n" + e.getValue()[0] + "\nclass " + e.getKey() + " {\n"
              + e.getValue()[1] + "}\n");
    }
    loader = GeneratedModels.compile(dir, sources);
  }

  /**
   * A model with parameters drawn away from their initial values, so that every path matters:
   * batch normalization gets running statistics other than (0, 1) and a gamma other than 1.
   */
  private static CompiledModel model(String name) {
    CompiledModel m = GeneratedModels.instantiate(loader, "igrad." + name + "Model", 5);
    SplittableRandom r = new SplittableRandom(17);
    float[] p = m.parameters();
    for (ParamSpec s : m.spec().parameters()) {
      for (int i = s.offset(); i < s.offset() + s.length(); i++) {
        if (s.name().endsWith("running_var") || s.name().endsWith("gamma")) {
          p[i] = (float) (0.5 + r.nextDouble());
        } else if (s.name().endsWith("running_mean") || s.name().endsWith("beta") || s.name().endsWith("bias")) {
          p[i] = (float) (r.nextDouble() - 0.5);
        }
      }
    }
    m.setParameters(p);
    return m;
  }

  private static float[] uniform(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }

  private static int[] labels(CompiledModel m, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int classes = m.loss() == LossKind.BINARY_CROSS_ENTROPY ? 2 : m.outputs();
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = r.nextInt(classes);
    }
    return y;
  }

  /**
   * The sum of per-sample losses, from inference alone: cross-entropy from the logits
   * (log-sum-exp), binary cross-entropy from the logit, squared error from the outputs.
   */
  private static double loss(CompiledModel m, float[] x, int rows, int[] labels, float[] targets) {
    int outs = m.outputs();
    float[] z = new float[rows * outs];
    double total = 0;
    switch (m.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> {
        m.logits(x, rows, z);
        for (int i = 0; i < rows; i++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < outs; j++) {
            max = Math.max(max, z[i * outs + j]);
          }
          double sum = 0;
          for (int j = 0; j < outs; j++) {
            sum += Math.exp(z[i * outs + j] - max);
          }
          total += max + Math.log(sum) - z[i * outs + labels[i]];
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        m.logits(x, rows, z);
        for (int i = 0; i < rows; i++) {
          double v = z[i];
          total += Math.max(v, 0) - v * labels[i] + Math.log1p(Math.exp(-Math.abs(v)));
        }
      }
      case MEAN_SQUARED_ERROR -> {
        m.predict(x, rows, z);
        for (int i = 0; i < rows * outs; i++) {
          double d = z[i] - targets[i];
          total += d * d / outs;
        }
      }
    }
    return total;
  }

  /** Σ seed · logits. */
  private static double seeded(CompiledModel m, float[] x, int rows, float[] seed) {
    float[] z = new float[rows * m.outputs()];
    m.logits(x, rows, z);
    double total = 0;
    for (int i = 0; i < z.length; i++) {
      total += (double) seed[i] * z[i];
    }
    return total;
  }

  /**
   * ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖), numeric by central differences of {@code f} in
   * x. With {@code kinked} (ReLU, max pooling) a coordinate whose difference quotients at h and h/2
   * disagree has a kink (or a change of a window's maximum) within ±h and is left out; at most 5 % may be.
   */
  private static double relativeError(float[] analytic, float[] x, double h, boolean kinked,
      java.util.function.ToDoubleFunction<float[]> f) {
    double diff = 0;
    double na = 0;
    double nn = 0;
    int skipped = 0;
    for (int i = 0; i < x.length; i++) {
      double numeric = centralDifference(x, i, h, f);
      if (kinked) {
        double half = centralDifference(x, i, h / 2, f);
        if (Math.abs(numeric - half) > 0.05 * Math.abs(half) + 1e-3) {
          skipped++;
          continue;
        }
      }
      diff += (analytic[i] - numeric) * (analytic[i] - numeric);
      na += analytic[i] * (double) analytic[i];
      nn += numeric * numeric;
    }
    assertTrue(skipped <= x.length / 20, skipped + " of " + x.length + " coordinates sit on a kink");
    assertTrue(na > 0, "the analytic gradient is zero");
    return Math.sqrt(diff) / (Math.sqrt(na) + Math.sqrt(nn) + 1e-12);
  }

  private static double centralDifference(float[] x, int i, double h, java.util.function.ToDoubleFunction<float[]> f) {
    float saved = x[i];
    x[i] = (float) (saved + h);
    double plus = f.applyAsDouble(x);
    x[i] = (float) (saved - h);
    double minus = f.applyAsDouble(x);
    x[i] = saved;
    return (plus - minus) / (2 * h);
  }

  @TestFactory
  List<DynamicTest> everyOpAgainstCentralDifferences() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String name : NETS.keySet()) {
      if (name.equals("Tokens") || name.equals("Stateful")) {
        continue;
      }
      tests.add(DynamicTest.dynamicTest(name, () -> {
        CompiledModel m = model(name);
        int in = m.inputs();
        float[] x = uniform(ROWS * in, 7);
        // ReLU and max pooling are piecewise linear: a kink (or a change of a window's maximum) may
        // fall inside ±h, so a smaller step, a looser bound, and coordinates on a kink left out.
        boolean kinked = name.contains("Relu") || name.contains("MaxPool");
        double h = kinked ? 3e-3 : 1e-2;
        double bound = kinked ? 5e-3 : 1e-3;

        float[] gradient = new float[ROWS * in];
        int[] y = m.loss().isClassification() ? labels(m, ROWS, 9) : null;
        float[] t = m.loss().isClassification() ? null : uniform(ROWS * m.outputs(), 9);
        double reported = y != null ? m.lossGradient(x, y, ROWS, gradient) : m.lossGradient(x, t, ROWS, gradient);
        double expected = loss(m, x, ROWS, y, t);
        assertEquals(expected, reported, 1e-5 * Math.abs(expected), name + ": the returned loss");
        double err = relativeError(gradient, x, h, kinked, v -> loss(m, v, ROWS, y, t));
        assertTrue(err < bound, name + ": relative error of lossGradient " + err + " ≥ " + bound);

        float[] seed = uniform(ROWS * m.outputs(), 13);
        m.logitGradient(x, ROWS, seed, gradient);
        err = relativeError(gradient, x, h, kinked, v -> seeded(m, v, ROWS, seed));
        assertTrue(err < bound, name + ": relative error of logitGradient " + err + " ≥ " + bound);
      }));
    }
    return tests;
  }

  /** Rows beyond the capacity go in chunks, with the same per-row gradients as one row at a time. */
  @Test
  void chunksBeyondCapacityGiveEachRowItsGradient() {
    CompiledModel m = model("BinaryDropout");
    int rows = 1100;
    float[] x = uniform(rows * 7, 3);
    int[] y = labels(m, rows, 4);
    float[] all = new float[rows * 7];
    double total = m.lossGradient(x, y, rows, all);
    double sum = 0;
    float[] one = new float[7];
    for (int i = 0; i < rows; i += 97) {
      float[] xi = java.util.Arrays.copyOfRange(x, i * 7, i * 7 + 7);
      sum += m.lossGradient(xi, new int[] {y[i]}, 1, one);
      for (int j = 0; j < 7; j++) {
        assertEquals(one[j], all[i * 7 + j], 1e-6 * (1 + Math.abs(one[j])), "row " + i + ", feature " + j);
      }
    }
    assertEquals(loss(m, x, rows, y, null), total, 1e-6 * total);
    assertTrue(sum > 0);
  }

  /**
   * Input gradients change nothing training depends on: weights, gradients, running statistics and
   * the dropout stream. Training after them gives bitwise the weights of training without them.
   */
  @Test
  void trainingIsUnchangedByInputGradientsInBetween() {
    float[] x = uniform(20 * 84, 21);
    int[] y = new int[20];
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 3;
    }
    Dataset data = Dataset.classification("random", x, 20, 84, y, 3).withSampleShape(2, 7, 6);
    TrainOptions options = TrainOptions.epochs(1).withBatchSize(8).quiet();
    CompiledModel plain = model("BatchNormInferenceAndDropout");
    CompiledModel probed = model("BatchNormInferenceAndDropout");
    plain.train(data, options);
    probed.train(data, options);
    float[] before = probed.parameters();
    float[] gradient = new float[20 * 84];
    probed.lossGradient(x, y, 20, gradient);
    probed.logitGradient(x, 20, uniform(60, 2), gradient);
    assertArrayEquals(before, probed.parameters(), "weights and running statistics");
    plain.train(data, options);
    probed.train(data, options);
    assertArrayEquals(plain.parameters(), probed.parameters(), "weights after one more epoch");
  }

  @Test
  void refusesWhatHasNoInputGradientAndBadArguments() {
    CompiledModel tokens = model("Tokens");
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
        () -> tokens.lossGradient(new float[4], new int[1], 1, new float[4]));
    assertTrue(e.getMessage().contains("token ids"), e.getMessage());

    CompiledModel stateful = model("Stateful");
    e = assertThrows(UnsupportedOperationException.class,
        () -> stateful.lossGradient(new float[15], new float[2], 1, new float[15]));
    assertTrue(e.getMessage().contains("stateful recurrent layers [lstm]"), e.getMessage());

    CompiledModel m = model("DenseReluLeakyRelu");
    float[] x = uniform(2 * 7, 1);
    IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
        () -> m.lossGradient(x, new int[] {0, 3}, 2, new float[14]));
    assertTrue(label.getMessage().contains("label 3 of row 1"), label.getMessage());
    x[9] = Float.NaN;
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> m.logitGradient(x, 2, new float[6], new float[14]));
    assertTrue(nan.getMessage().contains("sample 1, feature 2"), nan.getMessage());
    IllegalArgumentException shortGradient = assertThrows(IllegalArgumentException.class,
        () -> m.lossGradient(uniform(14, 1), new int[] {0, 1}, 2, new float[13]));
    assertTrue(shortGradient.getMessage().contains("gradient holds 13"), shortGradient.getMessage());
    assertThrows(UnsupportedOperationException.class,
        () -> m.lossGradient(uniform(14, 1), new float[6], 2, new float[14]));
    CompiledModel regression = model("RegressionSigmoidOutput");
    assertThrows(UnsupportedOperationException.class,
        () -> regression.lossGradient(uniform(7, 1), new int[1], 1, new float[7]));
  }
}
