package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.LossOp;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the emitter needs: where every tensor, saved tensor, gradient and parameter lives,
 * which backward steps are folded into others, and the architecture identity.
 *
 * @param graph the checked, shape-inferred graph
 * @param loss the loss op on the output
 * @param head the activation the loss fuses (applied at inference into {@code probabilities}), or null
 * @param params parameter tensors in arena order
 * @param paramsByNode each node's parameters by key
 * @param parameterCount floats in the parameter (and gradient) arena
 * @param tensors every arena tensor (float per-sample, fixed, int), in arena order per arena
 * @param outputs each node's output tensor (aliases resolved to their source's)
 * @param saved each node's saved tensors by key
 * @param grads gradient tensor of each gradient owner (a node that is not an alias)
 * @param probabilities the head's output, or null
 * @param folds consumers whose backward writes the producer's pre-activation gradient directly
 * @param foldedAway nodes whose backward is done by a fold (dropouts between two folded layers)
 * @param preActivationGrads owners whose gradient tensor receives the pre-activation gradient
 * @param accumulate per node, per input: whether its gradient contribution adds
 * @param sharedGrads per node, per input: whether that input's gradient is this node's gradient
 *     memory, so that backward has nothing to copy
 * @param needsGrad nodes whose output needs a gradient
 * @param effective the activation each op applies in its kernel
 * @param pooled each convolution that runs fused with its pooling, and how (see {@link Fusion#pooled})
 * @param activationFloatsPerSample float arena per sample of capacity
 * @param activationFixedFloats float arena after the per-sample part
 * @param intsPerSample int arena per sample of capacity
 * @param inputGradients the gradient layout of the input-gradient pass, or null when the input
 *     holds token ids (which have no gradient) or a recurrent layer is stateful
 * @param architecture canonical description (layer names, kinds, sizes, activations, inputs)
 * @param architectureHash SHA-256 of {@code architecture}, hex
 */
public record Plan(
    Graph graph,
    LossOp loss,
    Activation head,
    List<ParamSlot> params,
    Map<Node, Map<String, ParamSlot>> paramsByNode,
    int parameterCount,
    List<TensorSlot> tensors,
    Map<Node, TensorSlot> outputs,
    Map<Node, Map<String, TensorSlot>> saved,
    Map<Node, TensorSlot> grads,
    TensorSlot probabilities,
    Map<Node, Fold> folds,
    Set<Node> foldedAway,
    Set<Node> preActivationGrads,
    Map<Node, boolean[]> accumulate,
    Map<Node, boolean[]> sharedGrads,
    Set<Node> needsGrad,
    Map<Node, Activated> effective,
    Map<Node, Fusion.Pooling> pooled,
    int activationFloatsPerSample,
    int activationFixedFloats,
    int intsPerSample,
    Gradients inputGradients,
    String architecture,
    String architectureHash) {

  /**
   * A consumer writing {@code producer}'s pre-activation gradient directly, through at most one
   * {@code dropout} (whose mask it applies) and any aliases.
   */
  public record Fold(Node producer, Node dropout) {}

  /**
   * The gradient side of a backward pass: which nodes need a gradient, the folds, and where each
   * gradient lives. Training's is spread over {@link Plan}'s own components; the input-gradient
   * pass has one of its own, over the same memory (the two passes never run interleaved, and each
   * overwrites a gradient before reading it).
   *
   * @param needsGrad nodes whose output needs a gradient
   * @param folds consumers whose backward writes the producer's pre-activation gradient directly
   * @param foldedAway nodes whose backward is done by a fold
   * @param preActivationGrads owners whose gradient tensor receives the pre-activation gradient
   * @param accumulate per node, per input: whether its gradient contribution adds
   * @param sharedGrads per node, per input: whether that input's gradient is this node's gradient memory
   * @param grads gradient tensor of each gradient owner
   */
  public record Gradients(
      Set<Node> needsGrad,
      Map<Node, Fold> folds,
      Set<Node> foldedAway,
      Set<Node> preActivationGrads,
      Map<Node, boolean[]> accumulate,
      Map<Node, boolean[]> sharedGrads,
      Map<Node, TensorSlot> grads) {}

  /** Training's gradient layout, as a {@link Gradients}. */
  public Gradients trainingGradients() {
    return new Gradients(needsGrad, folds, foldedAway, preActivationGrads, accumulate, sharedGrads, grads);
  }

  /** The tensor holding the network's final output (probabilities when a head is fused). */
  public TensorSlot finalOutput() {
    return probabilities != null ? probabilities : outputs.get(graph.output());
  }

  /** The node whose gradient tensor {@code node}'s gradient is (itself unless it is an alias). */
  public static Node owner(Node node) {
    Node n = node;
    while (n.op().aliasesInput()) {
      n = n.input();
    }
    return n;
  }
}
