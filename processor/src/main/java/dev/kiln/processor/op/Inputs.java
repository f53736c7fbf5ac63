package dev.kiln.processor.op;

import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.util.List;

/** Text about an op's inputs for diagnostics. */
final class Inputs {
  private Inputs() {}

  /** {@code 'a' [B, 8, 4, 4], 'b' [B, 16, 4, 4]}. */
  static String describe(Node node, List<Shape> shapes) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < shapes.size(); i++) {
      s.append(i == 0 ? "" : ", ").append('\'').append(node.inputs().get(i).name()).append("' ").append(shapes.get(i));
    }
    return s.toString();
  }
}
