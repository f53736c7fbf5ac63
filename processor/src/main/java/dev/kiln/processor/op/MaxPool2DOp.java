package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.processor.ir.Node;
import java.lang.annotation.Annotation;
import java.util.List;

/** {@code @MaxPool2D}: the maximum of each window; forward saves the winner's index for backward. */
public final class MaxPool2DOp extends PoolOp {
  @Override
  public String kind() {
    return "MaxPool2D";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return MaxPool2D.class;
  }

  @Override
  public Object read(Annotation annotation) {
    MaxPool2D p = (MaxPool2D) annotation;
    return attrs(p.size(), p.stride(), p.padding(), p.pad());
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    return List.of(SavedDecl.ints("argmax", node.shape().size(), node.name() + " index of each window's maximum"));
  }

  /** The scatter can apply a ReLU's derivative per winner (see {@code PoolKernels.maxBackwardFolded}). */
  @Override
  public boolean foldsInputDerivative() {
    return true;
  }

  /**
   * A ReLU only, without a dropout between: its derivative is a select, which commutes with the sum of
   * overlapping windows, so the fold is bitwise the separate pass; other derivatives multiply and would
   * round differently.
   */
  @Override
  public boolean foldsDerivativeOf(Activated producer, Node dropout) {
    return producer.activation() == Activation.RELU && dropout == null;
  }

  @Override
  public void forward(Node node, Emit e) {
    String g = geometryConstant(node, e);
    e.comment("$L", comment(node));
    // The argmax indices are for backward: inference does not record them.
    e.statement("$T.maxForward($L, n, $L, $L, $L)", POOL, g, e.in(node, 0), e.out(node),
        e.savedForTraining(node, "argmax"));
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    String g = geometryConstant(node, e);
    if (e.inputGradientPass()) {
      // Inference records no indices: find each window's maximum again, from the input inference wrote.
      e.comment("$L: the maxima's indices, recomputed (inference does not record them)", node.name());
      e.statement("$T.maxForward($L, n, $L, $L, $L)", POOL, g, e.in(node, 0), e.out(node), e.saved(node, "argmax"));
    }
    Emit.Fold fold = e.fold(node);
    if (fold != null) {
      // The derivative is taken at the pooled output (each winner's value), so the backward does not read
      // the pooled input, and a convolution before can be fused with the pooling in training (Fusion).
      e.comment("g($L) = g scattered to each window's maximum ⊙ $L' of the maximum, folded into the scatter",
          fold.producer().name(), fold.activation().activation());
      e.statement("$T.maxBackwardFolded($L, n, $L, $L, $L, $L, $L)", POOL, g, e.grad(node), e.saved(node, "argmax"),
          e.activation(fold.activation()), e.out(node), dx);
      return;
    }
    e.comment("g($L) $L g scattered to each window's maximum", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
    e.statement("$T.maxBackward($L, n, $L, $L, $L, $L)", POOL, g, e.grad(node), e.saved(node, "argmax"), dx,
        e.accumulate(node, 0));
  }
}
