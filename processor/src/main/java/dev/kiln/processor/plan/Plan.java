package dev.kiln.processor.plan;

import dev.kiln.processor.ir.Graph;
import java.util.List;

/**
 * Everything the emitter needs: fused groups in forward order, the parameter arena, the
 * activation arena (per-sample offsets), and the architecture identity.
 *
 * @param graph the checked, shape-inferred graph
 * @param groups fused dense groups, forward order
 * @param params parameter tensors in arena order
 * @param parameterCount floats in the parameter (and gradient) arena
 * @param tensors activation-arena tensors in arena order, the input first at offset 0
 * @param activationFloatsPerSample activation-arena floats per sample of capacity
 * @param architecture canonical description (layer names, kinds, sizes, activations)
 * @param architectureHash SHA-256 of {@code architecture}, hex
 */
public record Plan(
    Graph graph,
    List<DenseGroup> groups,
    List<ParamSlot> params,
    int parameterCount,
    List<TensorSlot> tensors,
    int activationFloatsPerSample,
    String architecture,
    String architectureHash) {

  public DenseGroup last() {
    return groups.get(groups.size() - 1);
  }

  public TensorSlot inputTensor() {
    return tensors.get(0);
  }
}
