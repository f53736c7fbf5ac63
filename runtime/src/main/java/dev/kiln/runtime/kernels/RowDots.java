package dev.kiln.runtime.kernels;

/**
 * {@code C[m, n] += A[m, k]·B[n, k]ᵀ} as one dot product per element, reading B in its own row-major
 * layout: the product of a few rows (a generated token's state) with a weight matrix stored as
 * PyTorch stores it, with no transposed copy. Each dot product sums in a fixed order on both
 * backends and in every JIT tier (lanewise partial sums, then the lanes in order), so the results do
 * not depend on when the JIT compiled the code.
 */
final class RowDots {
  private RowDots() {}

  static void add(boolean vector, int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
    if (vector) {
      VectorRowDots.add(m, n, k, a, aOff, b, bOff, c, cOff);
      return;
    }
    for (int i = 0; i < m; i++) {
      int ar = aOff + i * k;
      for (int j = 0; j < n; j++) {
        int br = bOff + j * k;
        float s = 0f;
        for (int p = 0; p < k; p++) {
          s = Math.fma(a[ar + p], b[br + p], s);
        }
        c[cOff + i * n + j] += s;
      }
    }
  }
}
