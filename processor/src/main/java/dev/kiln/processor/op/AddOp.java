package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Add;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;

/** {@code @Add}: the elementwise sum of two or more tensors of one shape (residual connections). */
public final class AddOp implements Op {
  public record Attrs() {}

  @Override
  public String kind() {
    return "Add";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Add.class;
  }

  @Override
  public Object read(Annotation annotation) {
    return new Attrs();
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.ELEMENTWISE;
  }

  @Override
  public boolean variadic() {
    return true;
  }

  @Override
  public boolean gradientPassesThrough() {
    return true;
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    for (int i = 1; i < inputs.size(); i++) {
      if (!inputs.get(i).equals(inputs.get(0))) {
        out.report(Message.INPUT_SHAPES, node, "from", "@Add", node.name(), "the same shape",
            Inputs.describe(node, inputs));
        return null;
      }
    }
    return inputs.get(0);
  }

  @Override
  public void forward(Node node, Emit e) {
    int size = node.shape().size();
    e.comment("$L: $L", node.name(), String.join(" + ", node.inputs().stream().map(Node::name).toList()));
    e.statement("$T.add(n * $L, $L, $L, $L)", Emit.kernel("TensorOps"), size, e.in(node, 0), e.in(node, 1), e.out(node));
    for (int i = 2; i < node.inputs().size(); i++) {
      e.statement("$T.add(n * $L, $L, $L, $L)", Emit.kernel("TensorOps"), size, e.out(node), e.in(node, i), e.out(node));
    }
  }

  @Override
  public void backward(Node node, Emit e) {
    for (int i = 0; i < node.inputs().size(); i++) {
      CodeBlock dx = e.inputGrad(node, i);
      if (dx != null && e.sharesGrad(node, i)) {
        e.comment("g($L) = g: the same memory", node.inputs().get(i).name());
      } else if (dx != null) {
        e.comment("g($L) $L g", node.inputs().get(i).name(), e.accumulate(node, i) ? "+=" : "=");
        e.statement("$T.accumulate(n * $L, $L, $L, $L)", Emit.kernel("TensorOps"), node.shape().size(), e.grad(node), dx,
            e.accumulate(node, i));
      }
    }
  }

  @Override
  public String architecture(Node node) {
    return "Add";
  }

  @Override
  public String detail(Node node) {
    return String.join(" + ", node.inputs().stream().map(Node::name).toList());
  }
}
