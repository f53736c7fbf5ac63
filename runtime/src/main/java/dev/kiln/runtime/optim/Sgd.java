package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.Backend;

/**
* Stochastic gradient descent with the semantics of {@code torch.optim.SGD} (dampening 0):
* {@code g += wd·p; buf = first step ? g : momentum·buf + g; g = nesterov ? g + momentum·buf : buf; p -= lr·g}.
*/
public final class Sgd implements Optimizer {
  private final float momentum;
  private final boolean nesterov;
  private final float weightDecay;
  private final float[] buffer;
  private float lr;
  private long steps;

  /**
  * @param size length of the parameter arena
  * @param momentum 0 for plain SGD (no buffer is kept)
  */
  public Sgd(int size, float lr, float momentum, boolean nesterov, float weightDecay) {
    if (nesterov && momentum <= 0) {
      throw new IllegalArgumentException("Nesterov momentum requires momentum > 0");
    }
    this.lr = lr;
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.buffer = new float[momentum != 0 ? size : 0];
  }

  @Override
  public void step(float[] params, float[] grads, int offset, int length) {
    OptimizerLoops.checkRange(params, grads, offset, length, momentum != 0 ? buffer.length : Integer.MAX_VALUE);
    update(params, grads, offset, length);
    steps++;
  }

  @Override
  public void step(float[] params, float[] grads, int[] ranges) {
    OptimizerLoops.checkRanges(params, grads, ranges, momentum != 0 ? buffer.length : Integer.MAX_VALUE);
    for (int r = 0; r < ranges.length; r += 2) {
      update(params, grads, ranges[r], ranges[r + 1]);
    }
    steps++;
  }

  private void update(float[] params, float[] grads, int offset, int length) {
    boolean first = steps == 0;
    if (Backend.vectorized()) {
      VectorOptimizerLoops.sgd(params, grads, buffer, offset, length, lr, momentum, nesterov, weightDecay, first);
    } else {
      OptimizerLoops.sgd(params, grads, buffer, offset, length, lr, momentum, nesterov, weightDecay, first);
    }
  }

  @Override
  public float learningRate() {
    return lr;
  }

  @Override
  public void setLearningRate(float lr) {
    this.lr = lr;
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public void setSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be at least 0, got " + steps);
    }
    this.steps = steps;
  }

  @Override
  public float[][] state() {
    return new float[][] {buffer};
  }
}
