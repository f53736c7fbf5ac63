package dev.kiln.processor.ir;

import dev.kiln.processor.op.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One op of the graph: a layer declaration read from its annotation. Its inputs are other nodes, so
 * the graph is a DAG (residual adds and concatenation read two or more). The output shape is filled
 * in by shape inference.
 */
public final class Node {
  private final int id;
  private final String name;
  private final Op op;
  private final Object attrs;
  private final Set<String> explicit;
  private final List<String> from;
  private final Origin origin;
  private final List<Node> inputs = new ArrayList<>();
  private final List<Node> consumers = new ArrayList<>();
  private Shape shape;

  /**
   * @param attrs the op's typed attributes (a record of the op class)
   * @param explicit annotation attributes the user wrote (the rest are defaults)
   * @param from input layer names the user wrote (empty: the previous layer)
   */
  public Node(int id, String name, Op op, Object attrs, Set<String> explicit, List<String> from, Origin origin) {
    this.id = id;
    this.name = name;
    this.op = op;
    this.attrs = attrs;
    this.explicit = Set.copyOf(explicit);
    this.from = List.copyOf(from);
    this.origin = origin;
  }

  /** Position in declaration order (the input is 0). */
  public int id() {
    return id;
  }

  /** Layer name: the declaring field's name ("input" for the input). */
  public String name() {
    return name;
  }

  public Op op() {
    return op;
  }

  /** The op's attribute record, cast to its type. */
  public <T> T attrs(Class<T> type) {
    return type.cast(attrs);
  }

  public Object attrs() {
    return attrs;
  }

  /** Whether the user wrote annotation attribute {@code attribute}. */
  public boolean isExplicit(String attribute) {
    return explicit.contains(attribute);
  }

  /** Input names as declared with {@code from} (empty: the previous layer). */
  public List<String> from() {
    return from;
  }

  public Origin origin() {
    return origin;
  }

  /** Nodes this one reads, in order; wired by the reader. */
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

  /** Nodes that read this one's output (one entry per read). */
  public List<Node> consumers() {
    return consumers;
  }

  /** Adds {@code input} as the next input of this node. */
  public void addInput(Node input) {
    inputs.add(input);
    input.consumers.add(this);
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
    return name + ":" + op.kind() + (shape == null ? "" : shape.toString());
  }
}
