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
