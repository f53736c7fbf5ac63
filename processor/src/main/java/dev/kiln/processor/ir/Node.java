package dev.kiln.processor.ir;

import java.util.List;

/**
 * One op of the graph. Inputs are other nodes, so the graph is a DAG (residual adds, concatenation
 * and attention will have several inputs). The output shape is filled in by shape inference.
 */
public final class Node {
  private final int id;
  private final String name;
  private final OpKind kind;
  private final List<Node> inputs;
  private final OpAttrs attrs;
  private final Origin origin;
  private Shape shape;

  public Node(int id, String name, OpKind kind, List<Node> inputs, OpAttrs attrs, Origin origin) {
    this.id = id;
    this.name = name;
    this.kind = kind;
    this.inputs = List.copyOf(inputs);
    this.attrs = attrs;
    this.origin = origin;
  }

  public int id() {
    return id;
  }

  /** Layer name: the declaring field's name ("input" for the input). */
  public String name() {
    return name;
  }

  public OpKind kind() {
    return kind;
  }

  public List<Node> inputs() {
    return inputs;
  }

  /** The single input of a unary op. */
  public Node input() {
    if (inputs.size() != 1) {
      throw new IllegalStateException(name + " has " + inputs.size() + " inputs");
    }
    return inputs.get(0);
  }

  public OpAttrs attrs() {
    return attrs;
  }

  public Origin origin() {
    return origin;
  }

  /** Output shape per sample; null before inference. */
  public Shape shape() {
    return shape;
  }

  public void setShape(Shape shape) {
    this.shape = shape;
  }

  @Override
  public String toString() {
    return name + ":" + kind.displayName() + (shape == null ? "" : shape.toString());
  }
}
