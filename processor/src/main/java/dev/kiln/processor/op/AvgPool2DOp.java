package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.AvgPool2D;
import dev.kiln.processor.ir.Node;
import java.lang.annotation.Annotation;

/** {@code @AvgPool2D}: the mean of each window, padded cells counted as zeros (PyTorch's default). */
public final class AvgPool2DOp extends PoolOp {
  @Override
  public String kind() {
    return "AvgPool2D";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return AvgPool2D.class;
  }

  @Override
  public Object read(Annotation annotation) {
    AvgPool2D p = (AvgPool2D) annotation;
    return attrs(p.size(), p.stride(), p.padding(), p.pad());
  }

  @Override
  public void forward(Node node, Emit e) {
    String g = geometryConstant(node, e);
    e.comment("$L", comment(node));
    e.statement("$T.avgForward($L, n, $L, $L)", POOL, g, e.in(node, 0), e.out(node));
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    String g = geometryConstant(node, e);
    e.comment("g($L) $L g spread evenly over each window", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
    e.statement("$T.avgBackward($L, n, $L, $L, $L)", POOL, g, e.grad(node), dx, e.accumulate(node, 0));
  }
}
