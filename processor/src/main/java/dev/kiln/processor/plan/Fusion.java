package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.AvgPool2DOp;
import dev.kiln.processor.op.Conv2DOp;
import dev.kiln.processor.op.DropoutOp;
import dev.kiln.processor.op.LossOp;
import dev.kiln.processor.op.MaxPool2DOp;
import dev.kiln.processor.op.ParamDecl;
import dev.kiln.processor.op.SavedDecl;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fusion pass, separate from memory planning: which activation each op applies in its own
 * kernel, what the loss fuses, and which backward steps fold into a neighbour's.
 *
 * <ul>
 *   <li>Bias and activation run in the epilogue of their matmul or convolution (the ops emit them
 *       as one kernel call).
 *   <li>Softmax/sigmoid + cross-entropy: the last layer computes logits in training and the loss
 *       computes the head and the gradient {@code p - y} in one step.
 *   <li>A consumer whose op {@link dev.kiln.processor.op.Op#foldsInputDerivative folds} (dense)
 *       writes its producer's pre-activation gradient directly, multiplying by the activation's
 *       derivative and a dropout mask in its GEMM epilogue, when every tensor on the way (through
 *       aliases and at most one dropout) is read by that consumer alone; the dropout's backward
 *       then disappears. Max pooling folds a ReLU's derivative into its scatter the same way (no
 *       dropout between), and the producer's separate derivative pass disappears.
 *   <li>A convolution whose only reader is a max or average pooling runs with it as one kernel call
 *       ({@code ConvKernels.forwardMaxPooled} / {@code forwardAvgPooled}), which pools each tile of
 *       the convolution while it is in cache and never stores the convolution's output where the
 *       runtime kernel supports the pair (and runs the two kernels otherwise): at inference always,
 *       and in training too (the max pooling's indices recorded by the same call) when no backward
 *       reads the convolution's output, that is when the convolution is LINEAR, or RELU with its
 *       derivative folded into the max pooling's scatter (which reads the pooled output instead).
 *       {@code layerOutput} and the input-gradient pass (which read the full map) run the two ops
 *       as before. When such a convolution's input needs no gradient (a network's first layer), the
 *       max pooling's backward folds into the convolution's weight gradient ({@code
 *       ConvKernels.backwardParamsMaxPooled}), which scatters the pooled gradient sample by sample
 *       into a buffer its tiles read at once, and the convolution's output gradient is not stored.
 * </ul>
 *
 * @param head the activation the loss fuses, or null
 * @param effective the activation each op applies in its kernel
 * @param needsGrad nodes whose output needs a gradient (downstream of a trained parameter)
 * @param folds each folding consumer's producer and dropout
 * @param foldedAway nodes whose backward a fold does
 * @param preActivationGrads nodes whose gradient arrives with their activation's derivative applied
 * @param pooled each convolution fused with its pooling, and that pooling
 */
public record Fusion(
    Activation head,
    Map<Node, Activated> effective,
    Set<Node> needsGrad,
    Map<Node, Plan.Fold> folds,
    Set<Node> foldedAway,
    Set<Node> preActivationGrads,
    Map<Node, Pooling> pooled) {

  /**
   * The pooling a convolution runs with as one kernel call; in training too when {@code training}
   * (else training runs the two ops); and, with {@code backward}, the pooling's backward folded into
   * the convolution's weight gradient (a max pooling fused in training, the convolution's input
   * needing no gradient), so the convolution's output gradient is not stored either.
   */
  public record Pooling(Node pool, boolean training, boolean backward) {}

  /** Runs the pass over a checked, shape-inferred graph, for training's backward. */
  public static Fusion of(Graph graph, LossOp loss) {
    return of(graph, loss, false);
  }

  /**
   * Runs the pass for training's backward or, with {@code inputGradients}, for the input-gradient
   * pass (see {@code Emit.inputGradientPass}), where every node, the network input included, needs a
   * gradient whether or not anything upstream is trained. The folds are found the same way; a fold
   * through a dropout then applies no mask, dropout being the identity at inference.
   */
  public static Fusion of(Graph graph, LossOp loss, boolean inputGradients) {
    Activation head = loss.head();
    Node output = graph.output();
    Map<Node, Activated> effective = new LinkedHashMap<>();
    for (Node node : graph.nodes()) {
      Activated act = node.op().activation(node);
      effective.put(node, act == null || (node == output && head != null) ? Activated.LINEAR : act);
    }
    Set<Node> needsGrad = new HashSet<>();
    if (inputGradients) {
      needsGrad.addAll(graph.nodes());
    }
    for (Node node : graph.layers()) {
      boolean trained = node.op().params(node).stream().anyMatch(ParamDecl::trained);
      if (trained || node.inputs().stream().anyMatch(needsGrad::contains)) {
        needsGrad.add(node);
      }
    }
    Map<Node, Plan.Fold> folds = new LinkedHashMap<>();
    Set<Node> foldedAway = new LinkedHashSet<>();
    Set<Node> preActivation = new LinkedHashSet<>();
    if (head != null) {
      preActivation.add(Plan.owner(output));
    }
    List<Node> nodes = graph.nodes();
    for (int k = nodes.size() - 1; k >= 1; k--) {
      Node node = nodes.get(k);
      if (!needsGrad.contains(node) || foldedAway.contains(node) || !node.op().foldsInputDerivative()) {
        continue;
      }
      Plan.Fold fold = fold(node, needsGrad, effective);
      if (fold != null) {
        folds.put(node, fold);
        preActivation.add(fold.producer());
        if (fold.dropout() != null) {
          foldedAway.add(fold.dropout());
        }
      }
    }
    return new Fusion(head, effective, needsGrad, folds, foldedAway, preActivation,
        pooled(graph, effective, folds, needsGrad));
  }

  /**
   * Convolutions read by one max or average pooling alone, each with that pooling. The pooling's output
   * is written where the convolution's forward runs, which is safe because forward tensors never share
   * memory. The pair is fused in training too when no backward reads the convolution's output: a LINEAR
   * convolution, or a RELU one whose derivative the max pooling folds (from the pooled output). A max
   * pooling's backward then folds into the convolution's weight gradient when nothing needs the
   * convolution's output gradient beyond it: the convolution's input needs no gradient.
   */
  private static Map<Node, Pooling> pooled(Graph graph, Map<Node, Activated> effective, Map<Node, Plan.Fold> folds,
      Set<Node> needsGrad) {
    Map<Node, Pooling> pooled = new LinkedHashMap<>();
    for (Node node : graph.layers()) {
      if (node.op() instanceof Conv2DOp && node.consumers().size() == 1) {
        Node pool = node.consumers().get(0);
        if ((pool.op() instanceof MaxPool2DOp || pool.op() instanceof AvgPool2DOp) && pool.inputs().size() == 1) {
          Activation act = effective.get(node).activation();
          Plan.Fold fold = folds.get(pool);
          boolean training = act == Activation.LINEAR
              || (act == Activation.RELU && fold != null && fold.producer() == node);
          boolean backward = training && pool.op() instanceof MaxPool2DOp && needsGrad.contains(node)
              && !needsGrad.contains(node.input()) && !needsGrad.contains(Plan.owner(node.input()));
          pooled.put(node, new Pooling(pool, training, backward));
        }
      }
    }
    return pooled;
  }

  /**
   * The fold of {@code consumer}'s input gradient: through aliases and at most one dropout to a
   * producer, every tensor on the way read by one consumer only; null when it cannot fold.
   */
  private static Plan.Fold fold(Node consumer, Set<Node> needsGrad, Map<Node, Activated> effective) {
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
    boolean savesPre = current.op().saved(current, act).stream().map(SavedDecl::key).anyMatch("pre"::equals);
    if (act.activation() == Activation.SOFTMAX || (act.activation() == Activation.GELU && !savesPre)
        || !consumer.op().foldsDerivativeOf(act, dropout)) {
      return null;
    }
    return new Plan.Fold(current, dropout);
  }
}
