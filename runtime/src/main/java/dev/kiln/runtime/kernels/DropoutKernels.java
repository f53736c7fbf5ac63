package dev.kiln.runtime.kernels;

/**
 * Inverted dropout. The mask holds the per-element scale (0 or 1/(1-rate)) so that the backward
 * pass multiplies by it directly (see {@link DenseKernels#backwardInput}).
 */
public final class DropoutKernels {
  private DropoutKernels() {}

  /**
   * mask[i] = (u_i ≥ rate) / (1-rate) with u_i uniform from {@code rng}; out[i] = x[i]·mask[i], for
   * {@code len} elements.
   */
  public static void forward(
      SplitMix64 rng,
      float rate,
      float[] x,
      int xOff,
      float[] mask,
      int maskOff,
      float[] out,
      int outOff,
      int len) {
    float keep = 1f / (1f - rate);
    for (int i = 0; i < len; i++) {
      float m = rng.nextFloat() >= rate ? keep : 0f;
      mask[maskOff + i] = m;
      out[outOff + i] = x[xOff + i] * m;
    }
  }

  /**
   * {@code dx[i] = (accumulate ? dx[i] : 0) + dy[i]·mask[i]} for {@code len} elements: the backward of
   * {@link #forward} when it cannot be folded into a dense layer's input gradient.
   */
  public static void backward(
      int len, float[] dy, int dyOff, float[] mask, int maskOff, float[] dx, int dxOff, boolean accumulate) {
    Checks.range("dy", dy, dyOff, 1, len);
    Checks.range("mask", mask, maskOff, 1, len);
    Checks.range("dx", dx, dxOff, 1, len);
    if (accumulate) {
      for (int i = 0; i < len; i++) {
        dx[dxOff + i] += dy[dyOff + i] * mask[maskOff + i];
      }
    } else {
      for (int i = 0; i < len; i++) {
        dx[dxOff + i] = dy[dyOff + i] * mask[maskOff + i];
      }
    }
  }
}
