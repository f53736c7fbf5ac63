package dev.kiln.runtime.kernels;

/**
 * Plain-Java reference of {@link TensorOps}, and its fallback when the Vector API is absent. Same
 * contracts, without argument checks (the facade checks).
 */
public final class ScalarTensorOps {
  private ScalarTensorOps() {}

  /** See {@link TensorOps#add}. */
  public static void add(int count, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff) {
    for (int i = 0; i < count; i++) {
      y[yOff + i] = a[aOff + i] + b[bOff + i];
    }
  }

  /** See {@link TensorOps#accumulate}. */
  public static void accumulate(int count, float[] src, int sOff, float[] dst, int dOff, boolean accumulate) {
    for (int i = 0; i < count; i++) {
      dst[dOff + i] = accumulate ? dst[dOff + i] + src[sOff + i] : src[sOff + i];
    }
  }

  /**
   * For each of n rows: {@code dst[i·dstStride + dstCol, +width) = (accumulate ? dst : 0) + src[i·srcStride + srcCol, +width)};
   * {@link TensorOps#copyColumns} and {@link TensorOps#gatherColumns} in one.
   */
  public static void columns(int n, int width, float[] src, int sOff, int srcStride, int srcCol, float[] dst, int dOff,
      int dstStride, int dstCol, boolean accumulate) {
    for (int r = 0; r < n; r++) {
      accumulate(width, src, sOff + r * srcStride + srcCol, dst, dOff + r * dstStride + dstCol, accumulate);
    }
  }
}
