package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Concat;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;

/** {@code @Concat}: tensors joined along a sample's first axis (channels, or features). */
public final class ConcatOp implements Op {
  public record Attrs() {}

  @Override
  public String kind() {
    return "Concat";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Concat.class;
  }

  @Override
  public Object read(Annotation annotation) {
    return new Attrs();
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OPAQUE;
  }

  @Override
  public boolean variadic() {
    return true;
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    int[] dims = inputs.get(0).dims();
    for (int i = 1; i < inputs.size(); i++) {
      int[] d = inputs.get(i).dims();
      boolean fits = d.length == dims.length;
      for (int k = 1; fits && k < d.length; k++) {
        fits = d[k] == dims[k];
      }
      if (!fits) {
        out.report(Message.INPUT_SHAPES, node, "from", "@Concat", node.name(), "equal shapes in every axis but the first",
            Inputs.describe(node, inputs));
        return null;
      }
      dims[0] += d[0];
    }
    return new Shape(dims);
  }

  @Override
  public void forward(Node node, Emit e) {
    int total = node.shape().size();
    e.comment("$L: concatenation of $L -> $L", node.name(), node.inputs().stream().map(Node::name).toList(), node.shape());
    int column = 0;
    for (int i = 0; i < node.inputs().size(); i++) {
      int width = node.inputs().get(i).shape().size();
      e.statement("$T.copyColumns(n, $L, $L, $L, $L, $L, $L)", Emit.kernel("TensorOps"), width, e.in(node, i), width,
          e.out(node), total, column);
      column += width;
    }
  }

  @Override
  public void backward(Node node, Emit e) {
    int total = node.shape().size();
    int column = 0;
    for (int i = 0; i < node.inputs().size(); i++) {
      int width = node.inputs().get(i).shape().size();
      CodeBlock dx = e.inputGrad(node, i);
      if (dx != null) {
        e.comment("g($L) $L g[:, $L:$L]", node.inputs().get(i).name(), e.accumulate(node, i) ? "+=" : "=", column,
            column + width);
        e.statement("$T.gatherColumns(n, $L, $L, $L, $L, $L, $L, $L)", Emit.kernel("TensorOps"), width, e.grad(node), total,
            column, dx, width, e.accumulate(node, i));
      }
      column += width;
    }
  }

  @Override
  public String architecture(Node node) {
    return "Concat";
  }

  @Override
  public String detail(Node node) {
    return String.join(", ", node.inputs().stream().map(Node::name).toList());
  }
}
