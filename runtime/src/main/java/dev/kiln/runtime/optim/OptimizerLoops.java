package dev.kiln.runtime.optim;

/**
 * Scalar reference loops of the optimizers: the fallback without the Vector API, and the tails of the
 * vector loops. The vector loops evaluate the same float expressions lane by lane.
 */
final class OptimizerLoops {
  private OptimizerLoops() {}

  static void checkRange(float[] params, float[] grads, int offset, int length, int stateLength) {
    if (offset < 0 || length < 0 || offset + length > params.length || offset + length > grads.length
        || offset + length > stateLength) {
      throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + length) + ") outside params ("
          + params.length + "), grads (" + grads.length + ") or optimizer state");
    }
  }

  static void checkRanges(float[] params, float[] grads, int[] ranges, int stateLength) {
    if (ranges.length % 2 != 0) {
      throw new IllegalArgumentException(
          "ranges must be (offset, length) pairs, got " + ranges.length + " ints");
    }
    for (int r = 0; r < ranges.length; r += 2) {
      checkRange(params, grads, ranges[r], ranges[r + 1], stateLength);
    }
  }

  /** SGD over p[offset, offset+length); see {@link Sgd}. */
  static void sgd(float[] p, float[] g, float[] buf, int offset, int length, float lr, float momentum,
          boolean nesterov, float wd, boolean first) {
    sgdRange(p, g, buf, offset, offset + length, lr, momentum, nesterov, wd, first);
  }

  static void sgdRange(float[] p, float[] g, float[] buf, int from, int to, float lr, float momentum,
      boolean nesterov, float wd, boolean first) {
    for (int i = from; i < to; i++) {
      float gi = g[i] + wd * p[i];
      if (momentum != 0) {
        float b = first ? gi : momentum * buf[i] + gi;
        buf[i] = b;
        gi = nesterov ? gi + momentum * b : b;
      }
      p[i] -= lr * gi;
    }
  }

  /**
   * Adam over p[offset, offset+length); see {@link Adam}. {@code decay} is AdamW's 1 - lr·wd (1 for Adam),
   * {@code l2} Adam's coupled weight decay (0 for AdamW).
   */
  static void adam(float[] p, float[] g, float[] m, float[] v, int offset, int length, float beta1, float beta2,
          float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
    adamRange(p, g, m, v, offset, offset + length, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
  }

  static void adamRange(float[] p, float[] g, float[] m, float[] v, int from, int to, float beta1, float beta2,
      float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
    float omb1 = 1f - beta1, omb2 = 1f - beta2;
    for (int i = from; i < to; i++) {
      float pi = p[i] * decay;
      float gi = g[i] + l2 * pi;
      float mi = beta1 * m[i] + omb1 * gi;
      float vi = beta2 * v[i] + omb2 * (gi * gi);
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
    }
  }
}
