package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.Backend;

/**
 * Adam / AdamW with the semantics of {@code torch.optim.Adam} and {@code torch.optim.AdamW}:
 * {@code m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)}.
 * Weight decay is L2 ({@code g += wd·p}) for Adam, or decoupled ({@code p *= 1 - lr·wd} first) for AdamW.
 */
public final class Adam extends BaseOptimizer {
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final boolean decoupled;
  private final float[] m;
  private final float[] v;

  /** @param decoupledWeightDecay true for AdamW */
  public Adam(int size, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupledWeightDecay) {
    super(lr);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.decoupled = decoupledWeightDecay;
    this.m = new float[size];
    this.v = new float[size];
  }

  @Override
  int stateLength() {
    return m.length;
  }

  @Override
  void update(float[] params, float[] grads, int offset, int length) {
    long t = steps + 1;
    // Scalars in double, as PyTorch computes them on the host in Python floats.
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    float stepSize = (float) (lr / bc1);
    float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
    float decay = decoupled ? (float) (1 - (double) lr * weightDecay) : 1f;
    float l2 = decoupled ? 0f : weightDecay;
    if (Backend.vectorized()) {
      VectorOptimizerLoops.adam(params, grads, m, v, offset, length, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
    } else {
      OptimizerLoops.adam(params, grads, m, v, offset, length, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
    }
  }

  @Override
  public float[][] state() {
    return new float[][] {m, v};
  }
}
