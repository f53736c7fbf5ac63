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
 * @param trainable whether the layer was declared trainable ({@code @Dense(trainable = false)}
 *     gives false); a model starts with its declared layers frozen and can change that at run time
 *     with {@link Model#freeze} and {@link Model#unfreeze}
 */
public record LayerSpec(
    String name,
    String type,
    int[] outputShape,
    String detail,
    List<ParamSpec> params,
    boolean trainable) {
  public LayerSpec {
    outputShape = outputShape.clone();
    params = List.copyOf(params);
  }

  /** A layer declared trainable. */
  public LayerSpec(String name, String type, int[] outputShape, String detail, List<ParamSpec> params) {
    this(name, type, outputShape, detail, params, true);
  }

  @Override
  public int[] outputShape() {
    return outputShape.clone();
  }

  /** Whether the layer has parameter tensors (only those can be frozen or transferred). */
  public boolean hasParameters() {
    return !params.isEmpty();
  }

  /** Number of parameter floats of this layer. */
  public int parameterCount() {
    int n = 0;
    for (ParamSpec p : params) {
      n += p.length();
    }
    return n;
  }
}
