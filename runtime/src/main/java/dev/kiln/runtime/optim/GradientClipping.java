package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.Backend;
import dev.kiln.runtime.kernels.VectorShape;

/**
 * Gradient clipping over the trainable ranges of a gradient arena, with the semantics of PyTorch's
 * {@code torch.nn.utils.clip_grad_norm_} (total L2 norm over all ranges; every gradient multiplied by
 * {@code maxNorm / (norm + 1e-6)} when that is below 1) and {@code clip_grad_value_} (every gradient
 * clamped to {@code [-maxValue, maxValue]}). When both are set the norm is clipped first, from the
 * unclipped gradient, then the values. Floats outside the ranges (frozen layers) are neither read nor
 * written.
 *
 * <p>The sum of squares has a fixed order, so a result is bitwise the same on every run of the same
 * JVM configuration: blocks of 1024 floats in arena order, each summed in as many float
 * lanes as the vector species has (8 without the Vector API), the lanes added in order in double,
 * then the block's tail squares in double. The thread count never changes it. One instance holds
 * the scratch of that sum; it is not thread-safe. Allocates nothing after construction.
 */
public final class GradientClipping {
  /** Floats per block of the sum of squares (a multiple of every vector length). */
  static final int BLOCK = 1024;

  /** Lanes of the scalar sum when the Vector API is absent. */
  static final int SCALAR_LANES = 8;

  private final double maxNorm;
  private final double maxValue;
  private final float[] lanes;

  /**
   * @param maxNorm the largest total L2 norm, or 0 for no norm clipping
   * @param maxValue the largest absolute gradient value, or 0 for no value clipping
   * @throws IllegalArgumentException if a bound is negative, NaN or infinite
   */
  public GradientClipping(double maxNorm, double maxValue) {
    this.maxNorm = check("maxNorm", maxNorm);
    this.maxValue = check("maxValue", maxValue);
    this.lanes = new float[Backend.vectorized() ? VectorShape.FLOAT.length() : SCALAR_LANES];
  }

  /** No clipping (the sums of squares are still available). */
  public static GradientClipping none() {
    return new GradientClipping(0, 0);
  }

  private static double check(String name, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be 0 (off) or positive and finite, got " + v);
    }
    return v;
  }

  /** The largest total norm, 0 when the norm is not clipped. */
  public double maxNorm() {
    return maxNorm;
  }

  /** The largest absolute value, 0 when values are not clipped. */
  public double maxValue() {
    return maxValue;
  }

  /** Whether the total norm is clipped. */
  public boolean clipsNorm() {
    return maxNorm > 0;
  }

  /** Whether anything is clipped. */
  public boolean clips() {
    return maxNorm > 0 || maxValue > 0;
  }

  /** Σ g[i]² over {@code g[offset, offset + length)}, in the fixed order described above. */
  public double sumOfSquares(float[] g, int offset, int length) {
    checkRange(g, offset, length);
    if (Backend.vectorized()) {
      return VectorGradientLoops.sumOfSquares(g, offset, offset + length, lanes, BLOCK);
    }
    return GradientLoops.sumOfSquares(g, offset, offset + length, lanes, BLOCK);
  }

  /** Σ g[i]² over the {@code (offset, length)} pairs of {@code ranges}, range by range in order. */
  public double sumOfSquares(float[] g, int[] ranges) {
    checkRanges(g, ranges);
    double total = 0;
    for (int r = 0; r < ranges.length; r += 2) {
      total += sumOfSquares(g, ranges[r], ranges[r + 1]);
    }
    return total;
  }

  /**
   * Clips {@code g} over {@code ranges} in place.
   *
   * @param norm the total L2 norm of {@code g} over {@code ranges} (the square root of
   *     {@link #sumOfSquares(float[], int[])}); read only when the norm is clipped
   */
  public void clip(float[] g, int[] ranges, double norm) {
    checkRanges(g, ranges);
    if (maxNorm > 0) {
      double coefficient = maxNorm / (norm + 1e-6);
      // clip_grad_norm_ multiplies by the coefficient clamped to 1; multiplying by 1 changes nothing.
      if (coefficient < 1) {
        float scale = (float) coefficient;
        for (int r = 0; r < ranges.length; r += 2) {
          scale(g, ranges[r], ranges[r + 1], scale);
        }
      }
    }
    if (maxValue > 0) {
      float bound = (float) maxValue;
      for (int r = 0; r < ranges.length; r += 2) {
        clamp(g, ranges[r], ranges[r + 1], bound);
      }
    }
  }

  /** Sums the squares over {@code ranges} and clips; returns the total norm before clipping. */
  public double clip(float[] g, int[] ranges) {
    double norm = Math.sqrt(sumOfSquares(g, ranges));
    clip(g, ranges, norm);
    return norm;
  }

  private static void scale(float[] g, int offset, int length, float s) {
    if (Backend.vectorized()) {
      VectorGradientLoops.scale(g, offset, offset + length, s);
    } else {
      GradientLoops.scale(g, offset, offset + length, s);
    }
  }

  private static void clamp(float[] g, int offset, int length, float bound) {
    if (Backend.vectorized()) {
      VectorGradientLoops.clamp(g, offset, offset + length, bound);
    } else {
      GradientLoops.clamp(g, offset, offset + length, bound);
    }
  }

  private static void checkRange(float[] g, int offset, int length) {
    if (offset < 0 || length < 0 || offset > g.length - length) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", " + ((long) offset + length) + ") outside the gradient arena (" + g.length + ")");
    }
  }

  private static void checkRanges(float[] g, int[] ranges) {
    if (ranges.length % 2 != 0) {
      throw new IllegalArgumentException("ranges must be (offset, length) pairs, got " + ranges.length + " ints");
    }
    for (int r = 0; r < ranges.length; r += 2) {
      checkRange(g, ranges[r], ranges[r + 1]);
    }
  }
}
