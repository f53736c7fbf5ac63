package dev.kiln.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.kiln.runtime.model.ParamSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Emits the ONNX graph of {@link InferenceLayers}: per dense layer a {@code Gemm} (or a
 * {@code MatMul} without bias) followed by its activation; the last node writes {@link
 * OnnxExport#OUTPUT}. Intermediate tensors are named {@code <layer>/<op>}, which cannot clash with
 * the graph's {@code input} and {@code output} nor with the initializers, named after Kiln's
 * parameter tensors ({@code <layer>.kernel}, {@code <layer>.bias}).
 */
final class OnnxGraphBuilder {
  /** Shared scalar constants of the GELU decomposition (their names end in neither .kernel nor .bias). */
  private static final String GELU_INV_SQRT2 = "kiln.gelu.inv_sqrt2";
  private static final String GELU_ONE = "kiln.gelu.one";
  private static final String GELU_HALF = "kiln.gelu.half";

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final float[] parameters;
  private boolean geluConstants;

  private OnnxGraphBuilder(float[] parameters) {
    this.parameters = parameters;
  }

  /** The graph named {@code name} computing {@code net} with weights from {@code parameters}. */
  static GraphProto build(String name, String doc, InferenceLayers net, float[] parameters) {
    return new OnnxGraphBuilder(parameters).graph(name, doc, net);
  }

  private GraphProto graph(String name, String doc, InferenceLayers net) {
    graph.setName(name).setDocString(doc);
    graph.addInput(floatMatrix(OnnxExport.INPUT, net.inputs()));
    String current = OnnxExport.INPUT;
    for (int i = 0; i < net.layers().size(); i++) {
      InferenceLayers.Dense d = net.layers().get(i);
      boolean last = i == net.layers().size() - 1;
      current = dense(d, current, last);
    }
    graph.addOutput(floatMatrix(OnnxExport.OUTPUT, net.layers().getLast().units()));
    return graph.build();
  }

  /** Adds the nodes of one layer reading {@code input}; returns the name of its output tensor. */
  private String dense(InferenceLayers.Dense d, String input, boolean last) {
    addInitializer(d.kernel());
    boolean hasActivation = d.activation() != dev.kiln.runtime.kernels.Activation.LINEAR;
    String linear = last && !hasActivation ? OnnxExport.OUTPUT : d.name() + "/linear";
    if (d.bias() != null) {
      addInitializer(d.bias());
      // Gemm: Y = A·B + C with C [units] broadcast over the batch.
      node("Gemm", d.name() + "/Gemm", linear, input, d.kernel().name(), d.bias().name());
    } else {
      node("MatMul", d.name() + "/MatMul", linear, input, d.kernel().name());
    }
    if (!hasActivation) {
      return linear;
    }
    String out = last ? OnnxExport.OUTPUT : d.name() + "/out";
    switch (d.activation()) {
      case RELU -> node("Relu", d.name() + "/Relu", out, linear);
      case LEAKY_RELU ->
          graph.addNode(
              nodeBuilder("LeakyRelu", d.name() + "/LeakyRelu", out, linear)
                  .addAttribute(
                      AttributeProto.newBuilder()
                          .setName("alpha")
                          .setType(AttributeProto.AttributeType.FLOAT)
                          .setF(d.alpha())));
      case SIGMOID -> node("Sigmoid", d.name() + "/Sigmoid", out, linear);
      case TANH -> node("Tanh", d.name() + "/Tanh", out, linear);
      case GELU -> gelu(d.name(), linear, out);
      case SOFTMAX ->
          graph.addNode(
              nodeBuilder("Softmax", d.name() + "/Softmax", out, linear)
                  .addAttribute(
                      AttributeProto.newBuilder()
                          .setName("axis")
                          .setType(AttributeProto.AttributeType.INT)
                          .setI(-1)));
      case LINEAR -> throw new IllegalStateException("unreachable");
    }
    return out;
  }

  /** Exact GELU as Kiln computes it: 0.5·z·(1 + erf(z/√2)); opset 17 has Erf but no Gelu op. */
  private void gelu(String layer, String z, String out) {
    if (!geluConstants) {
      graph.addInitializer(scalar(GELU_INV_SQRT2, (float) (1.0 / Math.sqrt(2.0))));
      graph.addInitializer(scalar(GELU_ONE, 1f));
      graph.addInitializer(scalar(GELU_HALF, 0.5f));
      geluConstants = true;
    }
    String p = layer + "/gelu_";
    node("Mul", p + "scale", p + "scale", z, GELU_INV_SQRT2);
    node("Erf", p + "erf", p + "erf", p + "scale");
    node("Add", p + "one_plus", p + "one_plus", p + "erf", GELU_ONE);
    node("Mul", p + "times_z", p + "times_z", z, p + "one_plus");
    node("Mul", p + "half", out, p + "times_z", GELU_HALF);
  }

  private void node(String op, String name, String output, String... inputs) {
    graph.addNode(nodeBuilder(op, name, output, inputs));
  }

  private static NodeProto.Builder nodeBuilder(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String in : inputs) {
      n.addInput(in);
    }
    return n;
  }

  /** A float initializer holding the parameter's slice of the arena, little-endian raw data. */
  private void addInitializer(ParamSpec p) {
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
  }

  private static TensorProto scalar(String name, float value) {
    ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(bytes.array()))
        .build();
  }

  /** A float tensor [batch, cols] with a symbolic batch dimension. */
  private static ValueInfoProto floatMatrix(String name, int cols) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(OnnxExport.BATCH_DIM))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(cols))
            .build();
    TypeProto type =
        TypeProto.newBuilder()
            .setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))
            .build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }
}
