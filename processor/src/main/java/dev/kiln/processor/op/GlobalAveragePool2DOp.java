package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.GlobalAveragePool2D;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;

/** {@code @GlobalAveragePool2D}: {@code [C, H, W] → [C]}, the mean of each channel. */
public final class GlobalAveragePool2DOp implements Op {
  public record Attrs() {}

  @Override
  public String kind() {
    return "GlobalAveragePool2D";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return GlobalAveragePool2D.class;
  }

  @Override
  public Object read(Annotation annotation) {
    return new Attrs();
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.REDUCTION;
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    return Spatial.requireImage(node, "@GlobalAveragePool2D", x, out) ? Shape.vector(x.dim(0)) : null;
  }

  @Override
  public void forward(Node node, Emit e) {
    Shape x = node.input().shape();
    e.comment("$L: mean of each channel $L -> $L", node.name(), x, node.shape());
    e.statement("$T.globalAvgForward(n, $L, $L, $L, $L)", PoolOp.POOL, x.dim(0), x.dim(1) * x.dim(2), e.in(node, 0),
        e.out(node));
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    Shape x = node.input().shape();
    e.comment("g($L) $L g / (H·W) over each channel", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
    e.statement("$T.globalAvgBackward(n, $L, $L, $L, $L, $L)", PoolOp.POOL, x.dim(0), x.dim(1) * x.dim(2), e.grad(node),
        dx, e.accumulate(node, 0));
  }

  @Override
  public String architecture(Node node) {
    return "GlobalAveragePool2D";
  }

  @Override
  public String detail(Node node) {
    return "";
  }
}
