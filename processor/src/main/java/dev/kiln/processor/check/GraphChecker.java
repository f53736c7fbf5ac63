package dev.kiln.processor.check;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Optimizer;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.Diagnostics;
import dev.kiln.processor.op.DropoutOp;
import dev.kiln.processor.op.InputOp;
import dev.kiln.processor.op.LossOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

/**
 * Validates a graph and returns every problem it finds (not just the first), each attached to the
 * declaration and attribute at fault: network settings, each op's own rules, shape inference (which
 * fills in every node's shape), how layers connect, and the loss's rule on the last layer. A graph
 * with no diagnostics can be planned and emitted.
 */
public final class GraphChecker {
  private final List<Diagnostic> out = new ArrayList<>();

  private GraphChecker() {}

  public static List<Diagnostic> check(Graph graph) {
    GraphChecker c = new GraphChecker();
    c.checkConfig(graph);
    c.checkLayers(graph);
    return List.copyOf(c.out);
  }

  private void report(Message m, Node node, String attribute, Object... args) {
    out.add(Diagnostic.of(m, node.origin(), attribute, args));
  }

  private void reportNetwork(Graph g, Message m, String attribute, Object... args) {
    out.add(Diagnostic.of(m, g.origin(), attribute, args));
  }

  private void checkConfig(Graph g) {
    NetworkConfig c = g.config();
    if (!c.explicit().contains("inputShape") && c.inputs() < 1) {
      reportNetwork(g, Message.MISSING_INPUTS, c.explicit().contains("inputs") ? "inputs" : null, c.inputs());
    }
    positive(g, "learningRate", c.learningRate());
    if (c.batchSize() < 1) {
      reportNetwork(g, Message.BAD_VALUE, "batchSize", "batchSize", "at least 1", c.batchSize());
    }
    if (!(c.weightDecay() >= 0) || Double.isInfinite(c.weightDecay())) {
      reportNetwork(g, Message.BAD_VALUE, "weightDecay", "weightDecay", "finite and at least 0", c.weightDecay());
    }
    for (String clip : List.of("clipNorm", "clipValue")) {
      double v = clip.equals("clipNorm") ? c.clipNorm() : c.clipValue();
      if (!(v >= 0) || Double.isInfinite(v)) {
        reportNetwork(g, Message.BAD_VALUE, clip, clip, "0 (off) or positive and finite", v);
      }
    }
    if (c.optimizer() == Optimizer.SGD) {
      for (String adamOnly : List.of("beta1", "beta2", "epsilon")) {
        if (c.explicit().contains(adamOnly)) {
          reportNetwork(g, Message.OPTION_NOT_APPLICABLE, adamOnly, adamOnly, "optimizer SGD");
        }
      }
      if (!(c.momentum() >= 0 && c.momentum() < 1)) {
        reportNetwork(g, Message.BAD_VALUE, "momentum", "momentum", "in [0, 1)", c.momentum());
      }
      if (c.nesterov() && c.momentum() == 0) {
        reportNetwork(g, Message.OPTION_CONFLICT, "nesterov", "nesterov = true needs momentum > 0");
      }
    } else {
      for (String sgdOnly : List.of("momentum", "nesterov")) {
        if (c.explicit().contains(sgdOnly)) {
          reportNetwork(g, Message.OPTION_NOT_APPLICABLE, sgdOnly, sgdOnly, "optimizer " + c.optimizer());
        }
      }
      unitInterval(g, "beta1", c.beta1());
      unitInterval(g, "beta2", c.beta2());
      positive(g, "epsilon", c.epsilon());
    }
  }

  private void positive(Graph g, String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      reportNetwork(g, Message.BAD_VALUE, name, name, "positive and finite", v);
    }
  }

  private void unitInterval(Graph g, String name, double v) {
    if (!(v >= 0 && v < 1)) {
      reportNetwork(g, Message.BAD_VALUE, name, name, "in [0, 1)", v);
    }
  }

  private void checkLayers(Graph g) {
    List<Node> layers = g.layers();
    if (layers.isEmpty()) {
      reportNetwork(g, Message.NO_LAYERS, null, g.networkName());
      return;
    }
    Set<Node> invalid = new HashSet<>();
    for (Node node : layers) {
      Diagnostics d = new Diagnostics();
      node.op().check(node, d);
      int inputs = node.inputs().size();
      boolean arityOk = node.op().variadic() ? inputs >= 2 : inputs == node.op().arity();
      // An unknown name in from is already reported by the reader.
      if (!arityOk && node.inputs().size() == Math.max(1, node.from().size())) {
        d.report(Message.ARITY, node, "from", node.op().kind(), node.name(),
            inputs == 1 ? "one layer" : inputs + " layers",
            node.op().variadic() ? "two or more (from = {\"a\", \"b\"})" : "exactly " + node.op().arity());
      }
      if (!d.isEmpty() || !arityOk) {
        invalid.add(node);
      }
      out.addAll(d.list());
    }
    Diagnostics shapes = new Diagnostics();
    inferShapes(g, invalid, shapes);
    out.addAll(shapes.list());
    checkStructure(g);
    Node last = g.output();
    if (last.shape() != null && !(last.op() instanceof DropoutOp)) { // a trailing dropout is reported above
      Diagnostics lossProblems = new Diagnostics();
      LossOp.of(g.config().loss()).check(last, lossProblems);
      out.addAll(lossProblems.list());
    }
  }

  /**
   * Shape inference in declaration order (a topological order), with errors on the layer at fault.
   * Layers with invalid attributes get no shape, nor do layers downstream of them, except those whose
   * output shape does not depend on their input's ({@link dev.kiln.processor.op.Op#needsInputShapes}),
   * so that the loss's rule on the last layer is still checked.
   */
  private static void inferShapes(Graph g, Set<Node> invalid, Diagnostics d) {
    for (Node node : g.nodes()) {
      if (invalid.contains(node)) {
        continue;
      }
      List<Shape> inputs = node.inputs().stream().map(Node::shape).toList();
      if (inputs.contains(null) && node.op().needsInputShapes()) {
        continue;
      }
      if (!tokensFit(node, d)) {
        continue;
      }
      node.setShape(node.op().infer(node, inputs, d));
    }
  }

  /**
   * Token ids are read by the ops made for them ({@code @Embedding}) and by nothing else; reports
   * the mismatch and returns false.
   */
  private static boolean tokensFit(Node node, Diagnostics d) {
    for (Node input : node.inputs()) {
      boolean tokens = InputOp.holdsTokens(input);
      if (tokens && !node.op().readsTokens()) {
        d.report(Message.TOKENS, node, null, node.name(), node.op().kind(),
            "reads the token ids of the input; only @Embedding reads an inputType = TOKENS input");
        return false;
      }
      if (!tokens && node.op().readsTokens()) {
        d.report(Message.TOKENS, node, null, node.name(), node.op().kind(),
            "reads token ids: its input must be the network input with @Network(inputType = TOKENS), not '"
                + input.name() + "'");
        return false;
      }
    }
    return true;
  }

  /** Rules on how layers connect: softmax last, dropout between layers, every layer used. */
  private void checkStructure(Graph g) {
    Node output = g.output();
    for (Node node : g.layers()) {
      Activated act = node.op().activation(node);
      if (act != null && act.activation() == Activation.SOFTMAX && node != output) {
        report(Message.SOFTMAX_NOT_LAST, node, "activation", node.name(), node.consumers().isEmpty()
            ? g.nodes().get(node.id() + 1).name() : node.consumers().get(0).name());
      }
      if (node.op() instanceof DropoutOp) {
        if (node.input() == g.input()) {
          report(Message.DROPOUT_POSITION, node, null, node.name(), "it is the first layer");
        } else if (node == output) {
          report(Message.DROPOUT_POSITION, node, null, node.name(), "it is the last layer");
        }
      }
      if (node != output && node.consumers().isEmpty()) {
        report(Message.UNUSED_LAYER, node, null, node.name(), output.name());
      }
    }
  }
}
