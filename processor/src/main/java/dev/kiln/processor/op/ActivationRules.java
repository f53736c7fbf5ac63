package dev.kiln.processor.op;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;

/** Rules and code shared by every op with a fused activation. */
final class ActivationRules {
  private ActivationRules() {}

  /** negativeSlope only with LEAKY_RELU, and in (0, 1) there. */
  static void check(Node node, Activation activation, double negativeSlope, Diagnostics out) {
    if (node.isExplicit("negativeSlope") && activation != Activation.LEAKY_RELU) {
      out.report(Message.OPTION_NOT_APPLICABLE, node, "negativeSlope", "negativeSlope", "activation " + activation);
    }
    if (activation == Activation.LEAKY_RELU && !(negativeSlope > 0 && negativeSlope < 1)) {
      out.report(Message.BAD_VALUE, node, "negativeSlope", "negativeSlope", "in (0, 1)", negativeSlope);
    }
  }

  /** What an op with a fused activation saves: its pre-activation when the derivative needs it (GELU). */
  static java.util.List<SavedDecl> savedPreActivation(Node node, Activated effective) {
    return effective.activation() == Activation.GELU
        ? java.util.List.of(SavedDecl.floats("pre", node.shape().size(), node.name() + " pre-activation (GELU derivative needs it)"))
        : java.util.List.of();
  }

  /**
   * Turns the gradient of the output into that of the pre-activation, in place, unless a consumer
   * or the loss already did.
   */
  static void derivative(Node node, Activated act, Emit e) {
    if (act.isLinear() || e.gradIsPreActivation(node)) {
      return;
    }
    e.comment("g($L) ⊙= $L'", node.name(), act.activation());
    e.statement("$T.multiplyDerivative($L, $L, $L, $L, $L, n * $L)", Emit.kernel("Activations"), e.activation(act),
        Emit.f(act.alpha()), e.out(node), act.activation() == Activation.GELU ? e.saved(node, "pre") : "null, 0",
        e.grad(node), node.shape().size());
  }
}
