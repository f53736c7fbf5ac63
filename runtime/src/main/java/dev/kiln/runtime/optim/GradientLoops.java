package dev.kiln.runtime.optim;

import java.util.Arrays;

/**
 * Scalar reference loops of {@link GradientClipping}: the fallback without the Vector API, and the
 * tails of the vector loops. {@link VectorGradientLoops} evaluates the same float expressions lane by
 * lane, so with as many lanes the results are bitwise equal.
 */
final class GradientLoops {
  private GradientLoops() {}

  /**
   * Σ g[i]² over {@code [from, to)}: per block of {@code block} floats, {@code lanes.length} float
   * accumulators take every full group of lanes ({@code lanes[k] += g[i + k]²}), are added in order
   * in double, then the block's remaining squares are added in double.
   */
  static double sumOfSquares(float[] g, int from, int to, float[] lanes, int block) {
    int width = lanes.length;
    double total = 0;
    for (int start = from; start < to; start += block) {
      int end = Math.min(to, start + block);
      Arrays.fill(lanes, 0f);
      int i = start;
      for (; i <= end - width; i += width) {
        for (int k = 0; k < width; k++) {
          float x = g[i + k];
          lanes[k] += x * x;
        }
      }
      total = addLanes(total, lanes, width);
      total = tail(total, g, i, end);
    }
    return total;
  }

  /** {@code total} + lanes[0] + ... + lanes[width - 1], in double, in order. */
  static double addLanes(double total, float[] lanes, int width) {
    for (int k = 0; k < width; k++) {
      total += lanes[k];
    }
    return total;
  }

  /** {@code total} + Σ g[i]² over {@code [from, to)} in double (each square is exact). */
  static double tail(double total, float[] g, int from, int to) {
    for (int i = from; i < to; i++) {
      total += (double) g[i] * g[i];
    }
    return total;
  }

  /** g[i] *= s over {@code [from, to)}. */
  static void scale(float[] g, int from, int to, float s) {
    for (int i = from; i < to; i++) {
      g[i] *= s;
    }
  }

  /** g[i] = min(max(g[i], -bound), bound) over {@code [from, to)} (NaN stays NaN, as torch.clamp). */
  static void clamp(float[] g, int from, int to, float bound) {
    for (int i = from; i < to; i++) {
      g[i] = Math.min(Math.max(g[i], -bound), bound);
    }
  }
}
