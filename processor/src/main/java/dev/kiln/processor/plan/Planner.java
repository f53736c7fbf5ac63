package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Init;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Chooses fusion groups and lays out the arenas of a checked, shape-inferred graph.
 *
 * <p>Fusions: every dense layer absorbs its bias and activation (forward epilogue) and the
 * derivative of the previous layer's activation plus any dropout mask between them (backward
 * epilogue of the input-gradient matmul); the last layer's softmax/sigmoid is fused with the
 * cross-entropy loss, whose gradient is {@code p - y}. Gradient buffers are two ping-pong tensors,
 * since the gradient of layer {@code i} is dead once layer {@code i-1}'s is computed.
 */
public final class Planner {
  private final List<TensorSlot> tensors = new ArrayList<>();
  private final List<ParamSlot> params = new ArrayList<>();
  private int activationOffset;
  private int paramOffset;

  private Planner() {}

  public static Plan plan(Graph graph) {
    return new Planner().build(graph);
  }

  private Plan build(Graph graph) {
    Loss loss = graph.config().loss();
    Node inputNode = graph.input();
    TensorSlot current = tensor("INPUT", inputNode.shape().size(), "network input");
    DenseGroup.DropoutPart pendingDropout = null;
    int maxUnits = 0;
    for (Node n : graph.layers()) {
      if (n.attrs() instanceof OpAttrs.Dense d) {
        maxUnits = Math.max(maxUnits, d.units());
      }
    }
    // Gradients of consecutive layers ping-pong between two buffers of the widest layer.
    TensorSlot gradA = tensor("GRAD_A", maxUnits, "pre-activation gradient (layers 0, 2, ...)");
    TensorSlot gradB = tensor("GRAD_B", maxUnits, "pre-activation gradient (layers 1, 3, ...)");
    List<DenseGroup> groups = new ArrayList<>();
    for (Node node : graph.layers()) {
      switch (node.attrs()) {
        case OpAttrs.Dropout d -> {
          String base = constantName(node.name());
          pendingDropout =
              new DenseGroup.DropoutPart(
                  node,
                  d.rate(),
                  tensor(base + "_MASK", node.shape().size(), node.name() + " dropout mask (0 or 1/(1-rate))"),
                  tensor(base + "_OUT", node.shape().size(), node.name() + " output (training)"));
        }
        case OpAttrs.Dense d -> {
          boolean last = node == graph.output();
          String base = constantName(node.name());
          int in = node.input().shape().size();
          ParamSlot kernel =
              param(node.name() + ".kernel", base + "_KERNEL", new int[] {in, d.units()}, initializer(d), in, d.units());
          ParamSlot bias =
              d.useBias() ? param(node.name() + ".bias", base + "_BIAS", new int[] {d.units()}, "ZEROS", in, d.units()) : null;
          Activation head = null;
          Activation epilogue = d.activation();
          if (last && loss == Loss.SOFTMAX_CROSS_ENTROPY) {
            head = Activation.SOFTMAX;
            epilogue = Activation.LINEAR;
          } else if (last && loss == Loss.BINARY_CROSS_ENTROPY) {
            head = Activation.SIGMOID;
            epilogue = Activation.LINEAR;
          }
          TensorSlot out =
              tensor(base + (head != null ? "_LOGITS" : "_OUT"), d.units(),
                  node.name() + (head != null ? " logits" : " output (" + d.activation() + ")"));
          TensorSlot pre =
              epilogue == Activation.GELU
                  ? tensor(base + "_PRE", d.units(), node.name() + " pre-activation (GELU derivative needs it)")
                  : null;
          TensorSlot probs =
              head != null ? tensor(base + "_PROBS", d.units(), node.name() + " " + head + " probabilities") : null;
          groups.add(
              new DenseGroup(
                  node, in, d.units(), current, pendingDropout, kernel, bias, d.activation(),
                  d.activation() == Activation.LEAKY_RELU ? (float) d.negativeSlope() : 0f, epilogue, out, pre, head, probs,
                  groups.size() % 2 == 0 ? gradA : gradB));
          current = out;
          pendingDropout = null;
        }
        case OpAttrs.Input i -> throw new IllegalStateException("input inside the layer list");
      }
    }
    String architecture = architecture(graph);
    return new Plan(
        graph,
        List.copyOf(groups),
        List.copyOf(params),
        paramOffset,
        List.copyOf(tensors),
        activationOffset,
        architecture,
        sha256(architecture));
  }

  private TensorSlot tensor(String constant, int width, String description) {
    TensorSlot t = new TensorSlot(constant, width, activationOffset, description);
    activationOffset = Math.addExact(activationOffset, width);
    tensors.add(t);
    return t;
  }

  private ParamSlot param(String name, String constant, int[] shape, String init, int fanIn, int fanOut) {
    int length = 1;
    for (int d : shape) {
      length = Math.multiplyExact(length, d);
    }
    ParamSlot p = new ParamSlot(name, constant, shape, paramOffset, length, init, fanIn, fanOut);
    paramOffset = Math.addExact(paramOffset, length);
    params.add(p);
    return p;
  }

  /** He for the ReLU family, Xavier/Glorot otherwise, unless the layer says. */
  static String initializer(OpAttrs.Dense d) {
    if (d.init() != Init.AUTO) {
      return d.init().name();
    }
    return switch (d.activation()) {
      case RELU, LEAKY_RELU -> "HE_NORMAL";
      default -> "XAVIER_UNIFORM";
    };
  }

  /** {@code hiddenLayer} → {@code HIDDEN_LAYER}. */
  static String constantName(String field) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(field.charAt(i - 1))) {
        s.append('_');
      }
      s.append(Character.toUpperCase(c));
    }
    return s.toString().replace("__", "_");
  }

  /**
   * The identity of the weights' layout and meaning: layer names, kinds, sizes, activations. It
   * leaves out the network's name, loss and optimizer, which do not change what the weights mean.
   */
  static String architecture(Graph graph) {
    StringBuilder s = new StringBuilder("input[").append(graph.input().shape().size()).append(']');
    for (Node n : graph.layers()) {
      s.append(" -> ").append(n.name()).append('=');
      switch (n.attrs()) {
        case OpAttrs.Dense d ->
            s.append("Dense(").append(d.units()).append(',').append(activationText(d))
                .append(d.useBias() ? "" : ",nobias").append(')');
        case OpAttrs.Dropout d -> s.append("Dropout");
        case OpAttrs.Input i -> s.append("Input");
      }
    }
    return s.toString();
  }

  /** The activation with its parameter, e.g. {@code LEAKY_RELU(0.05)}: part of what the weights mean. */
  public static String activationText(OpAttrs.Dense d) {
    return d.activation() == Activation.LEAKY_RELU
        ? "LEAKY_RELU(" + (float) d.negativeSlope() + ")"
        : d.activation().name();
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }
}
