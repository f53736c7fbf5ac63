package dev.kiln.onnx;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ParamSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One layer as its op's exporter sees it: the spec, the ONNX tensors it reads with their per-sample
 * shapes (batch excluded), the tensor its last node must write, and typed access to its attributes
 * and parameter tensors. Every check fails with an {@link IllegalArgumentException} naming the
 * network, the layer and the problem.
 */
final class ExportLayer {
  /** An activation function with the negative slope of LEAKY_RELU (0 for the others). */
  record Nonlinearity(Activation function, float slope) {
    static final Nonlinearity LINEAR = new Nonlinearity(Activation.LINEAR, 0f);
  }

  /** A tensor of the graph with its per-sample shape. */
  record Tensor(String name, int[] shape) {
    Tensor {
      shape = shape.clone();
    }

    @Override
    public int[] shape() {
      return shape.clone();
    }
  }

  private final String network;
  private final LayerSpec spec;
  private final List<Tensor> inputs;
  private final String output;
  private final LossKind outputLoss;
  private final LayerSpec maskSource;

  /**
   * @param network the network's name, for messages
   * @param spec the layer
   * @param inputs the tensors it reads, in order
   * @param output the name its last node writes
   * @param outputLoss the network's loss if this is its output layer, else null
   * @param maskSource the Embedding whose padding ids end the sequences this layer reads, or null
   */
  ExportLayer(
      String network, LayerSpec spec, List<Tensor> inputs, String output, LossKind outputLoss, LayerSpec maskSource) {
    this.network = network;
    this.spec = spec;
    this.inputs = List.copyOf(inputs);
    this.output = output;
    this.outputLoss = outputLoss;
    this.maskSource = maskSource;
  }

  /**
   * The Embedding whose padding ids end the sequences this layer reads (as the compiler's recurrent
   * layers find it), or null when every step is real.
   */
  LayerSpec maskSource() {
    return maskSource;
  }

  String name() {
    return spec.name();
  }

  /** The name of the tensor this layer's last node writes. */
  String output() {
    return output;
  }

  /** A name for one of this layer's intermediate tensors or nodes: {@code <layer>/<part>}. */
  String part(String part) {
    return spec.name() + "/" + part;
  }

  /** The per-sample output shape the spec declares. */
  int[] outputShape() {
    return spec.outputShape();
  }

  List<Tensor> inputs() {
    return inputs;
  }

  /** The only input. */
  Tensor input() {
    if (inputs.size() != 1) {
      throw error("reads " + inputs.size() + " tensors; it takes exactly one");
    }
    return inputs.getFirst();
  }

  /** The only input, checked to have rank {@code rank} (1: a vector, 2: a sequence [steps, features], 3: an image [C, H, W]). */
  Tensor input(int rank) {
    Tensor in = input();
    if (in.shape().length != rank) {
      throw error(
          "reads a tensor of shape " + Arrays.toString(in.shape()) + " but needs "
              + switch (rank) {
                case 1 -> "a vector [features] (put a Flatten before it)";
                case 2 -> "a sequence [steps, features]";
                case 3 -> "rank 3 [channels, height, width]";
                default -> "rank " + rank;
              });
    }
    return in;
  }

  /** Whether the layer has the attribute {@code key}. */
  boolean hasAttribute(String key) {
    return spec.attributes().containsKey(key);
  }

  /** A String attribute. */
  String string(String key) {
    return attribute(key, String.class, "a String");
  }

  /** Checks that the spec declares {@code shape} as the output shape, which the op computed. */
  void requireOutputShape(int... shape) {
    if (!Arrays.equals(spec.outputShape(), shape)) {
      throw error(
          "declares output shape " + Arrays.toString(spec.outputShape()) + ", but its inputs and attributes give "
              + Arrays.toString(shape));
    }
  }

  /** The declared output width of a layer whose output is a vector. */
  int declaredWidth() {
    int[] shape = spec.outputShape();
    if (shape.length != 1) {
      throw error("declares output shape " + Arrays.toString(shape) + ", but its output is a vector");
    }
    return shape[0];
  }

  /** Whether the layer carries typed attributes (layers described before them have only the detail text). */
  boolean typed() {
    return !spec.attributes().isEmpty();
  }

  /** The display detail, for layers described without typed attributes. */
  String detail() {
    return spec.detail();
  }

  /** An Integer attribute, checked to be at least {@code min}. */
  int integer(String key, int min) {
    int v = attribute(key, Integer.class, "an Integer");
    if (v < min) {
      throw error("attribute '" + key + "' should be at least " + min + ", got " + v);
    }
    return v;
  }

  double number(String key) {
    return attribute(key, Double.class, "a Double");
  }

  boolean flag(String key) {
    return attribute(key, Boolean.class, "a Boolean");
  }

  /** A List&lt;Integer&gt; attribute of exactly {@code length} values, each at least {@code min}. */
  int[] integers(String key, int length, int min) {
    List<?> list = attribute(key, List.class, "a List<Integer> of " + length);
    if (list.size() != length || !list.stream().allMatch(Integer.class::isInstance)) {
      throw error("attribute '" + key + "' should be a List<Integer> of " + length + ", got " + list);
    }
    int[] values = list.stream().mapToInt(v -> (Integer) v).toArray();
    if (Arrays.stream(values).anyMatch(v -> v < min)) {
      throw error("attribute '" + key + "' should hold values of at least " + min + ", got " + list);
    }
    return values;
  }

  /**
   * The activation this layer applies: the typed {@code activation} and {@code negativeSlope}, or,
   * without typed attributes, the detail text ({@code RELU}, {@code LEAKY_RELU(0.1)}); LINEAR on the
   * output layer of a classification network, whose head the graph applies after it.
   */
  Nonlinearity activation() {
    Nonlinearity declared = typed() ? typedActivation() : detailActivation();
    return outputLoss == null ? declared : head(declared);
  }

  /**
   * The activation on the network's output layer: for classification losses the layer computes
   * logits (the declared activation must be the loss's head or LINEAR) and the head is applied after
   * it, to the whole output, as {@code predict} does.
   */
  private Nonlinearity head(Nonlinearity declared) {
    return switch (outputLoss) {
      case SOFTMAX_CROSS_ENTROPY -> logits(declared, Activation.SOFTMAX);
      case BINARY_CROSS_ENTROPY -> logits(declared, Activation.SIGMOID);
      case MEAN_SQUARED_ERROR -> {
        if (declared.function() == Activation.SOFTMAX) {
          throw error("is the output layer and uses SOFTMAX with " + outputLoss + ", which Kiln does not compile");
        }
        yield declared;
      }
    };
  }

  private Nonlinearity logits(Nonlinearity declared, Activation head) {
    if (declared.function() != head && declared.function() != Activation.LINEAR) {
      throw error(
          "is the output layer and uses " + declared.function() + " with " + outputLoss + "; Kiln allows only "
              + head + " or LINEAR there");
    }
    return Nonlinearity.LINEAR;
  }

  private Nonlinearity typedActivation() {
    String name = attribute("activation", String.class, "a String");
    Activation function = activationNamed(name);
    float slope = function == Activation.LEAKY_RELU ? (float) number("negativeSlope") : 0f;
    return new Nonlinearity(function, slope);
  }

  private Nonlinearity detailActivation() {
    String detail = spec.detail();
    if (detail.startsWith("LEAKY_RELU(") && detail.endsWith(")")) {
      try {
        return new Nonlinearity(
            Activation.LEAKY_RELU,
            Float.parseFloat(detail.substring("LEAKY_RELU(".length(), detail.length() - 1)));
      } catch (NumberFormatException e) {
        throw unknownActivation(detail);
      }
    }
    Activation function = activationNamed(detail);
    if (function == Activation.LEAKY_RELU) {
      throw unknownActivation(detail);
    }
    return new Nonlinearity(function, 0f);
  }

  private Activation activationNamed(String name) {
    try {
      return Activation.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw unknownActivation(name);
    }
  }

  private IllegalArgumentException unknownActivation(String text) {
    return error(
        "has activation '" + text + "', which the ONNX exporter does not know (expected one of "
            + Arrays.toString(Activation.values()) + (typed() ? "" : ", LEAKY_RELU as LEAKY_RELU(slope)") + ")");
  }

  /** Whether the layer has the parameter tensor {@code <layer>.<suffix>}. */
  boolean hasParam(String suffix) {
    String name = spec.name() + "." + suffix;
    return spec.params().stream().anyMatch(p -> p.name().equals(name));
  }

  /** The parameter tensor {@code <layer>.<suffix>}, checked to have {@code shape}. */
  ParamSpec param(String suffix, int... shape) {
    String name = spec.name() + "." + suffix;
    ParamSpec p =
        spec.params().stream()
            .filter(t -> t.name().equals(name))
            .findFirst()
            .orElseThrow(
                () -> error("has no parameter tensor " + name + " " + Arrays.toString(shape) + " (it has " + paramNames() + ")"));
    if (!Arrays.equals(p.shape(), shape)) {
      throw error("should have parameter " + name + " " + Arrays.toString(shape) + ", got " + Arrays.toString(p.shape()));
    }
    return p;
  }

  /** Checks that the layer has no parameter tensors other than {@code <layer>.<suffix>} for these suffixes. */
  void requireOnlyParams(String... suffixes) {
    Set<String> allowed = Arrays.stream(suffixes).map(s -> spec.name() + "." + s).collect(Collectors.toSet());
    List<String> extra = paramNames().stream().filter(n -> !allowed.contains(n)).toList();
    if (!extra.isEmpty()) {
      throw error("has parameter tensors " + extra + " the ONNX exporter does not know");
    }
  }

  private List<String> paramNames() {
    return spec.params().stream().map(ParamSpec::name).toList();
  }

  private <T> T attribute(String key, Class<T> type, String expected) {
    Object v = spec.attributes().get(key);
    if (v == null) {
      throw error("has no attribute '" + key + "' (it has " + spec.attributes().keySet().stream().sorted().toList() + ")");
    }
    if (!type.isInstance(v)) {
      throw error("attribute '" + key + "' should be " + expected + ", got " + v.getClass().getSimpleName() + " " + v);
    }
    return type.cast(v);
  }

  /** An error naming the network, the layer and its type, followed by {@code problem}. */
  IllegalArgumentException error(String problem) {
    return new IllegalArgumentException(network + ": " + spec.type() + " layer '" + spec.name() + "' " + problem);
  }
}
