package dev.kiln.runtime.kernels;

/** Standalone activation passes, for ops that cannot fuse them into a GEMM epilogue. */
public final class Activations {
  private Activations() {}

  /** {@code y[rows,cols] = act(z[rows,cols])}; SOFTMAX per row, max-subtracted; y == z (in place) allowed. */
  public static void apply(Activation act, float alpha, float[] z, int zOff, float[] y, int yOff, int rows, int cols) {
    Checks.dims(rows, cols);
    Checks.range("z", z, zOff, rows, cols);
    Checks.range("y", y, yOff, rows, cols);
    if (Backend.VECTOR) {
      VectorKernels.applyActivation(act, alpha, z, zOff, y, yOff, rows, cols);
    } else {
      ScalarKernels.applyActivation(act, alpha, z, zOff, y, yOff, rows, cols);
    }
  }

  /**
   * {@code g[len] *= act'(...)}, from y (or from z for GELU, the only one that reads z).
   *
   * @throws IllegalArgumentException for SOFTMAX, whose backward is fused into the loss
   */
  public static void multiplyDerivative(Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] g, int gOff, int len) {
    if (act == Activation.SOFTMAX) {
      throw new IllegalArgumentException("SOFTMAX has no elementwise derivative; fuse it into the loss");
    }
    Checks.dims(len);
    Checks.range("g", g, gOff, 1, len);
    if (act == Activation.GELU) {
      Checks.range("z", z, zOff, 1, len);
    } else if (act != Activation.LINEAR) {
      Checks.range("y", y, yOff, 1, len);
    }
    if (Backend.VECTOR) {
      VectorKernels.multiplyDerivative(act, alpha, y, yOff, z, zOff, g, gOff, len);
    } else {
      ScalarKernels.multiplyDerivative(act, alpha, y, yOff, z, zOff, g, gOff, len);
    }
  }
}
