package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.DropoutOp;
import dev.kiln.processor.op.LossOp;
import dev.kiln.processor.op.ParamDecl;
import dev.kiln.processor.op.SavedDecl;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays out a checked, shape-inferred graph for the emitter, generically over ops:
 *
 * <ol>
 *   <li>parameters in the parameter arena, in declaration order;
 *   <li>forward tensors (outputs, saved tensors) in the float, per-batch and int arenas; all are
 *       kept for backward, aliases (Flatten) share their source's memory;
 *   <li>which tensors need a gradient (those downstream of a trained parameter);
 *   <li>folds: a dense layer whose input comes from a single-consumer producer (through at most one
 *       dropout and any aliases) writes that producer's pre-activation gradient directly, with the
 *       activation derivative and dropout mask in its GEMM epilogue; the loss does the same for the
 *       head it fuses;
 *   <li>gradient contributions in backward order: the first overwrites, later ones add;
 *   <li>gradient tensors packed by liveness: a gradient lives from the backward of its last
 *       consumer to that of its producer, and tensors whose lifetimes do not overlap share memory.
 * </ol>
 */
public final class Planner {
  private final Graph graph;
  private final List<TensorSlot> tensors = new ArrayList<>();
  private final List<ParamSlot> params = new ArrayList<>();
  private final Map<Node, Map<String, ParamSlot>> paramsByNode = new LinkedHashMap<>();
  private final Map<Node, TensorSlot> outputs = new LinkedHashMap<>();
  private final Map<Node, Map<String, TensorSlot>> saved = new LinkedHashMap<>();
  private final Map<Node, Activated> effective = new LinkedHashMap<>();
  private int floatOffset;
  private int fixedOffset;
  private int intOffset;
  private int paramOffset;

  private Planner(Graph graph) {
    this.graph = graph;
  }

  public static Plan plan(Graph graph) {
    return new Planner(graph).build();
  }

  private Plan build() {
    LossOp loss = LossOp.of(graph.config().loss());
    Activation head = loss.head();
    Node output = graph.output();
    for (Node node : graph.nodes()) {
      Activated act = node.op().activation(node);
      effective.put(node, act == null || (node == output && head != null) ? Activated.LINEAR : act);
    }
    // Parameters.
    for (Node node : graph.layers()) {
      Map<String, ParamSlot> byKey = new LinkedHashMap<>();
      for (ParamDecl p : node.op().params(node)) {
        byKey.put(p.key(), param(node, p));
      }
      paramsByNode.put(node, byKey);
    }
    // Forward tensors.
    for (Node node : graph.nodes()) {
      String base = constantName(node.name());
      if (node == graph.input()) {
        outputs.put(node, floats("INPUT", node.shape().size(), "network input"));
      } else if (node.op().aliasesInput()) {
        outputs.put(node, outputs.get(node.input()));
      } else {
        boolean logits = node == output && head != null;
        outputs.put(node, floats(base + (logits ? "_LOGITS" : "_OUT"), node.shape().size(),
            node.name() + (logits ? " logits" : " output" + (node.op() instanceof DropoutOp ? " (training)" : ""))));
      }
      Map<String, TensorSlot> s = new LinkedHashMap<>();
      for (SavedDecl d : node.op().saved(node, effective.get(node))) {
        String constant = base + "_" + constantName(d.key());
        s.put(d.key(), d.ints() ? ints(constant, d.size(), d.description())
            : d.perSample() ? floats(constant, d.size(), d.description()) : fixed(constant, d.size(), d.description()));
      }
      saved.put(node, s);
    }
    TensorSlot probabilities = head == null ? null
        : floats(constantName(output.name()) + "_PROBS", output.shape().size(), output.name() + " " + head + " probabilities");

    // Which outputs need a gradient.
    Set<Node> needsGrad = new HashSet<>();
    for (Node node : graph.layers()) {
      boolean trained = paramsByNode.get(node).values().stream().anyMatch(ParamSlot::trained);
      if (trained || node.inputs().stream().anyMatch(needsGrad::contains)) {
        needsGrad.add(node);
      }
    }

    // Folds, contributions and gradient lifetimes, walking backward.
    int end = graph.nodes().size();
    Map<Node, Plan.Fold> folds = new LinkedHashMap<>();
    Set<Node> foldedAway = new LinkedHashSet<>();
    Set<Node> preActivation = new LinkedHashSet<>();
    Map<Node, boolean[]> accumulate = new LinkedHashMap<>();
    Map<Node, Integer> lastWriter = new HashMap<>();
    Set<Node> written = new HashSet<>();
    Node outputOwner = Plan.owner(output);
    if (needsGrad.contains(outputOwner)) {
      written.add(outputOwner);
      lastWriter.put(outputOwner, end);
      if (head != null) {
        preActivation.add(outputOwner);
      }
    }
    List<Node> nodes = graph.nodes();
    for (int k = nodes.size() - 1; k >= 1; k--) {
      Node node = nodes.get(k);
      boolean[] acc = new boolean[node.inputs().size()];
      accumulate.put(node, acc);
      if (!needsGrad.contains(node) || foldedAway.contains(node)) {
        continue;
      }
      Plan.Fold fold = node.op().foldsInputDerivative() ? fold(node, needsGrad) : null;
      if (fold != null) {
        folds.put(node, fold);
        preActivation.add(fold.producer());
        written.add(fold.producer());
        lastWriter.put(fold.producer(), k);
        if (fold.dropout() != null) {
          foldedAway.add(fold.dropout());
        }
        continue;
      }
      for (int i = 0; i < node.inputs().size(); i++) {
        Node owner = Plan.owner(node.inputs().get(i));
        if (!needsGrad.contains(owner)) {
          continue;
        }
        acc[i] = !written.add(owner);
        lastWriter.merge(owner, k, Math::max);
      }
    }
    Map<Node, TensorSlot> grads = packGradients(lastWriter, foldedAway);
    String architecture = architecture(graph);
    return new Plan(
        graph, loss, head, List.copyOf(params), paramsByNode, paramOffset, List.copyOf(tensors), outputs, saved, grads,
        probabilities, folds, foldedAway, preActivation, accumulate, needsGrad, effective, floatOffset, fixedOffset,
        intOffset, architecture, sha256(architecture));
  }

  /**
   * The fold of {@code consumer}'s input gradient: through aliases and at most one dropout to a
   * producer, every tensor on the way read by one consumer only; null when it cannot fold.
   */
  private Plan.Fold fold(Node consumer, Set<Node> needsGrad) {
    Node current = consumer.input();
    Node dropout = null;
    while (true) {
      if (current.consumers().size() != 1 || !needsGrad.contains(Plan.owner(current))) {
        return null;
      }
      if (current.op().aliasesInput()) {
        current = current.input();
      } else if (current.op() instanceof DropoutOp && dropout == null) {
        dropout = current;
        current = current.input();
      } else {
        break;
      }
    }
    Activated act = effective.get(current);
    if (act.activation() == Activation.SOFTMAX
        || (act.activation() == Activation.GELU && !saved.get(current).containsKey("pre"))) {
      return null;
    }
    return new Plan.Fold(current, dropout);
  }

  /**
   * Gradient tensors, packed by liveness: largest first, each at the lowest offset where it overlaps
   * no placed tensor that is alive at the same time (in backward order, from the step of its last
   * writer down to its producer's step).
   */
  private Map<Node, TensorSlot> packGradients(Map<Node, Integer> lastWriter, Set<Node> foldedAway) {
    List<Node> owners = new ArrayList<>();
    for (Node n : lastWriter.keySet()) {
      if (!foldedAway.contains(n)) {
        owners.add(n);
      }
    }
    owners.sort(Comparator.comparingInt((Node n) -> -n.shape().size()).thenComparingInt(Node::id));
    record Placed(int lo, int hi, int start, int width) {}
    List<Placed> placed = new ArrayList<>();
    Map<Node, Integer> offsets = new HashMap<>();
    int size = 0;
    for (Node n : owners) {
      int lo = n.id();
      int hi = lastWriter.get(n);
      int width = n.shape().size();
      int start = 0;
      boolean moved = true;
      while (moved) {
        moved = false;
        for (Placed p : placed) {
          boolean alive = p.lo() <= hi && lo <= p.hi();
          boolean overlaps = p.start() < start + width && start < p.start() + p.width();
          if (alive && overlaps) {
            start = p.start() + p.width();
            moved = true;
          }
        }
      }
      placed.add(new Placed(lo, hi, start, width));
      offsets.put(n, start);
      size = Math.max(size, start + width);
    }
    int base = floatOffset;
    floatOffset = Math.addExact(floatOffset, size);
    Map<Node, TensorSlot> grads = new LinkedHashMap<>();
    owners.sort(Comparator.comparingInt(Node::id));
    for (Node n : owners) {
      TensorSlot t = new TensorSlot(constantName(n.name()) + "_GRAD", n.shape().size(), base + offsets.get(n),
          "gradient of " + n.name() + "'s output" + " (shares memory with gradients not alive at the same time)");
      tensors.add(t);
      grads.put(n, t);
    }
    return grads;
  }

  private TensorSlot floats(String constant, int width, String description) {
    TensorSlot t = new TensorSlot(constant, width, floatOffset, description, TensorSlot.Arena.FLOAT);
    floatOffset = Math.addExact(floatOffset, width);
    tensors.add(t);
    return t;
  }

  private TensorSlot fixed(String constant, int width, String description) {
    TensorSlot t = new TensorSlot(constant, width, fixedOffset, description, TensorSlot.Arena.FIXED);
    fixedOffset = Math.addExact(fixedOffset, width);
    tensors.add(t);
    return t;
  }

  private TensorSlot ints(String constant, int width, String description) {
    TensorSlot t = new TensorSlot(constant, width, intOffset, description, TensorSlot.Arena.INT);
    intOffset = Math.addExact(intOffset, width);
    tensors.add(t);
    return t;
  }

  private ParamSlot param(Node node, ParamDecl d) {
    ParamSlot p =
        new ParamSlot(node.name() + "." + d.key(), constantName(node.name()) + "_" + constantName(d.key()), d.shape(),
            paramOffset, d.length(), d.initializer(), d.fanIn(), d.fanOut(), d.trained());
    paramOffset = Math.addExact(paramOffset, d.length());
    params.add(p);
    return p;
  }

  /** {@code hiddenLayer} → {@code HIDDEN_LAYER}; {@code running_mean} → {@code RUNNING_MEAN}. */
  public static String constantName(String field) {
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
   * The identity of the weights' layout and meaning: layer names, kinds, sizes, activations, and
   * inputs where they are not the previous layer. It leaves out the network's name, loss and
   * optimizer, which do not change what the weights mean. A chain of dense layers gives the same
   * text as before the op registry, so weights saved then still load.
   */
  static String architecture(Graph graph) {
    StringBuilder s = new StringBuilder(graph.input().op().architecture(graph.input()));
    List<Node> nodes = graph.nodes();
    for (int i = 1; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      s.append(" -> ").append(n.name()).append('=').append(n.op().architecture(n));
      if (!(n.inputs().size() == 1 && n.inputs().get(0) == nodes.get(i - 1))) {
        s.append("<-(").append(String.join(",", n.inputs().stream().map(Node::name).toList())).append(')');
      }
    }
    return s.toString();
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
