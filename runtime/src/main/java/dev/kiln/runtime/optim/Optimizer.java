package dev.kiln.runtime.optim;

/**
 * Updates a flat parameter arena in place from its gradient arena, one fused loop per step.
 *
 * <p>Generated code calls {@code step(params, grads, 0, size)} once per training step; a sub-range
 * {@code [offset, offset + length)} is supported (each call counts as one step for the step counter).
 */
public interface Optimizer {
  /** params[offset, offset+length) -= update(grads[offset, offset+length), state). */
  void step(float[] params, float[] grads, int offset, int length);

  /**
   * One step over several disjoint ranges of the arena, {@code ranges = {offset0, length0, offset1,
   * length1, ...}}: the same update as {@link #step(float[], float[], int, int)} applied to each
   * range, counted as one step. Floats outside the ranges, and their optimizer state, are not read
   * or written; this is how frozen layers stay bitwise unchanged. With one range covering the arena
   * it equals the whole-arena step bit for bit.
   *
   * @throws IllegalArgumentException if {@code ranges} has odd length
   * @throws IndexOutOfBoundsException if a range lies outside the arena or the optimizer state
   */
  void step(float[] params, float[] grads, int[] ranges);

  float learningRate();

  void setLearningRate(float lr);

  /** Steps taken so far (Adam's bias correction uses it). */
  long steps();

  /**
   * Sets the step counter, when resuming from a checkpoint together with the buffers of
   * {@link #state()}.
   *
   * @throws IllegalArgumentException if {@code steps} is negative
   */
  void setSteps(long steps);

  /** The moment buffers, indexed like the parameter arena, for checkpoints (live arrays, not copies). */
  float[][] state();
}
