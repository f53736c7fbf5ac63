package dev.kiln.runtime.model;

import java.util.List;

/**
 * One layer as the summary and the saved-file metadata describe it.
 *
 * @param name the declaring field's name
 * @param type "Input", "Dense", "Dropout", ...
 * @param outputShape per-sample output shape (batch excluded)
 * @param detail activation or rate, for display
 * @param params the layer's parameter tensors (empty for parameter-free layers)
 */
public record LayerSpec(
    String name, String type, int[] outputShape, String detail, List<ParamSpec> params) {
  public LayerSpec {
    outputShape = outputShape.clone();
    params = List.copyOf(params);
  }

  @Override
  public int[] outputShape() {
    return outputShape.clone();
  }

  /** Number of trainable floats of this layer. */
  public int parameterCount() {
    int n = 0;
    for (ParamSpec p : params) {
      n += p.length();
    }
    return n;
  }
}
