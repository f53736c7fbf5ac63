package dev.kiln.runtime.kernels;

/**
 * Single-precision matrix multiply in the three layouts dense forward and backward need.
 *
 * <p>All matrices are row-major and contiguous (leading dimension = column count), addressed as an
 * array plus an offset. {@code accumulate} adds into C instead of overwriting it. Large problems are
 * split over {@link Parallelism}; results are bitwise identical for any thread count.
 */
public final class Gemm {
  private Gemm() {}

  /** C[m,n] = (accumulate ? C : 0) + A[m,k]·B[k,n]. */
  public static void nn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      boolean accumulate) {
    check(m, n, k, a, aOff, b, bOff, c, cOff);
    if (Backend.VECTOR) {
      VectorKernels.gemmNn(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    } else {
      ScalarKernels.gemmNn(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  }

  /** C[m,n] = (accumulate ? C : 0) + A[m,k]·B[n,k]ᵀ. */
  public static void nt(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      boolean accumulate) {
    check(m, n, k, a, aOff, b, bOff, c, cOff);
    if (Backend.VECTOR) {
      VectorKernels.gemmNt(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    } else {
      ScalarKernels.gemmNt(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  }

  /** C[m,n] = (accumulate ? C : 0) + A[k,m]ᵀ·B[k,n]. */
  public static void tn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      boolean accumulate) {
    check(m, n, k, a, aOff, b, bOff, c, cOff);
    if (Backend.VECTOR) {
      VectorKernels.gemmTn(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    } else {
      ScalarKernels.gemmTn(m, n, k, a, aOff, b, bOff, c, cOff, accumulate);
    }
  }

  private static void check(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
    Checks.dims(m, n, k);
    Checks.range("A", a, aOff, m, k);
    Checks.range("B", b, bOff, k, n);
    Checks.range("C", c, cOff, m, n);
  }
}
