package dev.kiln.runtime.kernels;

/**
 * Elementwise helpers for graph ops that are not layers: the residual Add and the channel Concat
 * (a sample of a concatenation along channels is the inputs' samples side by side, so concat is a
 * copy of column blocks and its backward a copy back). Large calls are split over {@link Parallelism}
 * in fixed blocks of elements or rows; every element is written by one task, so results do not depend
 * on the thread count.
 */
public final class TensorOps {
  private TensorOps() {}

  /** {@code y[count] = a + b}; y may be a or b. */
  public static void add(int count, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff) {
    Checks.dims(count);
    Checks.range("a", a, aOff, 1, count);
    Checks.range("b", b, bOff, 1, count);
    Checks.range("y", y, yOff, 1, count);
    if (Backend.VECTOR) {
      VectorTensorOps.add(count, a, aOff, b, bOff, y, yOff);
    } else {
      ScalarTensorOps.add(count, a, aOff, b, bOff, y, yOff);
    }
  }

  /** {@code dst[count] = (accumulate ? dst : 0) + src}: hands a gradient on, adding when dst already holds one. */
  public static void accumulate(int count, float[] src, int sOff, float[] dst, int dOff, boolean accumulate) {
    Checks.dims(count);
    Checks.range("src", src, sOff, 1, count);
    Checks.range("dst", dst, dOff, 1, count);
    if (Backend.VECTOR) {
      VectorTensorOps.accumulate(count, src, sOff, dst, dOff, accumulate);
    } else {
      ScalarTensorOps.accumulate(count, src, sOff, dst, dOff, accumulate);
    }
  }

  /**
   * For each of n rows: {@code dst[i·dstStride + dstCol, +width) = src[i·srcStride, +width)}. Concat's
   * forward: each input's sample (width floats, row stride srcStride) lands at column dstCol of the
   * output's sample (row stride dstStride).
   */
  public static void copyColumns(int n, int width, float[] src, int sOff, int srcStride, float[] dst, int dOff,
      int dstStride, int dstCol) {
    checkColumns(n, width, srcStride, 0, dstStride, dstCol);
    Checks.range("src", src, sOff, 1, span(n, srcStride, 0, width));
    Checks.range("dst", dst, dOff, 1, span(n, dstStride, dstCol, width));
    if (Backend.VECTOR) {
      VectorTensorOps.columns(n, width, src, sOff, srcStride, 0, dst, dOff, dstStride, dstCol, false);
    } else {
      ScalarTensorOps.columns(n, width, src, sOff, srcStride, 0, dst, dOff, dstStride, dstCol, false);
    }
  }

  /**
   * The backward of {@link #copyColumns}: for each of n rows,
   * {@code dst[i·dstStride, +width) = (accumulate ? dst : 0) + src[i·srcStride + srcCol, +width)}.
   */
  public static void gatherColumns(int n, int width, float[] src, int sOff, int srcStride, int srcCol, float[] dst,
      int dOff, int dstStride, boolean accumulate) {
    checkColumns(n, width, srcStride, srcCol, dstStride, 0);
    Checks.range("src", src, sOff, 1, span(n, srcStride, srcCol, width));
    Checks.range("dst", dst, dOff, 1, span(n, dstStride, 0, width));
    if (Backend.VECTOR) {
      VectorTensorOps.columns(n, width, src, sOff, srcStride, srcCol, dst, dOff, dstStride, 0, accumulate);
    } else {
      ScalarTensorOps.columns(n, width, src, sOff, srcStride, srcCol, dst, dOff, dstStride, 0, accumulate);
    }
  }

  private static void checkColumns(int n, int width, int srcStride, int srcCol, int dstStride, int dstCol) {
    Checks.dims(n, width);
    Checks.dims(srcCol, dstCol);
    if (srcCol + width > srcStride || dstCol + width > dstStride) {
      throw new IllegalArgumentException("columns [" + srcCol + ", " + (srcCol + width) + ") of rows of "
          + srcStride + " to columns [" + dstCol + ", " + (dstCol + width) + ") of rows of " + dstStride
          + ": a block must fit in its row");
    }
  }

  /** Floats from the first row's start to the end of the last row's block (0 for no rows). */
  private static int span(int n, int stride, int col, int width) {
    long end = n == 0 ? 0 : (long) (n - 1) * stride + col + width;
    if (end > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("rows span more than 2^31 floats");
    }
    return (int) end;
  }
}
