package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Dropout;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;

/**
 * {@code @Dropout}: inverted dropout in training, the identity at inference (consumers then read its
 * input). Before a dense layer its backward is folded into that layer's input gradient. Attribute
 * {@code rate}.
 */
public final class DropoutOp implements Op {
  public record Attrs(double rate) {}

  @Override
  public String kind() {
    return "Dropout";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Dropout.class;
  }

  @Override
  public Object read(Annotation annotation) {
    return new Attrs(((Dropout) annotation).rate());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.ELEMENTWISE;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    double rate = node.attrs(Attrs.class).rate();
    if (!(rate >= 0 && rate < 1)) {
      out.report(Message.DROPOUT_RATE, node, "rate", rate, node.name());
    }
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    return inputs.get(0);
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    return List.of(SavedDecl.floats("mask", node.shape().size(), node.name() + " dropout mask (0 or 1/(1-rate))"));
  }

  @Override
  public boolean identityAtInference() {
    return true;
  }

  /** At inference dropout is the identity, so it streams (the streaming pass skips it). */
  @Override
  public String streamRefusal(Node node) {
    return null;
  }

  @Override
  public void forward(Node node, Emit e) {
    double rate = node.attrs(Attrs.class).rate();
    e.comment("$L: Dropout($L) on [B, $L], training only (inverted: survivors scaled by 1/(1-rate))",
        node.name(), rate, node.shape().size());
    e.beginIf("training");
    e.statement("$T.forward(dropoutRng, $L, $L, $L, $L, n * $L)", Emit.kernel("DropoutKernels"), Emit.f((float) rate),
        e.in(node, 0), e.saved(node, "mask"), e.out(node), node.shape().size());
    e.end();
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    if (e.inputGradientPass()) {
      e.comment("g($L) $L g: dropout is the identity at inference", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
      e.statement("$T.accumulate(n * $L, $L, $L, $L)", Emit.kernel("TensorOps"), node.shape().size(), e.grad(node), dx,
          e.accumulate(node, 0));
      return;
    }
    e.comment("g($L) $L g ⊙ $L mask", node.input().name(), e.accumulate(node, 0) ? "+=" : "=", node.name());
    e.statement("$T.backward(n * $L, $L, $L, $L, $L)", Emit.kernel("DropoutKernels"), node.shape().size(), e.grad(node),
        e.saved(node, "mask"), dx, e.accumulate(node, 0));
  }

  @Override
  public String architecture(Node node) {
    return "Dropout";
  }

  @Override
  public String detail(Node node) {
    return "rate " + node.attrs(Attrs.class).rate();
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    return Map.of("rate", node.attrs(Attrs.class).rate());
  }
}
