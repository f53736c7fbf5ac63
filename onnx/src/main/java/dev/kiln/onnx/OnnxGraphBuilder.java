package dev.kiln.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.kiln.onnx.ExportLayer.Nonlinearity;
import dev.kiln.onnx.ExportLayer.Tensor;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Emits the ONNX graph of a network's inference computation from its {@link ModelSpec}: the layers
 * in order, each reading the layers its {@link LayerSpec#inputs()} names (none: the layer before
 * it), each turned into nodes by its exporter in {@link OnnxOps}. A token input is int64 and only
 * Embedding layers read it; recurrent layers whose sequences an Embedding's padding id ends get the
 * lengths computed once per Embedding. The output layer's last node
 * writes {@link OnnxExport#OUTPUT}; for classification losses the layer computes logits and the head
 * {@code predict} applies (softmax, sigmoid) writes it. Intermediate tensors are named {@code <layer>/<part>}, which cannot
 * clash with the graph's {@code input} and {@code output} nor with the initializers, named after
 * Kiln's parameter tensors ({@code <layer>.kernel}, {@code <layer>.bias}, ...).
 */
final class OnnxGraphBuilder {
  /** Shared scalar constants of the GELU decomposition (their names end in neither .kernel nor .bias). */
  private static final String GELU_INV_SQRT2 = "kiln.gelu.inv_sqrt2";
  private static final String GELU_ONE = "kiln.gelu.one";
  private static final String GELU_HALF = "kiln.gelu.half";

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final float[] parameters;
  private boolean geluConstants;
  /** The int32 lengths tensor computed from the token ids, per padding embedding that has one. */
  private final Map<String, String> lengthsByEmbedding = new HashMap<>();

  private OnnxGraphBuilder(float[] parameters) {
    this.parameters = parameters;
  }

  /**
   * The graph of {@code spec} with weights from {@code parameters} (named after the network; the
   * caller adds the doc string).
   *
   * @throws IllegalArgumentException naming the layer if the network holds something the exporter
   *     does not know (a layer kind, an activation) or the description is inconsistent
   */
  static GraphProto.Builder build(ModelSpec spec, float[] parameters) {
    return new OnnxGraphBuilder(parameters).graph(spec);
  }

  private GraphProto.Builder graph(ModelSpec spec) {
    String net = spec.network();
    List<LayerSpec> layers = spec.layers();
    if (layers.size() < 2 || !layers.getFirst().type().equals("Input")) {
      throw new IllegalArgumentException(
          net + ": the first layer must be the Input layer, followed by at least one layer; got " + describe(layers));
    }
    graph.setName(net);
    boolean tokens = spec.tokenInput();
    Tensor input = new Tensor(OnnxExport.INPUT, inputShape(spec));
    if (tokens && input.shape().length != 1) {
      throw new IllegalArgumentException(
          net + ": the input holds token ids, so its shape must be [steps], got " + Arrays.toString(input.shape()));
    }
    graph.addInput(tensorInfo(input, tokens ? TensorProto.DataType.INT64_VALUE : TensorProto.DataType.FLOAT_VALUE));
    Activation head = head(spec.loss());
    Map<String, Tensor> byLayer = new HashMap<>();
    Map<String, LayerSpec> specs = new HashMap<>();
    Map<String, String> firstInput = new HashMap<>();
    byLayer.put(layers.getFirst().name(), input);
    specs.put(layers.getFirst().name(), layers.getFirst());
    Tensor previous = input;
    String previousLayer = layers.getFirst().name();
    for (int i = 1; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      if (l.type().equals("Input")) {
        throw new IllegalArgumentException(net + ": layer '" + l.name() + "' is a second Input; only the first layer is one");
      }
      List<Tensor> reads = reads(net, l, byLayer, previous);
      boolean embedding = l.type().equals("Embedding");
      boolean readsTokens = tokens && reads.stream().anyMatch(t -> t.name().equals(OnnxExport.INPUT));
      if (readsTokens && !embedding) {
        throw new IllegalArgumentException(
            net + ": " + l.type() + " layer '" + l.name() + "' reads the token ids of the input; only an Embedding reads them");
      }
      if (embedding && !(readsTokens && reads.size() == 1)) {
        throw new IllegalArgumentException(
            net + ": Embedding layer '" + l.name() + "' must read only the network input, holding token ids (inputType TOKENS)");
      }
      specs.put(l.name(), l);
      firstInput.put(l.name(), l.inputs().isEmpty() ? previousLayer : l.inputs().getFirst());
      OnnxOps.Exporter op =
          OnnxOps.of(l.type())
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          net + ": layer '" + l.name() + "' of type " + l.type()
                              + " cannot be exported to ONNX (supported: " + OnnxOps.supported() + ")"));
      boolean last = i == layers.size() - 1;
      ExportLayer layer =
          new ExportLayer(
              net, l, reads,
              last && head == null ? OnnxExport.OUTPUT : l.name() + "/out", last ? spec.loss() : null,
              maskSource(l, specs, firstInput));
      Tensor out = new Tensor(op.export(layer, this), l.outputShape());
      if (byLayer.putIfAbsent(l.name(), out) != null) {
        throw new IllegalArgumentException(net + ": two layers are named '" + l.name() + "'");
      }
      previous = out;
      previousLayer = l.name();
    }
    String outputLayer = layers.getLast().name();
    if (head != null) {
      head(outputLayer, head, previous);
    } else if (!previous.name().equals(OnnxExport.OUTPUT)) {
      // The output layer passes its input through (Dropout).
      add(node("Identity", outputLayer + "/Identity", OnnxExport.OUTPUT, previous.name()));
    }
    int[] outShape = previous.shape();
    if (Arrays.stream(outShape).reduce(1, Math::multiplyExact) != spec.outputs()) {
      throw new IllegalArgumentException(
          net + ": the output layer '" + outputLayer + "' has shape " + Arrays.toString(outShape)
              + ", but the network declares " + spec.outputs() + " outputs");
    }
    graph.addOutput(tensorInfo(new Tensor(OnnxExport.OUTPUT, outShape), TensorProto.DataType.FLOAT_VALUE));
    return graph;
  }

  /**
   * The Embedding whose padding ids end the sequences layer {@code l} reads, or null, found as the
   * compiler finds it: walking back from {@code l}'s input through layers with one input whose
   * output is a sequence of the same steps (recurrent layers returning sequences, Dense per step,
   * Dropout, Activate) to an Embedding that declares a padding index.
   */
  private static LayerSpec maskSource(LayerSpec l, Map<String, LayerSpec> specs, Map<String, String> firstInput) {
    LayerSpec x = specs.get(firstInput.get(l.name()));
    if (x == null || x.outputShape().length == 0) {
      return null;
    }
    int steps = x.outputShape()[0];
    while (true) {
      if (x.type().equals("Embedding")) {
        Object padding = x.attributes().get("paddingIndex");
        return padding instanceof Integer p && p >= 0 ? x : null;
      }
      int[] s = x.outputShape();
      int inputs = x.type().equals("Input") ? 0 : x.inputs().isEmpty() ? 1 : x.inputs().size();
      if (inputs != 1 || s.length != 2 || s[0] != steps) {
        return null;
      }
      x = specs.get(firstInput.get(x.name()));
      if (x == null) {
        return null;
      }
    }
  }

  /**
   * The lengths of the sequences that {@code embedding}'s padding id ends, int32 {@code [batch]},
   * computed once from the token ids: the position of each row's first padding id, or the steps
   * when it has none ({@code ArgMax} over {@code Equal(ids, padding)} with a padding column
   * appended).
   */
  String sequenceLengths(LayerSpec embedding) {
    return lengthsByEmbedding.computeIfAbsent(
        embedding.name(),
        e -> {
          int padding = (Integer) embedding.attributes().get("paddingIndex");
          String p = e + "/lengths_";
          graph.addInitializer(int64Tensor(p + "padding_id", new long[0], padding));
          graph.addInitializer(int64Tensor(p + "pads", new long[] {4}, 0, 0, 0, 1));
          graph.addInitializer(int32Tensor(p + "one", 1));
          add(node("Equal", p + "Equal", p + "is_padding", OnnxExport.INPUT, p + "padding_id"));
          add(node("Cast", p + "Cast", p + "is_padding_int", p + "is_padding")
              .addAttribute(intAttribute("to", TensorProto.DataType.INT32_VALUE)));
          add(node("Pad", p + "Pad", p + "padded", p + "is_padding_int", p + "pads", p + "one")
              .addAttribute(stringAttribute("mode", "constant")));
          add(node("ArgMax", p + "ArgMax", p + "first_padding", p + "padded")
              .addAttribute(intAttribute("axis", 1))
              .addAttribute(intAttribute("keepdims", 0))
              .addAttribute(intAttribute("select_last_index", 0)));
          String lengths = e + "/lengths";
          add(node("Cast", p + "CastLengths", lengths, p + "first_padding")
              .addAttribute(intAttribute("to", TensorProto.DataType.INT32_VALUE)));
          return lengths;
        });
  }

  /** The per-sample input shape: the Input layer's output shape and {@code shape} attribute, as the spec declares. */
  private static int[] inputShape(ModelSpec spec) {
    LayerSpec in = spec.layers().getFirst();
    int[] shape = in.outputShape();
    Object attribute = in.attributes().get("shape");
    if (attribute != null && !attribute.equals(Arrays.stream(shape).boxed().toList())) {
      throw new IllegalArgumentException(
          spec.network() + ": input layer '" + in.name() + "' has attribute 'shape' " + attribute
              + ", but output shape " + Arrays.toString(shape));
    }
    if (!Arrays.equals(shape, spec.inputShape())) {
      throw new IllegalArgumentException(
          spec.network() + ": input layer '" + in.name() + "' has shape " + Arrays.toString(shape)
              + ", but the network declares input shape " + Arrays.toString(spec.inputShape()));
    }
    return shape;
  }

  /** The activation predict applies after the output layer's logits, or null (mean squared error). */
  private static Activation head(LossKind loss) {
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> Activation.SOFTMAX;
      case BINARY_CROSS_ENTROPY -> Activation.SIGMOID;
      case MEAN_SQUARED_ERROR -> null;
    };
  }

  /**
   * The head {@code predict} applies to the output layer's logits, writing {@link
   * OnnxExport#OUTPUT}: elementwise sigmoid, or softmax over all outputs of a sample (of a vector
   * directly; of a larger tensor flattened, then reshaped back).
   */
  private void head(String layer, Activation head, Tensor logits) {
    String p = layer + "/";
    if (head == Activation.SIGMOID) {
      add(node("Sigmoid", p + "Sigmoid", OnnxExport.OUTPUT, logits.name()));
    } else if (logits.shape().length <= 2) {
      // A vector, or a sequence [steps, classes]: softmax per step, over the last axis.
      add(node("Softmax", p + "Softmax", OnnxExport.OUTPUT, logits.name()).addAttribute(intAttribute("axis", -1)));
    } else {
      int[] shape = logits.shape();
      long[] batchShape = new long[shape.length + 1];
      batchShape[0] = -1;
      for (int i = 0; i < shape.length; i++) {
        batchShape[i + 1] = shape[i];
      }
      graph.addInitializer(
          TensorProto.newBuilder().setName(p + "shape").setDataType(TensorProto.DataType.INT64_VALUE).addAllDims(List.of((long) batchShape.length))
              .addAllInt64Data(Arrays.stream(batchShape).boxed().toList()));
      add(node("Flatten", p + "Flatten", p + "flat_logits", logits.name()).addAttribute(intAttribute("axis", 1)));
      add(node("Softmax", p + "Softmax", p + "flat_probabilities", p + "flat_logits").addAttribute(intAttribute("axis", -1)));
      add(node("Reshape", p + "Reshape", OnnxExport.OUTPUT, p + "flat_probabilities", p + "shape"));
    }
  }

  /** The tensors layer {@code l} reads: the layers it names, or the one before it. */
  private static List<Tensor> reads(String net, LayerSpec l, Map<String, Tensor> byLayer, Tensor previous) {
    if (l.inputs().isEmpty()) {
      return List.of(previous);
    }
    List<Tensor> reads = new ArrayList<>();
    for (String from : l.inputs()) {
      Tensor t = byLayer.get(from);
      if (t == null) {
        throw new IllegalArgumentException(
            net + ": " + l.type() + " layer '" + l.name() + "' reads '" + from + "', which is not a layer before it");
      }
      reads.add(t);
    }
    return reads;
  }

  /** Adds a node. */
  void add(NodeProto.Builder node) {
    graph.addNode(node);
  }

  /**
   * Applies {@code act} to tensor {@code z} of per-sample rank {@code rank}, writing {@code
   * l.output()}; returns the name of the activated tensor ({@code z} itself for LINEAR, whose
   * producer already wrote {@code l.output()}).
   */
  String activation(ExportLayer l, Nonlinearity act, String z, int rank) {
    String out = l.output();
    switch (act.function()) {
      case LINEAR -> {
        return z;
      }
      case RELU -> add(node("Relu", l.part("Relu"), out, z));
      case LEAKY_RELU ->
          add(node("LeakyRelu", l.part("LeakyRelu"), out, z).addAttribute(floatAttribute("alpha", act.slope())));
      case SIGMOID -> add(node("Sigmoid", l.part("Sigmoid"), out, z));
      case TANH -> add(node("Tanh", l.part("Tanh"), out, z));
      case GELU -> gelu(l, z, out);
      case SOFTMAX -> {
        if (rank != 1) {
          throw l.error("applies SOFTMAX to a tensor of rank " + rank + "; SOFTMAX needs a vector");
        }
        add(node("Softmax", l.part("Softmax"), out, z).addAttribute(intAttribute("axis", -1)));
      }
    }
    return out;
  }

  /** Exact GELU as Kiln computes it: 0.5·z·(1 + erf(z/√2)); opset 17 has Erf but no Gelu op. */
  private void gelu(ExportLayer l, String z, String out) {
    if (!geluConstants) {
      graph.addInitializer(scalar(GELU_INV_SQRT2, (float) (1.0 / Math.sqrt(2.0))));
      graph.addInitializer(scalar(GELU_ONE, 1f));
      graph.addInitializer(scalar(GELU_HALF, 0.5f));
      geluConstants = true;
    }
    String p = l.part("gelu_");
    add(node("Mul", p + "scale", p + "scale", z, GELU_INV_SQRT2));
    add(node("Erf", p + "erf", p + "erf", p + "scale"));
    add(node("Add", p + "one_plus", p + "one_plus", p + "erf", GELU_ONE));
    add(node("Mul", p + "times_z", p + "times_z", z, p + "one_plus"));
    add(node("Mul", p + "half", out, p + "times_z", GELU_HALF));
  }

  /** A node of type {@code op} reading {@code inputs} and writing {@code output}. */
  static NodeProto.Builder node(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String in : inputs) {
      n.addInput(in);
    }
    return n;
  }

  static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto intsAttribute(String name, int... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (int v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto stringAttribute(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  static AttributeProto stringsAttribute(String name, String... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS);
    for (String v : values) {
      a.addStrings(ByteString.copyFromUtf8(v));
    }
    return a.build();
  }

  static AttributeProto floatAttribute(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  /** Adds a float initializer holding the parameter's slice of the arena (little-endian raw data); returns {@code p}. */
  ParamSpec initializer(ParamSpec p) {
    ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(p.length(), Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(parameters, p.offset(), p.length());
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(p.name())
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(bytes.array()));
    for (int d : p.shape()) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return p;
  }

  /** Adds a float initializer {@code name} of shape {@code dims} holding {@code values} (derived weights); returns its name. */
  String initializer(String name, int[] dims, float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .setRawData(ByteString.copyFrom(bytes.array()));
    for (int d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    return name;
  }

  /** Adds an int64 initializer {@code name} of shape {@code [values.length]} (a shape for Reshape); returns its name. */
  String int64Initializer(String name, long... values) {
    graph.addInitializer(int64Tensor(name, new long[] {values.length}, values));
    return name;
  }

  /** The parameter arena's floats of {@code p}. */
  float[] values(ParamSpec p) {
    return Arrays.copyOfRange(parameters, p.offset(), p.offset() + p.length());
  }

  private static TensorProto int64Tensor(String name, long[] dims, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
    for (long d : dims) {
      t.addDims(d);
    }
    for (long v : values) {
      t.addInt64Data(v);
    }
    return t.build();
  }

  /** An int32 scalar. */
  private static TensorProto int32Tensor(String name, int value) {
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT32_VALUE).addInt32Data(value).build();
  }

  private static TensorProto scalar(String name, float value) {
    ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(bytes.array()))
        .build();
  }

  /** A tensor [batch, ...shape] of element type {@code elemType} with a symbolic batch dimension. */
  private static ValueInfoProto tensorInfo(Tensor t, int elemType) {
    TensorShapeProto.Builder shape =
        TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(OnnxExport.BATCH_DIM));
    for (int d : t.shape()) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    TypeProto type =
        TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))
            .build();
    return ValueInfoProto.newBuilder().setName(t.name()).setType(type).build();
  }

  private static String describe(List<LayerSpec> specs) {
    return specs.stream().map(l -> l.name() + ":" + l.type()).toList().toString();
  }
}
