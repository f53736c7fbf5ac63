package dev.kiln.processor.op;

import dev.kiln.dsl.Flatten;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;

/** {@code @Flatten}: the same floats seen as a vector (row-major); no code, no memory of its own. */
public final class FlattenOp implements Op {
  public record Attrs() {}

  @Override
  public String kind() {
    return "Flatten";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Flatten.class;
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
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    return Shape.vector(inputs.get(0).size());
  }

  @Override
  public boolean aliasesInput() {
    return true;
  }

  @Override
  public void forward(Node node, Emit e) {
    e.comment("$L: Flatten $L -> $L (same memory, no copy)", node.name(), node.input().shape(), node.shape());
  }

  @Override
  public void backward(Node node, Emit e) {}

  @Override
  public String architecture(Node node) {
    return "Flatten";
  }

  @Override
  public String detail(Node node) {
    return "";
  }
}
