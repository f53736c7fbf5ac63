package dev.kiln.onnx;

import static dev.kiln.onnx.HandBuiltNetworks.conv;
import static dev.kiln.onnx.HandBuiltNetworks.dense;
import static dev.kiln.onnx.HandBuiltNetworks.pool;
import static dev.kiln.onnx.TypedSpecBuilder.ints;
import static dev.kiln.onnx.TypedSpecBuilder.trained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.samples.BreastCancerModel;
import dev.kiln.samples.DigitsModel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad output paths, unsupported or inconsistent networks (each refused naming the layer and the
 * problem), and what is left on disk when export fails.
 */
class OnnxExportBadInputTest {
  @TempDir Path dir;

  @Test
  void targetThatIsADirectoryIsRefusedAndNothingIsLeft() throws Exception {
    Path target = Files.createDirectory(dir.resolve("model.onnx"));
    IOException e = assertThrows(IOException.class, () -> OnnxExport.write(new DigitsModel(), target));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("is a directory"), e.getMessage());
    assertEquals(List.of(target), list(dir), "no temporary file is left next to the target");
    assertEquals(List.of(), list(target));
  }

  @Test
  void parentThatIsAFileIsRefusedAndNothingIsLeft() throws Exception {
    Path file = Files.writeString(dir.resolve("weights"), "not a directory");
    Path target = file.resolve("model.onnx");
    IOException e = assertThrows(IOException.class, () -> OnnxExport.write(new DigitsModel(), target));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains(file + " is not a directory"), e.getMessage());
    assertEquals(List.of(file), list(dir));
    assertEquals("not a directory", Files.readString(file));
  }

  @Test
  void missingParentDirectoriesAreCreated() throws Exception {
    Path target = dir.resolve("a/b/digits.onnx");
    OnnxExport.write(new DigitsModel(), target);
    assertEquals("Digits", ModelProto.parseFrom(Files.readAllBytes(target)).getGraph().getName());
    assertEquals(List.of(target), list(target.getParent()));
  }

  @Test
  void rewritingReplacesTheFileWholeAndLeavesNoTemporaryFile() throws Exception {
    Path target = dir.resolve("model.onnx");
    OnnxExport.write(new DigitsModel(), target);
    OnnxExport.write(new BreastCancerModel(), target);
    assertEquals("BreastCancer", ModelProto.parseFrom(Files.readAllBytes(target)).getGraph().getName());
    assertEquals(List.of(target), list(dir));
  }

  @Test
  void unsupportedLayerIsNamedAndAnExistingFileIsKept() throws Exception {
    Path target = dir.resolve("model.onnx");
    OnnxExport.write(new DigitsModel(), target);
    byte[] before = Files.readAllBytes(target);

    ModelSpec digits = new DigitsModel().spec();
    List<LayerSpec> layers = new ArrayList<>(digits.layers());
    layers.add(1, new LayerSpec("memory", "Attention", new int[] {64}, "", List.of()));
    ModelSpec withAttention = withLayers(digits, layers);
    float[] arena = new float[digits.parameterCount()];
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.write(withAttention, arena, target));
    assertEquals(
        "Digits: layer 'memory' of type Attention cannot be exported to ONNX (supported: Activate, Add, AvgPool2D,"
            + " BatchNorm, Concat, Conv2D, Dense, Dropout, Embedding, Flatten, GRU, GlobalAveragePool2D, Input, LSTM,"
            + " MaxPool2D, SimpleRNN)",
        e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(target));
    assertEquals(List.of(target), list(dir));
  }

  @Test
  void unknownActivationIsNamed() {
    ModelSpec digits = new DigitsModel().spec();
    List<LayerSpec> layers = new ArrayList<>(digits.layers());
    LayerSpec hidden = layers.get(1);
    layers.set(1, new LayerSpec(hidden.name(), "Dense", hidden.outputShape(), "SWISH", hidden.params()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OnnxExport.toModelProto(withLayers(digits, layers), new float[digits.parameterCount()]));
    assertTrue(e.getMessage().startsWith("Digits: Dense layer 'hidden' has activation 'SWISH'"), e.getMessage());
  }

  @Test
  void arenaOfTheWrongSizeIsRefused() {
    ModelSpec digits = new DigitsModel().spec();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModelProto(digits, new float[10]));
    assertEquals("Digits has " + digits.parameterCount() + " parameters, but the arena holds 10", e.getMessage());
  }

  @Test
  void modelThatIsNotACompiledModelIsExportedThroughTheModelInterface() throws Exception {
    DigitsModel real = new DigitsModel(99);
    // Only the Model interface: the exporter must get the weights through Model.parameters().
    Model wrapper =
        (Model)
            Proxy.newProxyInstance(
                Model.class.getClassLoader(),
                new Class<?>[] {Model.class},
                (proxy, method, args) -> {
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException ex) {
                    throw ex.getCause();
                  }
                });
    assertEquals(OnnxExport.toModelProto(real), OnnxExport.toModelProto(wrapper));
  }

  @Test
  void denseReadingAnImageAsksForAFlatten() {
    TypedSpecBuilder net =
        image(LossKind.SOFTMAX_CROSS_ENTROPY)
            .layer("out", "Dense", new int[] {5}, dense(5, "SOFTMAX", true), trained("kernel", 48, 5), trained("bias", 5));
    assertEquals(
        "Net: Dense layer 'out' reads a tensor of shape [3, 4, 4] but needs a vector [features] (put a Flatten before it)",
        error(net));
  }

  @Test
  void missingParameterTensorIsNamed() {
    TypedSpecBuilder net =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 2, 4, 4)
            .layer("conv", "Conv2D", new int[] {3, 4, 4}, conv(3, ints(1, 1), ints(1, 1), ints(0, 0, 0, 0), ints(1, 1), 1, "RELU", true),
                trained("kernel", 3, 2, 1, 1));
    assertEquals("Net: Conv2D layer 'conv' has no parameter tensor conv.bias [3] (it has [conv.kernel])", error(net));
  }

  @Test
  void parameterOfTheWrongShapeIsNamed() {
    TypedSpecBuilder net =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 2, 4, 4)
            .layer("conv", "Conv2D", new int[] {4, 4, 4}, conv(4, ints(1, 1), ints(1, 1), ints(0, 0, 0, 0), ints(1, 1), 2, "LINEAR", false),
                trained("kernel", 4, 2, 1, 1));
    assertEquals("Net: Conv2D layer 'conv' should have parameter conv.kernel [4, 1, 1, 1], got [4, 2, 1, 1]", error(net));
  }

  @Test
  void declaredOutputShapeThatTheAttributesDoNotGiveIsRefused() {
    TypedSpecBuilder net =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 2, 4, 4)
            .layer("conv", "Conv2D", new int[] {3, 4, 4}, conv(3, ints(3, 3), ints(2, 2), ints(1, 1, 1, 1), ints(1, 1), 1, "LINEAR", true),
                trained("kernel", 3, 2, 3, 3), trained("bias", 3));
    assertEquals(
        "Net: Conv2D layer 'conv' declares output shape [3, 4, 4], but its inputs and attributes give [3, 2, 2]", error(net));
  }

  @Test
  void attributeOfTheWrongTypeOrMissingIsNamed() {
    Map<String, Object> attributes = new HashMap<>(pool(ints(2, 2), ints(2, 2), ints(0, 0, 0, 0)));
    attributes.put("size", 2);
    TypedSpecBuilder wrongType =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 2, 4, 4).layer("pool", "MaxPool2D", new int[] {2, 2, 2}, attributes);
    assertEquals("Net: MaxPool2D layer 'pool' attribute 'size' should be a List<Integer> of 2, got Integer 2", error(wrongType));

    attributes.remove("size");
    TypedSpecBuilder missing =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 2, 4, 4).layer("pool", "MaxPool2D", new int[] {2, 2, 2}, attributes);
    assertEquals("Net: MaxPool2D layer 'pool' has no attribute 'size' (it has [pad, stride])", error(missing));
  }

  @Test
  void inputFromAnUnknownLayerAndAddOfDifferentShapesAreNamed() {
    TypedSpecBuilder unknown =
        image(LossKind.MEAN_SQUARED_ERROR).layer("sum", "Add", List.of("conv", "nope"), new int[] {3, 4, 4}, Map.of());
    assertEquals("Net: Add layer 'sum' reads 'nope', which is not a layer before it", error(unknown));

    TypedSpecBuilder shapes =
        image(LossKind.MEAN_SQUARED_ERROR).layer("sum", "Add", List.of("conv", "input"), new int[] {3, 4, 4}, Map.of());
    assertEquals("Net: Add layer 'sum' adds tensors of different shapes [[3, 4, 4], [2, 4, 4]]", error(shapes));
  }

  @Test
  void softmaxOfAnImageIsRefused() {
    TypedSpecBuilder net =
        image(LossKind.MEAN_SQUARED_ERROR)
            .layer("soft", "Activate", new int[] {3, 4, 4}, Map.of("activation", "SOFTMAX", "negativeSlope", 0.01))
            .layer("flat", "Flatten", new int[] {48}, Map.of());
    assertEquals("Net: Activate layer 'soft' applies SOFTMAX to a tensor of rank 3; SOFTMAX needs a vector", error(net));
  }

  @Test
  void tokenIdsAreReadOnlyByAnEmbedding() {
    TypedSpecBuilder dense =
        tokens(5).layer("out", "Dense", new int[] {2}, dense(2, "LINEAR", false), trained("kernel", 5, 2));
    assertEquals("Net: Dense layer 'out' reads the token ids of the input; only an Embedding reads them", error(dense));

    TypedSpecBuilder floats =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 5)
            .layer("emb", "Embedding", new int[] {5, 3}, embedding(10, 3, 0), trained("weight", 10, 3));
    assertEquals(
        "Net: Embedding layer 'emb' must read only the network input, holding token ids (inputType TOKENS)", error(floats));
  }

  @Test
  void recurrentLayerReadingAVectorOrWithAnUnknownActivationIsRefused() {
    TypedSpecBuilder vector =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 4)
            .layer("rnn", "SimpleRNN", new int[] {3}, rnn(3, "TANH", false, false), rnnParams(1, 3, 4, false));
    assertEquals("Net: SimpleRNN layer 'rnn' reads a tensor of shape [4] but needs a sequence [steps, features]", error(vector));

    TypedSpecBuilder sigmoid =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 6, 4)
            .layer("rnn", "SimpleRNN", new int[] {3}, rnn(3, "SIGMOID", false, false), rnnParams(1, 3, 4, false));
    assertEquals("Net: SimpleRNN layer 'rnn' has activation 'SIGMOID'; a SimpleRNN uses TANH or RELU", error(sigmoid));

    TypedSpecBuilder missingReverse =
        new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, 6, 4)
            .layer("gru", "GRU", new int[] {6, 6}, rnn(3, null, true, true), rnnParams(3, 3, 4, false));
    assertEquals(
        "Net: GRU layer 'gru' has no parameter tensor gru.weight_ih_reverse [9, 4] (it has [gru.weight_ih, gru.weight_hh,"
            + " gru.bias_ih, gru.bias_hh])",
        error(missingReverse));
  }

  /** Token input of {@code steps} ids. */
  private static TypedSpecBuilder tokens(int steps) {
    return new TypedSpecBuilder("Net", LossKind.MEAN_SQUARED_ERROR, true, steps);
  }

  private static Map<String, Object> embedding(int vocabulary, int dim, int paddingIndex) {
    return Map.of("vocabulary", vocabulary, "dim", dim, "paddingIndex", paddingIndex);
  }

  private static Map<String, Object> rnn(int units, String activation, boolean sequences, boolean bidirectional) {
    Map<String, Object> m = new HashMap<>(Map.of("units", units, "returnSequences", sequences, "bidirectional", bidirectional));
    if (activation != null) {
      m.put("activation", activation);
    }
    return m;
  }

  /** One direction's (or both directions') weight_ih, weight_hh, bias_ih, bias_hh. */
  private static TypedSpecBuilder.Param[] rnnParams(int gates, int units, int features, boolean bidirectional) {
    List<TypedSpecBuilder.Param> ps = new ArrayList<>();
    for (String s : bidirectional ? List.of("", "_reverse") : List.of("")) {
      ps.add(trained("weight_ih" + s, gates * units, features));
      ps.add(trained("weight_hh" + s, gates * units, units));
      ps.add(trained("bias_ih" + s, gates * units));
      ps.add(trained("bias_hh" + s, gates * units));
    }
    return ps.toArray(TypedSpecBuilder.Param[]::new);
  }

  /** Input [2, 4, 4] and a 1x1 convolution "conv" to [3, 4, 4]. */
  private static TypedSpecBuilder image(LossKind loss) {
    return new TypedSpecBuilder("Net", loss, 2, 4, 4)
        .layer("conv", "Conv2D", new int[] {3, 4, 4}, conv(3, ints(1, 1), ints(1, 1), ints(0, 0, 0, 0), ints(1, 1), 1, "RELU", true),
            trained("kernel", 3, 2, 1, 1), trained("bias", 3));
  }

  /** The message of the exporter's refusal of {@code net}. */
  private static String error(TypedSpecBuilder net) {
    ModelSpec spec = net.build();
    return assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModelProto(spec, new float[spec.parameterCount()]))
        .getMessage();
  }

  private static ModelSpec withLayers(ModelSpec s, List<LayerSpec> layers) {
    return new ModelSpec(
        s.network(), s.architecture(), s.architectureHash(), s.inputs(), s.outputs(), s.loss(), s.optimizer(),
        s.batchSize(), s.seed(), layers, s.parameterCount(), s.activationFloatsPerSample());
  }

  private static List<Path> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }
}
