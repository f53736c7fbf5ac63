package dev.kiln.onnx;

import static dev.kiln.onnx.RecurrentExportNetworks.STEPS;
import static dev.kiln.onnx.RecurrentExportNetworks.VOCABULARY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports the recurrent networks of {@link RecurrentExportNetworks}, runs them in ONNX Runtime and
 * compares the outputs with Kiln's {@code predict}: token ids padded to every length from 0 (a
 * sequence that starts with the padding id) to the full steps, with arbitrary ids after the first
 * padding id (which ends the sequence), and float sequences.
 */
class OnnxRecurrentExportTest {
  /** Largest allowed |ONNX Runtime - Kiln| per output. */
  private static final double TOLERANCE = 1e-5;

  /** Samples per batch. */
  private static final int ROWS = 24;

  @TempDir Path dir;

  @Test
  void aStatefulLayerIsRefusedNamingTheLayer() {
    StatefulLstmLmModel model = new StatefulLstmLmModel();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.write(model, dir.resolve("stateful.onnx")));
    assertTrue(e.getMessage().startsWith("StatefulLstmLm: LSTM layer 'lstm' is stateful"), e.getMessage());
    assertTrue(!java.nio.file.Files.exists(dir.resolve("stateful.onnx")));
  }

  @Test
  void paddedLstmLastStateClassifierMatchesKiln() throws Exception {
    PaddedLstmClassifierModel model = new PaddedLstmClassifierModel();
    // A short training run, so that the exported weights are trained ones (the padding row stays zero).
    Dataset train = tokens(model, 256, 0, 5);
    model.train(train, TrainOptions.epochs(3).quiet());
    ModelProto proto = compare(model, tokens(model, ROWS, 0, 6).features(), "padded-lstm.onnx");
    assertEquals(
        List.of("Gather", "Transpose", "Equal", "Cast", "Pad", "ArgMax", "Cast", "LSTM", "Transpose", "Reshape", "Gemm",
            "Softmax"),
        opTypes(proto));
    NodeProto lstm = node(proto, "LSTM");
    assertEquals(List.of("lstm/time_major", "lstm.W", "lstm.R", "lstm.B", "emb/lengths"), lstm.getInputList());
    assertEquals(List.of("", "lstm/Y_h"), lstm.getOutputList(), "only the last state");
    assertEquals(List.of(1L, 48L, 6L), initializer(proto, "lstm.W").getDimsList());
    assertEquals(List.of(1L, 96L), initializer(proto, "lstm.B").getDimsList());
    assertEquals(TensorProto.DataType.INT64_VALUE, proto.getGraph().getInput(0).getType().getTensorType().getElemType());
  }

  @Test
  void paddedBidirectionalGruTaggerWithSoftmaxPerStepMatchesKiln() throws Exception {
    PaddedBiGruTaggerModel model = new PaddedBiGruTaggerModel();
    float[] x = tokens(model, ROWS, 0, 7).features();
    ModelProto proto = compare(model, x, "gru-tagger.onnx");
    NodeProto gru = node(proto, "GRU");
    assertEquals("bidirectional", attribute(gru, "direction").getS().toStringUtf8());
    assertEquals(1, attribute(gru, "linear_before_reset").getI(), "PyTorch's GRU");
    NodeProto softmax = node(proto, "Softmax");
    assertEquals(-1, attribute(softmax, "axis").getI(), "per step");
    // Every step's probabilities sum to 1.
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(dir.resolve("gru-tagger.onnx"))) {
      float[] p = ort.runTokens(x, ROWS, STEPS, new int[] {STEPS, 4});
      for (int s = 0; s < ROWS * STEPS; s++) {
        double sum = 0;
        for (int j = 0; j < 4; j++) {
          sum += p[s * 4 + j];
        }
        assertEquals(1.0, sum, 1e-5, "step " + s);
      }
    }
  }

  @Test
  void stackedSimpleRnnsWithoutPaddingMatchKiln() throws Exception {
    StackedRnnBinaryModel model = new StackedRnnBinaryModel();
    ModelProto proto = compare(model, tokens(model, ROWS, -1, 8).features(), "stacked-rnn.onnx");
    List<NodeProto> rnns = proto.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("RNN")).toList();
    assertEquals(2, rnns.size());
    assertEquals("Relu", attribute(rnns.get(0), "activations").getStrings(0).toStringUtf8());
    assertEquals(
        List.of("Tanh", "Tanh"),
        attribute(rnns.get(1), "activations").getStringsList().stream().map(b -> b.toStringUtf8()).toList());
    assertEquals(4, rnns.get(1).getInputCount(), "no sequence_lens without a padding id");
    assertTrue(!opTypes(proto).contains("ArgMax"), opTypes(proto).toString());
  }

  @Test
  void floatSequencesThroughLstmDensePerStepAndGruMatchKiln() throws Exception {
    FloatSequenceRegressorModel model = new FloatSequenceRegressorModel();
    SplittableRandom random = new SplittableRandom(9);
    float[] x = new float[ROWS * STEPS * 3];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-2, 2);
    }
    ModelProto proto = compare(model, x, "float-sequences.onnx");
    assertEquals(TensorProto.DataType.FLOAT_VALUE, proto.getGraph().getInput(0).getType().getTensorType().getElemType());
    assertTrue(opTypes(proto).containsAll(List.of("LSTM", "MatMul", "Add", "Tanh", "GRU", "Gemm")), opTypes(proto).toString());
  }

  @Test
  void paddingMaskReachesThroughStackedLayersAndDensePerStep() throws Exception {
    PaddedStackModel model = new PaddedStackModel();
    ModelProto proto = compare(model, tokens(model, ROWS, 0, 10).features(), "padded-stack.onnx");
    assertEquals("emb/lengths", node(proto, "LSTM").getInput(4));
    assertEquals("emb/lengths", node(proto, "GRU").getInput(4), "one lengths tensor, read by both");
    assertEquals(1, opTypes(proto).stream().filter("ArgMax"::equals).count());
  }

  @Test
  void paddedBidirectionalRnnSequencesAreZeroAtPaddedSteps() throws Exception {
    PaddedRnnSequencesModel model = new PaddedRnnSequencesModel();
    float[] x = tokens(model, ROWS, 3, 11).features();
    compare(model, x, "padded-rnn-sequences.onnx");
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(dir.resolve("padded-rnn-sequences.onnx"))) {
      float[] y = ort.runTokens(x, ROWS, STEPS, new int[] {STEPS, 10});
      for (int r = 0; r < ROWS; r++) {
        int length = length(x, r, 3);
        for (int t = length; t < STEPS; t++) {
          for (int j = 0; j < 10; j++) {
            assertEquals(0f, y[(r * STEPS + t) * 10 + j], "row " + r + " step " + t);
          }
        }
      }
    }
  }

  @Test
  void paddedReluRnnLastStateMatchesKiln() throws Exception {
    PaddedReluRnnModel model = new PaddedReluRnnModel();
    compare(model, tokens(model, ROWS, 0, 12).features(), "padded-relu-rnn.onnx");
  }

  @Test
  void paddedGruSequencesIntoBidirectionalLstmLastStateMatchKiln() throws Exception {
    PaddedGruLstmModel model = new PaddedGruLstmModel();
    compare(model, tokens(model, ROWS, 0, 13).features(), "padded-gru-lstm.onnx");
  }

  @Test
  void paddedLstmLanguageModelWithLinearLogitsPerStepMatchesKiln() throws Exception {
    PaddedLstmLanguageModelModel model = new PaddedLstmLanguageModelModel();
    ModelProto proto = compare(model, tokens(model, ROWS, 0, 14).features(), "language-model.onnx");
    assertEquals(
        List.of("Gather", "Transpose", "Equal", "Cast", "Pad", "ArgMax", "Cast", "LSTM", "Transpose", "Reshape", "MatMul",
            "Add", "Softmax"),
        opTypes(proto));
  }

  /**
   * Token ids for {@code rows} samples of {@code model}'s steps, as floats, with class labels: with
   * a padding id, rows of every length from 0 to the steps (the padding id at the length, arbitrary
   * ids after it, padding ones included); without one (-1), ids anywhere in the vocabulary.
   */
  static Dataset tokens(CompiledModel model, int rows, int padding, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int steps = model.spec().inputShape()[0];
    float[] x = new float[rows * steps];
    int[] labels = new int[rows];
    for (int r = 0; r < rows; r++) {
      int length = padding < 0 ? steps : r % (steps + 1);
      for (int t = 0; t < steps; t++) {
        int id;
        if (t < length) {
          do {
            id = random.nextInt(VOCABULARY);
          } while (id == padding);
        } else if (t == length) {
          id = padding;
        } else {
          id = random.nextInt(4) == 0 ? padding : random.nextInt(VOCABULARY);
        }
        x[r * steps + t] = id;
      }
      labels[r] = length % 2;
    }
    return Dataset.classification("tokens", x, rows, steps, labels, 2);
  }

  /** The real steps of row {@code r}: the position of its first padding id, or the steps. */
  private static int length(float[] x, int r, int padding) {
    for (int t = 0; t < STEPS; t++) {
      if (x[r * STEPS + t] == padding) {
        return t;
      }
    }
    return STEPS;
  }

  /**
   * Exports {@code model}, checks the signature ONNX Runtime reports, and compares its outputs with
   * Kiln's on {@code x} ({@link #ROWS} samples) and on one sample; prints the largest difference.
   */
  private ModelProto compare(CompiledModel model, float[] x, String fileName) throws Exception {
    Path file = dir.resolve(fileName);
    OnnxExport.write(model, file);
    int[] in = model.spec().inputShape();
    int[] outShape = model.spec().layers().getLast().outputShape();
    int outs = model.spec().outputs();
    boolean tokens = model.spec().tokenInput();
    float[] kiln = new float[ROWS * outs];
    model.predict(x, ROWS, kiln);
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(file)) {
      ort.assertSignature(in, outShape, tokens);
      float[] onnx = tokens ? ort.runTokens(x, ROWS, in[0], outShape) : ort.run(x, ROWS, in, outShape);
      double worst = OnnxExportTest.maxDifference(kiln, onnx, fileName + ", batch of " + ROWS, TOLERANCE);
      int sample = model.spec().inputs();
      float[] row = Arrays.copyOfRange(x, 3 * sample, 4 * sample);
      float[] kilnOne = new float[outs];
      model.predict(row, 1, kilnOne);
      float[] one = tokens ? ort.runTokens(row, 1, in[0], outShape) : ort.run(row, 1, in, outShape);
      worst = Math.max(worst, OnnxExportTest.maxDifference(kilnOne, one, fileName + ", one row", TOLERANCE));
      System.out.printf("%s: max |ONNX Runtime - Kiln| = %.3g%n", fileName, worst);
    }
    return ModelProto.parseFrom(Files.readAllBytes(file));
  }

  private static List<String> opTypes(ModelProto proto) {
    return proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
  }

  private static NodeProto node(ModelProto proto, String opType) {
    return proto.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).findFirst().orElseThrow();
  }

  private static TensorProto initializer(ModelProto proto, String name) {
    return proto.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }

  private static ai.onnx.proto.OnnxMl.AttributeProto attribute(NodeProto node, String name) {
    return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow();
  }
}
