package dev.kiln.runtime.model;

import java.util.List;

/**
 * Everything the runtime needs to know about a generated network, fixed at compile time.
 *
 * @param network the specification class's simple name
 * @param architecture canonical one-line description of layers and shapes
 * @param architectureHash SHA-256 (hex) of {@code architecture}; saved weights carry it
 * @param inputs floats per input sample (the product of {@code inputShape})
 * @param outputs outputs per sample
 * @param loss training loss
 * @param optimizer declared optimizer
 * @param batchSize default training batch size
 * @param seed default seed
 * @param layers layers in order, the input first
 * @param parameterCount floats in the parameter arena
 * @param activationFloatsPerSample floats of the activation arena per sample of batch capacity
 * @param inputShape shape of one input sample ({@code [inputs]} for vectors, {@code [C, H, W]} for
 *     images), the batch excluded
 * @param activationFixedFloats floats of the activation arena that do not scale with the batch
 *     (per-batch statistics saved for backward), after the per-sample part
 * @param intActivationsPerSample ints of the integer arena (pooling indices) per sample of capacity
 * @param clipping the declared gradient clipping ({@code @Network(clipNorm, clipValue)})
 */
public record ModelSpec(
    String network,
    String architecture,
    String architectureHash,
    int inputs,
    int outputs,
    LossKind loss,
    OptimizerSpec optimizer,
    int batchSize,
    long seed,
    List<LayerSpec> layers,
    int parameterCount,
    int activationFloatsPerSample,
    int[] inputShape,
    int activationFixedFloats,
    int intActivationsPerSample,
    GradientClipSpec clipping) {
  public ModelSpec {
    java.util.Objects.requireNonNull(clipping, "clipping");
    layers = List.copyOf(layers);
    inputShape = inputShape.clone();
    long size = 1;
    for (int d : inputShape) {
      size *= d;
    }
    if (size != inputs) {
      throw new IllegalArgumentException(
          network + ": input shape " + java.util.Arrays.toString(inputShape) + " holds " + size
              + " floats, not " + inputs);
    }
  }

  /** A network without declared gradient clipping. */
  public ModelSpec(
      String network,
      String architecture,
      String architectureHash,
      int inputs,
      int outputs,
      LossKind loss,
      OptimizerSpec optimizer,
      int batchSize,
      long seed,
      List<LayerSpec> layers,
      int parameterCount,
      int activationFloatsPerSample,
      int[] inputShape,
      int activationFixedFloats,
      int intActivationsPerSample) {
    this(network, architecture, architectureHash, inputs, outputs, loss, optimizer, batchSize, seed, layers,
        parameterCount, activationFloatsPerSample, inputShape, activationFixedFloats, intActivationsPerSample,
        GradientClipSpec.NONE);
  }

  /** A network on vector inputs with only per-sample float activations. */
  public ModelSpec(
      String network,
      String architecture,
      String architectureHash,
      int inputs,
      int outputs,
      LossKind loss,
      OptimizerSpec optimizer,
      int batchSize,
      long seed,
      List<LayerSpec> layers,
      int parameterCount,
      int activationFloatsPerSample) {
    this(network, architecture, architectureHash, inputs, outputs, loss, optimizer, batchSize, seed, layers,
        parameterCount, activationFloatsPerSample, new int[] {inputs}, 0, 0, GradientClipSpec.NONE);
  }

  @Override
  public int[] inputShape() {
    return inputShape.clone();
  }

  /** Whether the input holds token ids (declared {@code inputType = TOKENS}), kept in the int arena. */
  public boolean tokenInput() {
    return "tokens".equals(layers.get(0).attributes().get("type"));
  }

  /**
   * Class labels per sample: the steps of a sequence output under softmax cross-entropy (a language
   * model predicts a token at every step), else 1.
   */
  public int labelsPerSample() {
    int[] shape = layers.get(layers.size() - 1).outputShape();
    return loss == LossKind.SOFTMAX_CROSS_ENTROPY && shape.length == 2 ? shape[0] : 1;
  }

  /** Whether the optimizer has anything to train (some parameter is not state). */
  public boolean hasTrainedParameters() {
    return parameters().stream().anyMatch(ParamSpec::trained);
  }

  /** All parameter tensors in arena order. */
  public List<ParamSpec> parameters() {
    return layers.stream().flatMap(l -> l.params().stream()).toList();
  }
}
