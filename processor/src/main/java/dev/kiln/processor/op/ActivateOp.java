package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code @Activate}: a standalone activation. Attributes {@code activation, negativeSlope}. */
public final class ActivateOp implements Op {
  public record Attrs(Activation activation, double negativeSlope) {
    Activated act() {
      return Activated.of(activation, negativeSlope);
    }
  }

  @Override
  public String kind() {
    return "Activate";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Activate.class;
  }

  @Override
  public Object read(Annotation annotation) {
    Activate a = (Activate) annotation;
    return new Attrs(a.value(), a.negativeSlope());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.ELEMENTWISE;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    ActivationRules.check(node, a.activation(), a.negativeSlope(), out);
  }

  @Override
  public boolean gradientPassesThrough() {
    return true;
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    return inputs.get(0);
  }

  @Override
  public Activated activation(Node node) {
    return node.attrs(Attrs.class).act();
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    return List.of();
  }

  @Override
  public void forward(Node node, Emit e) {
    Activated act = e.effectiveActivation(node);
    e.comment("$L: $L on $L", node.name(), act.text(), node.shape());
    e.statement("$T.apply($L, $L, $L, $L, n, $L)", Emit.kernel("Activations"), e.activation(act), Emit.f(act.alpha()),
        e.in(node, 0), e.out(node), node.shape().size());
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    Activated act = e.effectiveActivation(node);
    if (act.activation() == Activation.GELU && !e.gradIsPreActivation(node)) {
      // GELU's derivative needs the pre-activation, which is this op's input.
      e.comment("g($L) ⊙= GELU'", node.name());
      e.statement("$T.multiplyDerivative($L, 0f, null, 0, $L, $L, n * $L)", Emit.kernel("Activations"), e.activation(act),
          e.trainingIn(node, 0), e.grad(node), node.shape().size());
    } else {
      ActivationRules.derivative(node, act, e);
    }
    if (e.sharesGrad(node, 0)) {
      e.comment("g($L) = g: the same memory", node.input().name());
      return;
    }
    e.comment("g($L) $L g", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
    e.statement("$T.accumulate(n * $L, $L, $L, $L)", Emit.kernel("TensorOps"), node.shape().size(), e.grad(node), dx,
        e.accumulate(node, 0));
  }

  @Override
  public String architecture(Node node) {
    return "Activate(" + node.attrs(Attrs.class).act().text() + ")";
  }

  @Override
  public String detail(Node node) {
    return node.attrs(Attrs.class).act().text();
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs a = node.attrs(Attrs.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("activation", a.activation().name());
    m.put("negativeSlope", Double.valueOf(Float.toString(a.act().alpha())));
    return m;
  }
}
