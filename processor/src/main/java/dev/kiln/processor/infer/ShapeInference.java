package dev.kiln.processor.infer;

import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import dev.kiln.processor.ir.Shape;

/**
 * Computes the static per-sample output shape of every node (the batch stays a run-time
 * dimension). Runs on checked graphs only, so sizes are positive.
 */
public final class ShapeInference {
  private ShapeInference() {}

  public static void infer(Graph graph) {
    for (Node node : graph.nodes()) {
      node.setShape(
          switch (node.attrs()) {
            case OpAttrs.Input in -> Shape.vector(in.size());
            case OpAttrs.Dense d -> {
              Shape x = node.input().shape();
              if (x.rank() != 1) {
                throw new IllegalStateException(
                    node.name() + ": Dense needs a rank-1 input, got " + x);
              }
              yield Shape.vector(d.units());
            }
            case OpAttrs.Dropout d -> node.input().shape();
          });
    }
  }
}
