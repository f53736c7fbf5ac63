package dev.kiln.processor.check;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Optimizer;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import dev.kiln.processor.ir.OpKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates a graph and returns every problem it finds (not just the first), each attached to the
 * declaration and attribute at fault. A graph with no diagnostics can be inferred, planned and
 * emitted.
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
    if (c.inputs() < 1) {
      reportNetwork(g, Message.MISSING_INPUTS, c.explicit().contains("inputs") ? "inputs" : null, c.inputs());
    }
    positive(g, "learningRate", c.learningRate());
    if (c.batchSize() < 1) {
      reportNetwork(g, Message.BAD_VALUE, "batchSize", "batchSize", "at least 1", c.batchSize());
    }
    if (!(c.weightDecay() >= 0) || Double.isInfinite(c.weightDecay())) {
      reportNetwork(g, Message.BAD_VALUE, "weightDecay", "weightDecay", "finite and at least 0", c.weightDecay());
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
    for (int i = 0; i < layers.size(); i++) {
      Node node = layers.get(i);
      Node next = i + 1 < layers.size() ? layers.get(i + 1) : null;
      switch (node.attrs()) {
        case OpAttrs.Dense d -> {
          if (d.units() < 1) {
            report(Message.UNITS, node, "units", d.units(), node.name());
          }
          if (d.explicit().contains("negativeSlope") && d.activation() != Activation.LEAKY_RELU) {
            report(Message.OPTION_NOT_APPLICABLE, node, "negativeSlope", "negativeSlope", "activation " + d.activation());
          }
          if (d.activation() == Activation.LEAKY_RELU && !(d.negativeSlope() > 0 && d.negativeSlope() < 1)) {
            report(Message.BAD_VALUE, node, "negativeSlope", "negativeSlope", "in (0, 1)", d.negativeSlope());
          }
          if (d.activation() == Activation.SOFTMAX && next != null) {
            report(Message.SOFTMAX_NOT_LAST, node, "activation", node.name(), next.name());
          }
        }
        case OpAttrs.Dropout d -> {
          if (!(d.rate() >= 0 && d.rate() < 1)) {
            report(Message.DROPOUT_RATE, node, "rate", d.rate(), node.name());
          }
          Node prev = node.input();
          if (prev.kind() != OpKind.DENSE) {
            report(Message.DROPOUT_POSITION, node, null, node.name(),
                prev.kind() == OpKind.INPUT ? "it is the first layer" : "it follows '" + prev.name() + "'");
          } else if (next == null) {
            report(Message.DROPOUT_POSITION, node, null, node.name(), "it is the last layer");
          }
        }
        case OpAttrs.Input in -> {}
      }
    }
    checkLoss(g);
  }

  private void checkLoss(Graph g) {
    Node last = g.output();
    if (!(last.attrs() instanceof OpAttrs.Dense d)) {
      return; // a trailing dropout is reported above
    }
    Loss loss = g.config().loss();
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        if (d.units() == 1) {
          report(Message.LOSS_UNITS, last, "units", loss, "at least 2 units (one logit per class; for two classes with one unit use BINARY_CROSS_ENTROPY)", last.name(), d.units());
        }
        if (d.activation() != Activation.SOFTMAX && d.activation() != Activation.LINEAR) {
          report(Message.LOSS_ACTIVATION, last, "activation", loss, d.activation(), last.name(), "SOFTMAX (or LINEAR for logits)");
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        if (d.units() > 1) {
          report(Message.LOSS_UNITS, last, "units", loss, "exactly 1 unit", last.name(), d.units());
        }
        if (d.activation() != Activation.SIGMOID && d.activation() != Activation.LINEAR) {
          report(Message.LOSS_ACTIVATION, last, "activation", loss, d.activation(), last.name(), "SIGMOID (or LINEAR for a logit)");
        }
      }
      case MEAN_SQUARED_ERROR -> {
        if (d.activation() == Activation.SOFTMAX) {
          report(Message.LOSS_ACTIVATION, last, "activation", loss, d.activation(), last.name(), "SOFTMAX_CROSS_ENTROPY for class probabilities, or another activation");
        }
      }
    }
  }
}
