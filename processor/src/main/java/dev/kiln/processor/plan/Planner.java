package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.DropoutOp;
import dev.kiln.processor.op.InputOp;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lays out a checked, shape-inferred graph for the emitter, generically over ops, after the
 * {@link Fusion} pass has decided what fuses:
 *
 * <ol>
 *   <li>parameters in the parameter arena, in declaration order;
 *   <li>forward tensors (outputs, saved tensors) in the float, per-batch and int arenas; all are
 *       kept for backward, aliases (Flatten) share their source's memory;
 *   <li>gradient contributions in backward order: the first overwrites, later ones add;
 *   <li>gradient tensors packed by liveness: a gradient lives from the backward of its last
 *       consumer to that of its producer, and tensors whose lifetimes do not overlap share memory;
 *   <li>the same again for the input-gradient pass ({@link Plan#inputGradients}), where every node
 *       and the input need a gradient, packed over the same memory as training's gradients (the
 *       region is as large as the larger of the two).
 * </ol>
 */
public final class Planner {
  private final Graph graph;
  private final List<TensorSlot> tensors = new ArrayList<>();
  private final List<ParamSlot> params = new ArrayList<>();
  private final Map<Node, Map<String, ParamSlot>> paramsByNode = new LinkedHashMap<>();
  private final Map<Node, TensorSlot> outputs = new LinkedHashMap<>();
  private final Map<Node, Map<String, TensorSlot>> saved = new LinkedHashMap<>();
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
    Fusion fusion = Fusion.of(graph, loss);
    Activation head = fusion.head();
    Node output = graph.output();
    Map<Node, Activated> effective = fusion.effective();
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
        outputs.put(node, InputOp.holdsTokens(node) ? ints("INPUT", node.shape().size(), "network input (token ids)")
            : floats("INPUT", node.shape().size(), "network input"));
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

    // Gradients: training's, then the input-gradient pass's over the same memory.
    int gradientBase = floatOffset;
    Plan.Gradients training = gradients(fusion, "", "");
    int trainingEnd = floatOffset;
    Plan.Gradients inputGradients = null;
    // None for token ids (not differentiable) nor for stateful layers, whose carried state every
    // inference forward advances.
    boolean stateful = graph.layers().stream().anyMatch(n -> Boolean.TRUE.equals(n.op().attributes(n).get("stateful")));
    if (!InputOp.holdsTokens(graph.input()) && !stateful) {
      floatOffset = gradientBase;
      inputGradients = gradients(Fusion.of(graph, loss, true), "IG_", "input-gradient pass: ");
    }
    floatOffset = Math.max(trainingEnd, floatOffset);
    String architecture = architecture(graph);
    return new Plan(
        graph, loss, head, List.copyOf(params), paramsByNode, paramOffset, List.copyOf(tensors), outputs, saved,
        training.grads(), probabilities, training.folds(), training.foldedAway(), training.preActivationGrads(),
        training.accumulate(), training.sharedGrads(), training.needsGrad(), effective, fusion.pooled(), floatOffset, fixedOffset,
        intOffset, inputGradients, architecture, sha256(architecture));
  }

  /**
   * The gradient side of a backward pass over {@code fusion}'s decisions: contributions in backward
   * order (the first overwrites, later ones add) and the gradient tensors, packed by liveness from
   * the current float offset, their constants prefixed by {@code prefix}.
   */
  private Plan.Gradients gradients(Fusion fusion, String prefix, String note) {
    Node output = graph.output();
    Set<Node> needsGrad = fusion.needsGrad();
    Map<Node, Plan.Fold> folds = fusion.folds();
    Set<Node> foldedAway = fusion.foldedAway();
    int end = graph.nodes().size();
    Map<Node, boolean[]> accumulate = new LinkedHashMap<>();
    Map<Node, Integer> lastWriter = new HashMap<>();
    Map<Node, boolean[]> sharedGrads = new LinkedHashMap<>();
    Map<Node, Node> sharesWith = new HashMap<>();
    Set<Node> written = new HashSet<>();
    Node outputOwner = Plan.owner(output);
    if (needsGrad.contains(outputOwner)) {
      written.add(outputOwner);
      lastWriter.put(outputOwner, end);
    }
    List<Node> nodes = graph.nodes();
    for (int k = nodes.size() - 1; k >= 1; k--) {
      Node node = nodes.get(k);
      boolean[] acc = new boolean[node.inputs().size()];
      accumulate.put(node, acc);
      if (!needsGrad.contains(node) || foldedAway.contains(node)) {
        continue;
      }
      Plan.Fold fold = folds.get(node);
      if (fold != null) {
        written.add(fold.producer());
        lastWriter.put(fold.producer(), k);
        continue;
      }
      boolean[] shares = new boolean[node.inputs().size()];
      sharedGrads.put(node, shares);
      boolean shared = false;
      for (int i = 0; i < node.inputs().size(); i++) {
        Node input = node.inputs().get(i);
        Node owner = Plan.owner(input);
        if (!needsGrad.contains(owner)) {
          continue;
        }
        // An input read by this op alone, whose gradient is this op's own (Add) or is made from it in
        // place (Activate), shares its memory: no copy, and one slot less.
        if (!shared && node.op().gradientPassesThrough() && input == owner && owner.consumers().size() == 1
            && !written.contains(owner)) {
          shared = true;
          shares[i] = true;
          sharesWith.put(owner, node);
        }
        acc[i] = !written.add(owner);
        lastWriter.merge(owner, k, Math::max);
      }
    }
    Map<Node, TensorSlot> grads = packGradients(lastWriter, foldedAway, sharesWith, prefix, note);
    return new Plan.Gradients(needsGrad, folds, foldedAway, fusion.preActivationGrads(), accumulate, sharedGrads, grads);
  }

  /**
   * Gradient tensors, packed by liveness: tensors that share memory ({@code sharesWith}: a node's
   * gradient is its consumer's) form one group; groups are placed largest first, each at the lowest
   * offset where it overlaps no placed group alive at the same time (in backward order, from the
   * step of its last writer down to its earliest producer's step).
   */
  private Map<Node, TensorSlot> packGradients(
      Map<Node, Integer> lastWriter, Set<Node> foldedAway, Map<Node, Node> sharesWith, String prefix, String note) {
    Map<Node, List<Node>> groups = new LinkedHashMap<>();
    for (Node n : graph.nodes()) {
      if (lastWriter.containsKey(n) && !foldedAway.contains(n)) {
        Node root = n;
        while (sharesWith.containsKey(root)) {
          root = sharesWith.get(root);
        }
        groups.computeIfAbsent(root, r -> new ArrayList<>()).add(n);
      }
    }
    List<Node> roots = new ArrayList<>(groups.keySet());
    roots.sort(Comparator.comparingInt((Node n) -> -n.shape().size()).thenComparingInt(Node::id));
    record Placed(int lo, int hi, int start, int width) {}
    List<Placed> placed = new ArrayList<>();
    Map<Node, Integer> offsets = new HashMap<>();
    int size = 0;
    for (Node root : roots) {
      int lo = groups.get(root).stream().mapToInt(Node::id).min().orElseThrow();
      int hi = groups.get(root).stream().mapToInt(lastWriter::get).max().orElseThrow();
      int width = root.shape().size();
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
      offsets.put(root, start);
      size = Math.max(size, start + width);
    }
    int base = floatOffset;
    floatOffset = Math.addExact(floatOffset, size);
    Map<Node, TensorSlot> grads = new LinkedHashMap<>();
    for (Map.Entry<Node, List<Node>> g : groups.entrySet()) {
      Node root = g.getKey();
      List<String> others = g.getValue().stream().filter(n -> n != root).map(Node::name).toList();
      TensorSlot t = new TensorSlot(prefix + constantName(root.name()) + "_GRAD", root.shape().size(), base + offsets.get(root),
          note + "gradient of " + root.name() + "'s output" + (others.isEmpty() ? "" : " and of " + String.join(", ", others))
              + " (shares memory with gradients not alive at the same time)");
      tensors.add(t);
      for (Node n : g.getValue()) {
        grads.put(n, t);
      }
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
