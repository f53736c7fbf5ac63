package dev.kiln.processor.plan;

/**
 * A tensor in one of the arenas. Per-sample tensors live at {@code capacity * perSampleOffset}
 * and hold {@code capacity * width} elements (rows of the batch); per-batch tensors (statistics)
 * live after all per-sample ones, at {@code capacity * ACTIVATION_FLOATS_PER_SAMPLE + offset}.
 *
 * @param constant name of the generated offset constant, e.g. {@code HIDDEN_OUT}
 * @param width elements per sample (per batch for {@link Arena#FIXED})
 * @param perSampleOffset offset per sample of capacity (plain offset for {@link Arena#FIXED})
 * @param description what it holds, for the generated comment
 */
public record TensorSlot(String constant, int width, int perSampleOffset, String description, Arena arena) {
  /** Which arena a tensor lives in. */
  public enum Arena {
    /** Float arena, scaled by the batch capacity. */
    FLOAT,
    /** Float arena, after the per-sample part, not scaled. */
    FIXED,
    /** Int arena, scaled by the batch capacity. */
    INT
  }

  public TensorSlot(String constant, int width, int perSampleOffset, String description) {
    this(constant, width, perSampleOffset, description, Arena.FLOAT);
  }
}
