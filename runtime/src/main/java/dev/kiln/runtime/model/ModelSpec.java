package dev.kiln.runtime.model;

import java.util.List;

/**
 * Everything the runtime needs to know about a generated network, fixed at compile time.
 *
 * @param network the specification class's simple name
 * @param architecture canonical one-line description of layers and shapes
 * @param architectureHash SHA-256 (hex) of {@code architecture}; saved weights carry it
 * @param inputs features per sample
 * @param outputs outputs per sample
 * @param loss training loss
 * @param optimizer declared optimizer
 * @param batchSize default training batch size
 * @param seed default seed
 * @param layers layers in order, the input first
 * @param parameterCount floats in the parameter arena
 * @param activationFloatsPerSample floats of the activation arena per sample of batch capacity
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
    int activationFloatsPerSample) {
  public ModelSpec {
    layers = List.copyOf(layers);
  }

  /** All parameter tensors in arena order. */
  public List<ParamSpec> parameters() {
    return layers.stream().flatMap(l -> l.params().stream()).toList();
  }
}
