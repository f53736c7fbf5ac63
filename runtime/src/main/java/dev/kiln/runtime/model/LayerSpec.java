package dev.kiln.runtime.model;

import java.util.List;
import java.util.Map;

/**
 * One layer as the summary and the saved-file metadata describe it.
 *
 * @param name the declaring field's name
 * @param type the op kind: "Input", "Dense", "Conv2D", "Dropout", ...
 * @param inputs names of the layers this one reads, in order (empty for the input)
 * @param outputShape per-sample output shape (batch excluded)
 * @param detail activation or rate, for display only
 * @param attributes the op's attributes, typed, for tools that rebuild the network (ONNX export):
 *     values are {@code Integer}, {@code Double}, {@code Boolean}, {@code String} (enum constants by
 *     name) or {@code List<Integer>}; each op kind documents its keys in its op class
 * @param params the layer's parameter tensors (empty for parameter-free layers)
 * @param trainable whether the layer was declared trainable ({@code @Dense(trainable = false)}
 *     gives false); a model starts with its declared layers frozen and can change that at run time
 *     with {@link Model#freeze} and {@link Model#unfreeze}
 */
public record LayerSpec(
    String name,
    String type,
    List<String> inputs,
    int[] outputShape,
    String detail,
    Map<String, Object> attributes,
    List<ParamSpec> params,
    boolean trainable) {
  public LayerSpec {
    inputs = List.copyOf(inputs);
    outputShape = outputShape.clone();
    attributes = Map.copyOf(attributes);
    params = List.copyOf(params);
  }

  /** A layer of a chain (reading the layer before it) without typed attributes. */
  public LayerSpec(String name, String type, int[] outputShape, String detail, List<ParamSpec> params, boolean trainable) {
    this(name, type, List.of(), outputShape, detail, Map.of(), params, trainable);
  }

  /** A layer declared trainable, of a chain, without typed attributes. */
  public LayerSpec(String name, String type, int[] outputShape, String detail, List<ParamSpec> params) {
    this(name, type, outputShape, detail, params, true);
  }

  /** The attribute {@code key}, or {@code fallback} when the op has none of that name. */
  @SuppressWarnings("unchecked")
  public <T> T attribute(String key, T fallback) {
    Object v = attributes.get(key);
    return v == null ? fallback : (T) v;
  }

  @Override
  public int[] outputShape() {
    return outputShape.clone();
  }

  /** Floats per sample of the output. */
  public int outputSize() {
    int n = 1;
    for (int d : outputShape) {
      n *= d;
    }
    return n;
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
