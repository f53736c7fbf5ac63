package dev.kiln.onnx;

import static dev.kiln.onnx.OnnxGraphBuilder.floatAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.intAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.intsAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.node;
import static dev.kiln.onnx.OnnxGraphBuilder.stringAttribute;
import static dev.kiln.onnx.OnnxGraphBuilder.stringsAttribute;

import ai.onnx.proto.OnnxMl.NodeProto;
import dev.kiln.onnx.ExportLayer.Nonlinearity;
import dev.kiln.onnx.ExportLayer.Tensor;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.model.LayerSpec;
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
          Map.entry("Dropout", OnnxOps::dropout),
          Map.entry("Embedding", OnnxOps::embedding),
          Map.entry("SimpleRNN", (l, g) -> recurrent(l, g, Cell.RNN)),
          Map.entry("LSTM", (l, g) -> recurrent(l, g, Cell.LSTM)),
          Map.entry("GRU", (l, g) -> recurrent(l, g, Cell.GRU)));

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
   * {@code MatMul}, then the activation. On a sequence {@code [steps, in]} the layer acts on every
   * step alike: {@code MatMul} over the last axis, then {@code Add} of the bias. Without typed
   * attributes (vectors only): units from the output shape, bias when the tensor exists, the
   * activation from the detail text.
   */
  static String dense(ExportLayer l, OnnxGraphBuilder g) {
    boolean sequence = l.typed() && l.input().shape().length == 2;
    Tensor in = sequence ? l.input(2) : l.input(1);
    int[] x = in.shape();
    int units = l.typed() ? l.integer("units", 1) : l.declaredWidth();
    boolean useBias = l.typed() ? l.flag("useBias") : l.hasParam("bias");
    Nonlinearity act = l.activation();
    if (sequence) {
      l.requireOutputShape(x[0], units);
    } else {
      l.requireOutputShape(units);
    }
    l.requireOnlyParams(useBias ? new String[] {"kernel", "bias"} : new String[] {"kernel"});
    ParamSpec kernel = g.initializer(l.param("kernel", x[x.length - 1], units));
    String linear = act.function() == Activation.LINEAR ? l.output() : l.part("linear");
    if (useBias && !sequence) {
      ParamSpec bias = g.initializer(l.param("bias", units));
      // Gemm: Y = A·B + C with C [units] broadcast over the batch.
      g.add(node("Gemm", l.part("Gemm"), linear, in.name(), kernel.name(), bias.name()));
    } else if (useBias) {
      ParamSpec bias = g.initializer(l.param("bias", units));
      // MatMul multiplies the last two axes, batched over the first: [batch, steps, in] · [in, units].
      g.add(node("MatMul", l.part("MatMul"), l.part("product"), in.name(), kernel.name()));
      g.add(node("Add", l.part("Add"), linear, l.part("product"), bias.name()));
    } else {
      g.add(node("MatMul", l.part("MatMul"), linear, in.name(), kernel.name()));
    }
    return g.activation(l, act, linear, x.length);
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
   * {@code out[steps, dim]}: row {@code ids[t]} of {@code weight [vocabulary, dim]} at every step
   * ({@code Gather} on axis 0 of the weight, reading the int64 token ids of the graph input).
   */
  static String embedding(ExportLayer l, OnnxGraphBuilder g) {
    Tensor in = l.input(1);
    int vocabulary = l.integer("vocabulary", 1);
    int dim = l.integer("dim", 1);
    int padding = l.integer("paddingIndex", -1);
    if (padding >= vocabulary) {
      throw l.error("attribute 'paddingIndex' " + padding + " lies outside the vocabulary [0, " + vocabulary + ")");
    }
    l.requireOutputShape(in.shape()[0], dim);
    l.requireOnlyParams("weight");
    ParamSpec weight = g.initializer(l.param("weight", vocabulary, dim));
    g.add(node("Gather", l.part("Gather"), l.output(), weight.name(), in.name()).addAttribute(intAttribute("axis", 0)));
    return l.output();
  }

  /**
   * A recurrent cell as ONNX names it: its op, its gates per unit, and for each of ONNX's gate blocks
   * the index of Kiln's (PyTorch's) block holding it. LSTM: ONNX i, o, f, c from PyTorch i, f, g, o;
   * GRU: ONNX z, r, h from PyTorch r, z, n (with {@code linear_before_reset = 1}, PyTorch's GRU).
   */
  enum Cell {
    RNN("RNN", 0),
    LSTM("LSTM", 0, 3, 1, 2),
    GRU("GRU", 1, 0, 2);

    final String op;
    final int[] blocks;

    Cell(String op, int... blocks) {
      this.op = op;
      this.blocks = blocks;
    }

    int gates() {
      return blocks.length;
    }
  }

  /**
   * SimpleRNN, LSTM and GRU over a sequence {@code [steps, features]}: ONNX's {@code RNN}, {@code
   * LSTM} or {@code GRU} (direction forward or bidirectional) on the sequence transposed to ONNX's
   * {@code [steps, batch, features]}, with weights {@code <layer>.W [dirs, G·units, features]},
   * {@code <layer>.R [dirs, G·units, units]} and {@code <layer>.B [dirs, 2·G·units]} (Kiln's {@code
   * weight_ih}, {@code weight_hh}, {@code bias_ih} and {@code bias_hh}, gate blocks in ONNX's order).
   * Sequences ended by an Embedding's padding id get {@code sequence_lens} computed from the token
   * ids, so padded steps give zeros and the last state is that of the last real step, as in Kiln.
   * Output: {@code Y [steps, dirs, batch, units]} transposed and reshaped to {@code [batch, steps,
   * dirs·units]} (forward half first), or the last state {@code Y_h [dirs, batch, units]} to {@code
   * [batch, dirs·units]}.
   */
  static String recurrent(ExportLayer l, OnnxGraphBuilder g, Cell cell) {
    if (l.hasAttribute("stateful") && l.flag("stateful")) {
      // An ONNX graph is a function of its inputs: a carried state would have to become graph inputs
      // and outputs that every caller threads through, which no ONNX consumer expects of this model.
      throw l.error("is stateful (it carries its state from one batch to the next), which ONNX export does not"
          + " support; export a copy declared without stateful = true (same weights: load() them into it), whose"
          + " every call starts from zero states");
    }
    Tensor in = l.input(2);
    int steps = in.shape()[0];
    int features = in.shape()[1];
    int units = l.integer("units", 1);
    boolean sequences = l.flag("returnSequences");
    boolean bidirectional = l.flag("bidirectional");
    int dirs = bidirectional ? 2 : 1;
    String activation = null;
    if (cell == Cell.RNN) {
      String declared = l.string("activation");
      activation =
          switch (declared) {
            case "TANH" -> "Tanh";
            case "RELU" -> "Relu";
            default -> throw l.error("has activation '" + declared + "'; a SimpleRNN uses TANH or RELU");
          };
    } else if (l.hasAttribute("activation")) {
      throw l.error("has attribute 'activation', which " + cell.op + " layers do not have");
    }
    if (sequences) {
      l.requireOutputShape(steps, dirs * units);
    } else {
      l.requireOutputShape(dirs * units);
    }
    int gh = cell.gates() * units;
    List<String> names = new ArrayList<>();
    for (int d = 0; d < dirs; d++) {
      String s = d == 0 ? "" : "_reverse";
      names.addAll(List.of("weight_ih" + s, "weight_hh" + s, "bias_ih" + s, "bias_hh" + s));
    }
    l.requireOnlyParams(names.toArray(String[]::new));
    float[] w = new float[dirs * gh * features];
    float[] r = new float[dirs * gh * units];
    float[] b = new float[dirs * 2 * gh];
    for (int d = 0; d < dirs; d++) {
      String s = d == 0 ? "" : "_reverse";
      reorder(cell, units, features, g.values(l.param("weight_ih" + s, gh, features)), w, d * gh * features);
      reorder(cell, units, units, g.values(l.param("weight_hh" + s, gh, units)), r, d * gh * units);
      reorder(cell, units, 1, g.values(l.param("bias_ih" + s, gh)), b, d * 2 * gh);
      reorder(cell, units, 1, g.values(l.param("bias_hh" + s, gh)), b, d * 2 * gh + gh);
    }
    String wName = g.initializer(l.name() + ".W", new int[] {dirs, gh, features}, w);
    String rName = g.initializer(l.name() + ".R", new int[] {dirs, gh, units}, r);
    String bName = g.initializer(l.name() + ".B", new int[] {dirs, 2 * gh}, b);

    String x = l.part("time_major");
    g.add(node("Transpose", l.part("TransposeIn"), x, in.name()).addAttribute(intsAttribute("perm", 1, 0, 2)));
    List<String> inputs = new ArrayList<>(List.of(x, wName, rName, bName));
    LayerSpec mask = l.maskSource();
    if (mask != null) {
      inputs.add(g.sequenceLengths(mask));
    }
    String y = l.part(sequences ? "Y" : "Y_h");
    NodeProto.Builder rnn =
        node(cell.op, l.part(cell.op), sequences ? y : "", inputs.toArray(String[]::new))
            .addAttribute(intAttribute("hidden_size", units))
            .addAttribute(stringAttribute("direction", bidirectional ? "bidirectional" : "forward"));
    if (!sequences) {
      rnn.addOutput(y);
    }
    if (cell == Cell.RNN) {
      rnn.addAttribute(stringsAttribute("activations", bidirectional ? new String[] {activation, activation} : new String[] {activation}));
    } else if (cell == Cell.GRU) {
      rnn.addAttribute(intAttribute("linear_before_reset", 1));
    }
    g.add(rnn);
    String batchMajor = l.part("batch_major");
    if (sequences) {
      // [steps, dirs, batch, units] -> [batch, steps, dirs, units] -> [batch, steps, dirs·units]
      g.add(node("Transpose", l.part("TransposeOut"), batchMajor, y).addAttribute(intsAttribute("perm", 2, 0, 1, 3)));
      g.add(node("Reshape", l.part("Reshape"), l.output(), batchMajor, g.int64Initializer(l.part("shape"), 0, steps, dirs * units)));
    } else {
      // [dirs, batch, units] -> [batch, dirs, units] -> [batch, dirs·units]
      g.add(node("Transpose", l.part("TransposeOut"), batchMajor, y).addAttribute(intsAttribute("perm", 1, 0, 2)));
      g.add(node("Reshape", l.part("Reshape"), l.output(), batchMajor, g.int64Initializer(l.part("shape"), 0, dirs * units)));
    }
    return l.output();
  }

  /**
   * Copies {@code src}, gate blocks of {@code units} rows of {@code cols} in Kiln's order, into
   * {@code dst} from {@code offset} in ONNX's order.
   */
  private static void reorder(Cell cell, int units, int cols, float[] src, float[] dst, int offset) {
    int block = units * cols;
    for (int k = 0; k < cell.gates(); k++) {
      System.arraycopy(src, cell.blocks[k] * block, dst, offset + k * block, block);
    }
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
