package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxModelMetadata;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.BreastCancerModel;
import dev.kiln.samples.DigitsModel;
import dev.kiln.samples.SampleData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains real networks, exports them, runs the exported graph in ONNX Runtime and compares its
 * outputs with Kiln's {@code predict} on a batch of held-out real inputs.
 */
class OnnxExportTest {
  /** Largest allowed |ONNX Runtime - Kiln| per output. */
  private static final double TOLERANCE = 1e-5;

  @TempDir Path dir;

  @Test
  void softmaxDigitsClassifierMatchesKiln() throws Exception {
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    DigitsModel model = new DigitsModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(15).quiet());
    Dataset test = scale.transform(split.test());

    float[] onnx = exportAndCompare(model, test, "digits.onnx");
    assertTrue(accuracy(onnx, test) > 0.9, "the exported digits classifier is trained: accuracy " + accuracy(onnx, test));
    for (int r = 0; r < test.rows(); r++) {
      double sum = 0;
      for (int j = 0; j < 10; j++) {
        sum += onnx[r * 10 + j];
      }
      assertEquals(1.0, sum, 1e-5, "softmax row " + r + " sums to 1");
    }
  }

  @Test
  void sigmoidBreastCancerWithDropoutMatchesKiln() throws Exception {
    Split split = SampleData.breastCancer().split(3, 0.7, 0.1);
    Standardizer scale = Standardizer.fit(split.train());
    BreastCancerModel model = new BreastCancerModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(20).quiet());
    Dataset test = scale.transform(split.test());

    float[] onnx = exportAndCompare(model, test, "breast-cancer.onnx");
    assertTrue(accuracy(onnx, test) > 0.9, "trained: accuracy " + accuracy(onnx, test));
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("breast-cancer.onnx")));
    List<String> ops = proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertEquals(List.of("Gemm", "Tanh", "Gemm", "Sigmoid"), ops, "dropout is left out at inference");
  }

  @Test
  void leakyReluGeluAndLinearLogitsMatchKiln() throws Exception {
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    LeakyGeluDigitsModel model = new LeakyGeluDigitsModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(10).quiet());
    Dataset test = scale.transform(split.test());

    float[] onnx = exportAndCompare(model, test, "leaky-gelu.onnx");
    assertTrue(accuracy(onnx, test) > 0.85, "trained: accuracy " + accuracy(onnx, test));
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("leaky-gelu.onnx")));
    NodeProto leaky = proto.getGraph().getNode(1);
    assertEquals("LeakyRelu", leaky.getOpType());
    assertEquals(0.1f, leaky.getAttribute(0).getF(), "the declared slope, not ONNX's default 0.01");
    List<String> ops = proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertEquals(
        List.of("Gemm", "LeakyRelu", "Gemm", "Mul", "Erf", "Add", "Mul", "Mul", "Gemm", "Softmax"), ops,
        "LINEAR logits under softmax cross-entropy get the softmax predict applies");
  }

  @Test
  void sigmoidWithoutBiasTanhAndLinearLogitMatchKiln() throws Exception {
    Split split = SampleData.breastCancer().split(3, 0.7, 0.1);
    Standardizer scale = Standardizer.fit(split.train());
    SigmoidTanhBinaryModel model = new SigmoidTanhBinaryModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(20).quiet());
    Dataset test = scale.transform(split.test());

    float[] onnx = exportAndCompare(model, test, "sigmoid-tanh.onnx");
    assertTrue(accuracy(onnx, test) > 0.9, "trained: accuracy " + accuracy(onnx, test));
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("sigmoid-tanh.onnx")));
    List<String> ops = proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertEquals(List.of("MatMul", "Sigmoid", "Gemm", "Tanh", "Gemm", "Sigmoid"), ops);
  }

  @Test
  void linearRegressionOutputMatchesKiln() throws Exception {
    // Real inputs: predict the standardized mean radius (column 0) from the other 29 features.
    Dataset all = standardizedBreastCancer();
    Dataset data = regression(all, 1, 1);
    LinearRegressorModel model = new LinearRegressorModel();
    model.train(data.subset(0, 400), TrainOptions.epochs(30).quiet());
    Dataset test = data.subset(400, data.rows());
    assertTrue(model.evaluate(test).loss() < 0.2, "trained: test MSE " + model.evaluate(test).loss());

    exportAndCompare(model, test, "linear-regressor.onnx");
  }

  @Test
  void tanhRegressionOutputMatchesKiln() throws Exception {
    Dataset all = standardizedBreastCancer();
    Dataset data = regression(all, 2, 2);
    TanhHeadRegressorModel model = new TanhHeadRegressorModel();
    model.train(data.subset(0, 400), TrainOptions.epochs(30).quiet());
    Dataset test = data.subset(400, data.rows());

    exportAndCompare(model, test, "tanh-regressor.onnx");
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("tanh-regressor.onnx")));
    assertEquals("Tanh", proto.getGraph().getNodeList().getLast().getOpType());
    assertEquals(0.2f, proto.getGraph().getNode(1).getAttribute(0).getF());
  }

  @Test
  void fashionCnnMatchesKiln() throws Exception {
    FashionCnnModel model = new FashionCnnModel();
    // A short training run moves the BatchNorm running statistics away from 0 and 1.
    model.train(fashion(true, 512), TrainOptions.epochs(1).quiet());
    exportAndCompare(model, fashion(false, 64), "fashion-cnn.onnx");
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("fashion-cnn.onnx")));
    List<String> ops = proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    assertEquals(
        List.of("Conv", "Relu", "MaxPool", "Conv", "LeakyRelu", "BatchNormalization", "AveragePool", "Flatten", "Gemm", "Softmax"),
        ops);
  }

  @Test
  void fashionResNetMatchesKiln() throws Exception {
    FashionResNetModel model = new FashionResNetModel();
    model.train(fashion(true, 512), TrainOptions.epochs(1).quiet());
    exportAndCompare(model, fashion(false, 64), "fashion-resnet.onnx");
  }

  @Test
  void modelCarriesOpsetNamesAndKilnMetadata() throws Exception {
    DigitsModel model = new DigitsModel();
    Path file = dir.resolve("meta.onnx");
    OnnxExport.write(model, file);
    ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(file));
    assertEquals(8, proto.getIrVersion());
    assertEquals(1, proto.getOpsetImportCount());
    assertEquals("", proto.getOpsetImport(0).getDomain());
    assertEquals(17, proto.getOpsetImport(0).getVersion());
    assertEquals("Kiln", proto.getProducerName());
    assertEquals("0.1.0-SNAPSHOT", proto.getProducerVersion());
    assertEquals("Digits", proto.getGraph().getName());
    assertTrue(proto.getDocString().contains(model.spec().architecture()), proto.getDocString());

    // Initializers: Kiln's tensor names, shapes [in, out] and [out], values bit for bit.
    List<ParamSpec> params = model.spec().parameters();
    assertEquals(params.size(), proto.getGraph().getInitializerCount());
    float[] arena = model.parameters();
    for (int i = 0; i < params.size(); i++) {
      ParamSpec p = params.get(i);
      TensorProto t = proto.getGraph().getInitializer(i);
      assertEquals(p.name(), t.getName());
      assertEquals(TensorProto.DataType.FLOAT_VALUE, t.getDataType());
      assertEquals(java.util.Arrays.stream(p.shape()).asLongStream().boxed().toList(), t.getDimsList());
      java.nio.FloatBuffer values =
          t.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      assertEquals(p.length(), values.remaining());
      for (int k = 0; k < p.length(); k++) {
        assertEquals(Float.floatToRawIntBits(arena[p.offset() + k]), Float.floatToRawIntBits(values.get(k)), p.name() + "[" + k + "]");
      }
    }

    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(file)) {
      OnnxModelMetadata meta = ort.session().getMetadata();
      assertEquals("Kiln", meta.getProducerName());
      assertEquals("Digits", meta.getGraphName());
      assertEquals(model.spec().architecture(), meta.getCustomMetadata().get(CompiledModel.META_ARCHITECTURE));
      assertEquals(model.spec().architectureHash(), meta.getCustomMetadata().get(CompiledModel.META_ARCHITECTURE_HASH));
      assertEquals("Digits", meta.getCustomMetadata().get(CompiledModel.META_NETWORK));
      assertEquals("SOFTMAX_CROSS_ENTROPY", meta.getCustomMetadata().get("kiln.loss"));
    }
  }

  /**
   * Exports {@code model}, checks the file loads in ONNX Runtime with the expected signature, and
   * compares ONNX Runtime's outputs with Kiln's on all of {@code test} and on a single row (the batch
   * dimension is symbolic). Returns ONNX Runtime's outputs.
   */
  private float[] exportAndCompare(CompiledModel model, Dataset test, String fileName) throws Exception {
    Path file = dir.resolve(fileName);
    OnnxExport.write(model, file);
    int[] in = model.spec().inputShape();
    int[] outShape = model.spec().layers().getLast().outputShape();
    int outs = model.spec().outputs();
    float[] x = test.features();
    float[] kiln = new float[test.rows() * outs];
    model.predict(x, test.rows(), kiln);
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(file)) {
      ort.assertSignature(in, outShape);
      float[] onnx = ort.run(x, test.rows(), in, outShape);
      assertClose(kiln, onnx, fileName + ", batch of " + test.rows());
      float[] one = ort.run(test.row(5), 1, in, outShape);
      assertClose(model.predict(test.row(5)), one, fileName + ", one row");
      return onnx;
    }
  }

  /** Fails naming {@code what} and the worst element if some |actual - expected| exceeds {@link #TOLERANCE}. */
  static void assertClose(float[] expected, float[] actual, String what) {
    maxDifference(expected, actual, what, TOLERANCE);
  }

  /**
   * The largest |actual - expected|; fails naming {@code what} and the worst element if it exceeds
   * {@code tolerance}.
   */
  static double maxDifference(float[] expected, float[] actual, String what, double tolerance) {
    assertEquals(expected.length, actual.length, what + ": output length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) expected[i] - actual[i]);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    if (!(worst <= tolerance)) {
      throw new AssertionError(
          what + ": max |difference from Kiln| = " + worst + " at " + at + " (Kiln " + expected[at] + ", got "
              + actual[at] + "), allowed " + tolerance);
    }
    return worst;
  }

  private static double accuracy(float[] outputs, Dataset data) {
    int cols = outputs.length / data.rows();
    int correct = 0;
    for (int r = 0; r < data.rows(); r++) {
      int predicted;
      if (cols == 1) {
        predicted = outputs[r] >= 0.5f ? 1 : 0;
      } else {
        predicted = 0;
        for (int j = 1; j < cols; j++) {
          if (outputs[r * cols + j] > outputs[r * cols + predicted]) {
            predicted = j;
          }
        }
      }
      if (predicted == data.label(r)) {
        correct++;
      }
    }
    return (double) correct / data.rows();
  }

  /**
   * The first {@code rows} images of Fashion-MNIST's training or test set; skips the test where the
   * dataset is not installed.
   */
  private static Dataset fashion(boolean train, int rows) throws Exception {
    Assumptions.assumeTrue(
        Files.isDirectory(FashionMnist.DEFAULT_DIR), "no Fashion-MNIST (apt-get install dataset-fashion-mnist)");
    return (train ? FashionMnist.train() : FashionMnist.test()).subset(0, rows);
  }

  private static Dataset standardizedBreastCancer() {
    Dataset raw = SampleData.breastCancer();
    return Standardizer.fit(raw).transform(raw);
  }

  /** Features: columns {@code skip..29}; targets: columns {@code 0..targets-1}. */
  private static Dataset regression(Dataset all, int skip, int targets) {
    int rows = all.rows();
    int cols = all.cols() - skip;
    float[] x = new float[rows * cols];
    float[] y = new float[rows * targets];
    for (int r = 0; r < rows; r++) {
      float[] row = all.row(r);
      System.arraycopy(row, skip, x, r * cols, cols);
      for (int t = 0; t < targets; t++) {
        // Halved so that a TANH output can reach them.
        y[r * targets + t] = row[t] * 0.5f;
      }
    }
    return Dataset.regression("breast-cancer-regression", x, rows, cols, y, targets);
  }
}
