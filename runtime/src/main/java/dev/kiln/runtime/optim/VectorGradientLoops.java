package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.VectorShape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link GradientLoops}; loaded only when the module is present. Same
 * expressions (no fma; the lanes are stored and added in order rather than by {@code reduceLanes},
 * whose order is unspecified), so results match the scalar loops with as many lanes bitwise.
 */
final class VectorGradientLoops {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  private VectorGradientLoops() {}

  /** See {@link GradientLoops#sumOfSquares}; {@code lanes} holds at least {@code L} floats. */
  static double sumOfSquares(float[] g, int from, int to, float[] lanes, int block) {
    double total = 0;
    for (int start = from; start < to; start += block) {
      int end = Math.min(to, start + block);
      FloatVector acc = FloatVector.zero(S);
      int i = start;
      for (; i <= end - L; i += L) {
        FloatVector x = FloatVector.fromArray(S, g, i);
        acc = acc.add(x.mul(x));
      }
      acc.intoArray(lanes, 0);
      total = GradientLoops.addLanes(total, lanes, L);
      total = GradientLoops.tail(total, g, i, end);
    }
    return total;
  }

  static void scale(float[] g, int from, int to, float s) {
    int i = from;
    for (; i <= to - L; i += L) {
      FloatVector.fromArray(S, g, i).mul(s).intoArray(g, i);
    }
    GradientLoops.scale(g, i, to, s);
  }

  static void clamp(float[] g, int from, int to, float bound) {
    int i = from;
    for (; i <= to - L; i += L) {
      FloatVector.fromArray(S, g, i).max(-bound).min(bound).intoArray(g, i);
    }
    GradientLoops.clamp(g, i, to, bound);
  }
}
