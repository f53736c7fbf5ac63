package dev.kiln.processor.op;

import dev.kiln.dsl.Network;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;

/**
 * The network input; the batch is loaded into its tensor before forward runs: floats at offset 0 of
 * the float arena, or token ids at offset 0 of the int arena. Attributes: {@code shape}, and
 * {@code type: tokens} for token ids.
 */
public final class InputOp implements Op {
  /**
   * @param shape per-sample shape
   * @param tokens whether it holds token ids ({@code InputType.TOKENS})
   */
  public record Attrs(Shape shape, boolean tokens) {
    /** A float input. */
    public Attrs(Shape shape) {
      this(shape, false);
    }
  }

  /** Whether {@code node} is the network input holding token ids. */
  public static boolean holdsTokens(Node node) {
    return node.op() instanceof InputOp && node.attrs(Attrs.class).tokens();
  }

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
  public String streamRefusal(Node node) {
    return null;
  }

  @Override
  public void forward(Node node, Emit e) {}

  @Override
  public void backward(Node node, Emit e) {}

  @Override
  public String architecture(Node node) {
    return (holdsTokens(node) ? "tokens[" : "input[") + node.shape().compact() + "]";
  }

  @Override
  public String detail(Node node) {
    return "";
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("shape", Attributes.list(node.shape().dims()));
    if (holdsTokens(node)) {
      m.put("type", "tokens");
    }
    return m;
  }
}
