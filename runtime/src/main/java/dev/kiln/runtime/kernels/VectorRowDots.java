package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API version of {@link RowDots}: four rows of B per pass share each load of A's row; each
 * dot product keeps lanewise partial sums and adds the lanes in order at the end
 * ({@code reduceLanes(ADD)} may add them in another order in each JIT tier). Loaded only when
 * {@link Backend#VECTOR} is true.
 */
final class VectorRowDots {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  /** This thread's lanes of four partial sums: grown once, never shrunk, so calls allocate nothing. */
  private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * L]);

  private VectorRowDots() {}

  static void add(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
    int kv = k - k % L;
    // The partial sums go through an array, not a method parameter: a vector passed to a method
    // that C2 does not inline is boxed.
    float[] lanes = LANES.get();
    for (int i = 0; i < m; i++) {
      int ar = aOff + i * k, cr = cOff + i * n;
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        int b0 = bOff + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int p = 0; p < kv; p += L) {
          FloatVector x = FloatVector.fromArray(S, a, ar + p);
          s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
          s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
          s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
          s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
        }
        s0.intoArray(lanes, 0);
        s1.intoArray(lanes, L);
        s2.intoArray(lanes, 2 * L);
        s3.intoArray(lanes, 3 * L);
        c[cr + j] += finish(lanes, 0, a, ar, b, b0, kv, k);
        c[cr + j + 1] += finish(lanes, L, a, ar, b, b1, kv, k);
        c[cr + j + 2] += finish(lanes, 2 * L, a, ar, b, b2, kv, k);
        c[cr + j + 3] += finish(lanes, 3 * L, a, ar, b, b3, kv, k);
      }
      for (; j < n; j++) {
        int br = bOff + j * k;
        FloatVector s = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L) {
          s = FloatVector.fromArray(S, a, ar + p).fma(FloatVector.fromArray(S, b, br + p), s);
        }
        s.intoArray(lanes, 0);
        c[cr + j] += finish(lanes, 0, a, ar, b, br, kv, k);
      }
    }
  }

  /** The lanes {@code lanes[from, from + L)} added in order, then the tail {@code [kv, k)} element by element. */
  private static float finish(float[] lanes, int from, float[] a, int ar, float[] b, int br, int kv, int k) {
    float t = 0f;
    for (int lane = 0; lane < L; lane++) {
      t += lanes[from + lane];
    }
    for (int p = kv; p < k; p++) {
      t = Math.fma(a[ar + p], b[br + p], t);
    }
    return t;
  }
}
