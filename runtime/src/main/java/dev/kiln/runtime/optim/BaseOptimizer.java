package dev.kiln.runtime.optim;

/**
 * What every optimizer shares: the learning rate, the step count, range checks, and one step as one
 * update per range followed by one count. Subclasses supply the update of a single range.
 */
abstract class BaseOptimizer implements Optimizer {
  /** The current learning rate; schedules may change it between steps. */
  protected float lr;
  /** Steps taken so far; during {@link #update} the step being taken is {@code steps + 1}. */
  protected long steps;

  BaseOptimizer(float lr) {
    this.lr = lr;
  }

  /** Floats of per-parameter state, which bounds the ranges a step may touch; MAX_VALUE if none. */
  abstract int stateLength();

  /** The update of step {@code steps + 1} over {@code params[offset, offset + length)}. */
  abstract void update(float[] params, float[] grads, int offset, int length);

  @Override
  public final void step(float[] params, float[] grads, int offset, int length) {
    OptimizerLoops.checkRange(params, grads, offset, length, stateLength());
    update(params, grads, offset, length);
    steps++;
  }

  @Override
  public final void step(float[] params, float[] grads, int[] ranges) {
    OptimizerLoops.checkRanges(params, grads, ranges, stateLength());
    for (int r = 0; r < ranges.length; r += 2) {
      update(params, grads, ranges[r], ranges[r + 1]);
    }
    steps++;
  }

  @Override
  public final float learningRate() {
    return lr;
  }

  @Override
  public final void setLearningRate(float lr) {
    this.lr = lr;
  }

  @Override
  public final long steps() {
    return steps;
  }

  @Override
  public final void setSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be at least 0, got " + steps);
    }
    this.steps = steps;
  }
}
