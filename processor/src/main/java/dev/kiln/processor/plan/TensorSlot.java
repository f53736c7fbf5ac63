package dev.kiln.processor.plan;

/**
 * An activation-arena tensor of {@code width} floats per sample. At run time it lives at
 * {@code capacity * perSampleOffset}, {@code capacity * width} floats long (rows of the batch).
 *
 * @param constant name of the generated offset constant, e.g. {@code HIDDEN_OUT}
 * @param description what it holds, for the generated comment
 */
public record TensorSlot(String constant, int width, int perSampleOffset, String description) {}
