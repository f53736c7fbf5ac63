package dev.kiln.processor.op;

import dev.kiln.dsl.Network;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;

/** The network input; the batch is loaded into its tensor before forward runs. Attributes: {@code shape}. */
public final class InputOp implements Op {
  /** @param shape per-sample shape */
  public record Attrs(Shape shape) {}

  @Override
  public String kind() {
    return "Input";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Network.class;
  }

  @Override
  public Object read(Annotation annotation) {
    throw new UnsupportedOperationException("the reader builds the input from @Network");
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OPAQUE;
  }

  @Override
  public int arity() {
    return 0;
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    return node.attrs(Attrs.class).shape();
  }

  @Override
  public void forward(Node node, Emit e) {}

  @Override
  public void backward(Node node, Emit e) {}

  @Override
  public String architecture(Node node) {
    return "input[" + node.shape().compact() + "]";
  }

  @Override
  public String detail(Node node) {
    return "";
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    return Map.of("shape", Attributes.list(node.shape().dims()));
  }
}
