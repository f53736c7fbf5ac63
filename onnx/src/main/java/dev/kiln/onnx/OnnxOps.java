package dev.kiln.onnx;

import static dev.kiln.onnx.OnnxGraphBuilder.floatAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.intAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.intsAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.node;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.kiln.onnx.ExportLayer.Nonlinearity;
import dev.kiln.onnx.ExportLayer.Tensor;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.model.ParamSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The ONNX nodes of each layer kind, one method per kind, read from the layer's typed attributes
 * (keys as the processor's op classes document them) and its parameter tensors. Each method checks
 * what it reads, recomputes the output shape and compares it with the spec's, and returns the name of
 * the layer's output tensor: {@link ExportLayer#output()}, or its input for the identity at inference
 * (Dropout). Shapes below are per sample; every ONNX tensor has the batch as its first dimension.
 */
final class OnnxOps {
  /** Adds the nodes of one layer to {@code graph}; returns the name of the layer's output tensor. */
  @FunctionalInterface
  interface Exporter {
    String export(ExportLayer layer, OnnxGraphBuilder graph);
  }

  private static final Map<String, Exporter> OPS =
      Map.ofEntries(
          Map.entry("Dense", OnnxOps::dense),
          Map.entry("Conv2D", OnnxOps::conv2d),
          Map.entry("MaxPool2D", OnnxOps::maxPool2d),
          Map.entry("AvgPool2D", OnnxOps::avgPool2d),
          Map.entry("GlobalAveragePool2D", OnnxOps::globalAveragePool2d),
          Map.entry("Flatten", OnnxOps::flatten),
          Map.entry("BatchNorm", OnnxOps::batchNorm),
          Map.entry("Activate", OnnxOps::activate),
          Map.entry("Add", OnnxOps::add),
          Map.entry("Concat", OnnxOps::concat),
          Map.entry("Dropout", OnnxOps::dropout));

  private OnnxOps() {}

  /** The exporter of layer type {@code type}, if there is one. */
  static Optional<Exporter> of(String type) {
    return Optional.ofNullable(OPS.get(type));
  }

  /** The layer types the exporter knows, sorted, the Input included. */
  static String supported() {
    TreeSet<String> names = new TreeSet<>(OPS.keySet());
    names.add("Input");
    return String.join(", ", names);
  }

  /**
   * {@code out[units] = act(in[in] · kernel[in, units] + bias[units])}: {@code Gemm} (with bias) or
   * {@code MatMul}, then the activation. Without typed attributes: units from the output shape,
   * bias when the tensor exists, the activation from the detail text.
   */
  static String dense(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input(1);
    int units = l.typed() ? l.integer("units", 1) : l.declaredWidth();
    boolean useBias = l.typed() ? l.flag("useBias") : l.hasParam("bias");
    Nonlinearity act = l.activation();
    l.requireOutputShape(units);
    l.requireOnlyParams(useBias ? new String[] {"kernel", "bias"} : new String[] {"kernel"});
    ParamSpec kernel = g.initializer(l.param("kernel", in.shape()[0], units));
    String linear = act.function() == Activation.LINEAR ? l.output() : l.part("linear");
    if (useBias) {
      ParamSpec bias = g.initializer(l.param("bias", units));
      // Gemm: Y = A·B + C with C [units] broadcast over the batch.
      g.add(node("Gemm", l.part("Gemm"), linear, in.name(), kernel.name(), bias.name()));
    } else {
      g.add(node("MatMul", l.part("MatMul"), linear, in.name(), kernel.name()));
    }
    return g.activation(l, act, linear, 1);
  }

  /**
   * {@code out[filters, H', W'] = act(conv(in[C, H, W], kernel[filters, C / groups, kH, kW]) + bias)}
   * (cross-correlation, PyTorch's and ONNX's semantics and kernel layout), then the activation.
   */
  static String conv2d(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input(3);
    int[] x = in.shape();
    int filters = l.integer("filters", 1);
    int[] kernel = l.integers("kernel", 2, 1);
    int[] stride = l.integers("stride", 2, 1);
    int[] pad = l.integers("pad", 4, 0);
    int[] dilation = l.integers("dilation", 2, 1);
    int groups = l.integer("groups", 1);
    boolean useBias = l.flag("useBias");
    Nonlinearity act = l.activation();
    if (x[0] % groups != 0 || filters % groups != 0) {
      throw l.error("has " + groups + " groups, which must divide its " + x[0] + " input channels and " + filters + " filters");
    }
    l.requireOutputShape(
        filters,
        window(l, "height", x[1], kernel[0], stride[0], pad[0] + pad[2], dilation[0]),
        window(l, "width", x[2], kernel[1], stride[1], pad[1] + pad[3], dilation[1]));
    l.requireOnlyParams(useBias ? new String[] {"kernel", "bias"} : new String[] {"kernel"});
    ParamSpec weights = g.initializer(l.param("kernel", filters, x[0] / groups, kernel[0], kernel[1]));
    List<String> inputs = new ArrayList<>(List.of(in.name(), weights.name()));
    if (useBias) {
      inputs.add(g.initializer(l.param("bias", filters)).name());
    }
    String conv = act.function() == Activation.LINEAR ? l.output() : l.part("conv");
    g.add(
        node("Conv", l.part("Conv"), conv, inputs.toArray(String[]::new))
            .addAttribute(intsAttribute("kernel_shape", kernel))
            .addAttribute(intsAttribute("strides", stride))
            // ONNX orders pads as [begin of each axis..., end of each axis...]: [top, left, bottom, right].
            .addAttribute(intsAttribute("pads", pad))
            .addAttribute(intsAttribute("dilations", dilation))
            .addAttribute(intAttribute("group", groups)));
    return g.activation(l, act, conv, 3);
  }

  /** {@code out[C, H', W']}: the maximum of each window; padding never wins ({@code MaxPool}). */
  static String maxPool2d(ExportLayer l, OnnxGraphBuilder g) {
    return pool(l, g, node("MaxPool", l.part("MaxPool"), l.output(), l.input(3).name()));
  }

  /**
   * {@code out[C, H', W']}: the mean of each window with padded zeros counted ({@code AveragePool},
   * {@code count_include_pad = 1}, PyTorch's default).
   */
  static String avgPool2d(ExportLayer l, OnnxGraphBuilder g) {
    return pool(
        l, g,
        node("AveragePool", l.part("AveragePool"), l.output(), l.input(3).name())
            .addAttribute(intAttribute("count_include_pad", 1)));
  }

  private static String pool(ExportLayer l, OnnxGraphBuilder g, NodeProto.Builder node) {
    int[] x = l.input(3).shape();
    int[] size = l.integers("size", 2, 1);
    int[] stride = l.integers("stride", 2, 1);
    int[] pad = l.integers("pad", 4, 0);
    l.requireOutputShape(
        x[0],
        window(l, "height", x[1], size[0], stride[0], pad[0] + pad[2], 1),
        window(l, "width", x[2], size[1], stride[1], pad[1] + pad[3], 1));
    l.requireOnlyParams();
    g.add(
        node.addAttribute(intsAttribute("kernel_shape", size))
            .addAttribute(intsAttribute("strides", stride))
            .addAttribute(intsAttribute("pads", pad))
            .addAttribute(intAttribute("ceil_mode", 0)));
    return l.output();
  }

  /** {@code out[C]}: the mean of each channel ({@code GlobalAveragePool} [C, 1, 1], then {@code Flatten}). */
  static String globalAveragePool2d(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input(3);
    l.requireOutputShape(in.shape()[0]);
    l.requireOnlyParams();
    g.add(node("GlobalAveragePool", l.part("GlobalAveragePool"), l.part("pooled"), in.name()));
    g.add(node("Flatten", l.part("Flatten"), l.output(), l.part("pooled")).addAttribute(intAttribute("axis", 1)));
    return l.output();
  }

  /** {@code out[C·H·W]}: the tensor in row-major order ({@code Flatten}, axis 1). */
  static String flatten(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input();
    l.requireOutputShape(Arrays.stream(in.shape()).reduce(1, Math::multiplyExact));
    l.requireOnlyParams();
    g.add(node("Flatten", l.part("Flatten"), l.output(), in.name()).addAttribute(intAttribute("axis", 1)));
    return l.output();
  }

  /**
   * Inference-mode batch normalization per channel (the first per-sample axis, of a vector [C] or an
   * image [C, H, W]) with the running statistics: {@code gamma·(x - mean)/√(var + epsilon) + beta}.
   */
  static String batchNorm(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input();
    int[] x = in.shape();
    if (x.length != 1 && x.length != 3) {
      throw l.error("reads a tensor of shape " + Arrays.toString(x) + " but needs a vector [C] or an image [C, H, W]");
    }
    double epsilon = l.number("epsilon");
    if (!(epsilon > 0)) {
      throw l.error("attribute 'epsilon' should be positive, got " + epsilon);
    }
    l.requireOutputShape(x);
    l.requireOnlyParams("gamma", "beta", "running_mean", "running_var");
    int c = x[0];
    g.add(
        node(
                "BatchNormalization", l.part("BatchNormalization"), l.output(), in.name(),
                g.initializer(l.param("gamma", c)).name(),
                g.initializer(l.param("beta", c)).name(),
                g.initializer(l.param("running_mean", c)).name(),
                g.initializer(l.param("running_var", c)).name())
            .addAttribute(floatAttribute("epsilon", (float) epsilon)));
    return l.output();
  }

  /** A standalone activation; SOFTMAX over the features of a vector. */
  static String activate(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input();
    Nonlinearity act = l.activation();
    l.requireOutputShape(in.shape());
    l.requireOnlyParams();
    if (act.function() == Activation.LINEAR) {
      g.add(node("Identity", l.part("Identity"), l.output(), in.name()));
      return l.output();
    }
    return g.activation(l, act, in.name(), in.shape().length);
  }

  /** The elementwise sum of two or more tensors of one shape (a chain of {@code Add}). */
  static String add(ExportLayer l, OnnxGraphBuilder g) {
    List<Tensor> in = l.inputs();
    if (in.size() < 2) {
      throw l.error("reads " + in.size() + " tensor; it adds two or more");
    }
    int[] shape = in.getFirst().shape();
    for (Tensor t : in) {
      if (!Arrays.equals(t.shape(), shape)) {
        throw l.error("adds tensors of different shapes " + in.stream().map(u -> Arrays.toString(u.shape())).toList());
      }
    }
    l.requireOutputShape(shape);
    l.requireOnlyParams();
    String sum = in.getFirst().name();
    for (int i = 1; i < in.size(); i++) {
      String out = i == in.size() - 1 ? l.output() : l.part("sum" + i);
      g.add(node("Add", l.part("Add" + i), out, sum, in.get(i).name()));
      sum = out;
    }
    return sum;
  }

  /** Two or more tensors joined along their first per-sample axis (channels, or features of vectors). */
  static String concat(ExportLayer l, OnnxGraphBuilder g) {
    List<Tensor> in = l.inputs();
    if (in.size() < 2) {
      throw l.error("reads " + in.size() + " tensor; it joins two or more");
    }
    int[] shape = in.getFirst().shape();
    int joined = 0;
    for (Tensor t : in) {
      int[] s = t.shape();
      if (s.length != shape.length || !Arrays.equals(s, 1, s.length, shape, 1, shape.length)) {
        throw l.error(
            "joins tensors whose shapes differ beyond the first axis "
                + in.stream().map(u -> Arrays.toString(u.shape())).toList());
      }
      joined += s[0];
    }
    shape[0] = joined;
    l.requireOutputShape(shape);
    l.requireOnlyParams();
    g.add(
        node("Concat", l.part("Concat"), l.output(), in.stream().map(Tensor::name).toArray(String[]::new))
            .addAttribute(intAttribute("axis", 1)));
    return l.output();
  }

  /** The identity: Kiln's dropout is inverted, so inference passes the input through unchanged. */
  static String dropout(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input();
    l.requireOutputShape(in.shape());
    l.requireOnlyParams();
    return in.name();
  }

  /**
   * Output length of a sliding window along one axis: {@code ⌊(n + pads - dilation·(k - 1) - 1) /
   * stride⌋ + 1}; the window must fit the padded input at least once.
   */
  private static int window(ExportLayer l, String axis, int n, int k, int stride, int pads, int dilation) {
    int span = dilation * (k - 1) + 1;
    if (n + pads < span) {
      throw l.error("has a window of " + span + " along the " + axis + ", larger than the padded input's " + (n + pads));
    }
    return (n + pads - span) / stride + 1;
  }
}
