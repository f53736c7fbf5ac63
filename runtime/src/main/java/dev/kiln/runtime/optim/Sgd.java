package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.Backend;

/**
 * Stochastic gradient descent with the semantics of {@code torch.optim.SGD} (dampening 0):
 * {@code g += wd·p; buf = first step ? g : momentum·buf + g; g = nesterov ? g + momentum·buf : buf; p -= lr·g}.
 */
public final class Sgd extends BaseOptimizer {
  private final float momentum;
  private final boolean nesterov;
  private final float weightDecay;
  private final float[] buffer;

  /**
   * @param size length of the parameter arena
   * @param momentum 0 for plain SGD (no buffer is kept)
   */
  public Sgd(int size, float lr, float momentum, boolean nesterov, float weightDecay) {
    if (nesterov && momentum <= 0) {
      throw new IllegalArgumentException("Nesterov momentum requires momentum > 0");
    }
    super(lr);
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
    this.buffer = new float[momentum != 0 ? size : 0];
  }

  @Override
  int stateLength() {
    return momentum != 0 ? buffer.length : Integer.MAX_VALUE;
  }

  @Override
  void update(float[] params, float[] grads, int offset, int length) {
    boolean first = steps == 0;
    if (Backend.vectorized()) {
      VectorOptimizerLoops.sgd(params, grads, buffer, offset, length, lr, momentum, nesterov, weightDecay, first);
    } else {
      OptimizerLoops.sgd(params, grads, buffer, offset, length, lr, momentum, nesterov, weightDecay, first);
    }
  }

  @Override
  public float[][] state() {
    return new float[][] {buffer};
  }
}
