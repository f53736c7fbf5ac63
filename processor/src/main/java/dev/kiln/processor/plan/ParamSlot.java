package dev.kiln.processor.plan;

import java.util.Arrays;

/**
 * A parameter tensor in the flat parameter arena (the gradient arena has the same layout).
 *
 * @param name saved name, e.g. {@code hidden.kernel}
 * @param constant generated offset constant, e.g. {@code HIDDEN_KERNEL}
 * @param initializer name of a {@code dev.kiln.runtime.model.Initializer} constant
 * @param trained false for state (running statistics): saved, never optimized
 */
public record ParamSlot(
    String name,
    String constant,
    int[] shape,
    int offset,
    int length,
    String initializer,
    int fanIn,
    int fanOut,
    boolean trained) {
  public String shapeText() {
    return Arrays.toString(shape);
  }
}
