package dev.kiln.runtime.kernels;

/**
 * Fused dense-layer kernels called by generated code: each is one GEMM whose epilogue (bias, activation,
 * activation derivative, dropout mask) runs on every output tile right after the micro-kernel writes it,
 * while it is still in L1, instead of as separate passes over the output.
 *
 * <p>Saved-state contract: forward saves y (and z when the activation's derivative needs it, i.e. GELU);
 * backward of layer l receives dz (its pre-activation gradient) and produces the previous layer's
 * pre-activation gradient directly by folding that layer's activation derivative into the epilogue.
 */
public final class DenseKernels {
  private DenseKernels() {}

  /**
   * {@code z[n,out] = x[n,in]·w[in,out] + b[out]; y = act(z)} (SOFTMAX: per row).
   *
   * @param b bias, or null for none
   * @param z where to save the pre-activation, or null to write only y
   */
  public static void forward(int n, int in, int out, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    Checks.dims(n, in, out);
    Checks.range("x", x, xOff, n, in);
    Checks.range("w", w, wOff, in, out);
    Checks.optionalRange("b", b, bOff, 1, out);
    Checks.range("y", y, yOff, n, out);
    Checks.optionalRange("z", z, zOff, n, out);
    if (Backend.VECTOR) {
      VectorKernels.denseForward(n, in, out, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
    } else {
      ScalarKernels.denseForward(n, in, out, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
    }
  }

  /**
   * {@code dx[n,in] = (dz[n,out]·w[in,out]ᵀ) ⊙ prevAct'(prevY, prevZ) ⊙ mask}: the gradient of the
   * previous layer's pre-activation. Overwrites dx.
   *
   * @param prevAct the previous layer's activation; LINEAR for none (e.g. the network input)
   * @param prevY the previous layer's output [n,in] (unused for LINEAR and GELU)
   * @param prevZ the previous layer's pre-activation [n,in], only read for GELU
   * @param mask a dropout mask [n,in] (already scaled by 1/keep), or null
   * @throws IllegalArgumentException if prevAct is SOFTMAX (fuse it into the loss instead)
   */
  public static void backwardInput(int n, int in, int out, float[] dz, int dzOff, float[] w, int wOff,
      float[] dx, int dxOff, Activation prevAct, float prevAlpha,
      float[] prevY, int prevYOff, float[] prevZ, int prevZOff,
      float[] mask, int maskOff) {
    if (prevAct == Activation.SOFTMAX) {
      throw new IllegalArgumentException("SOFTMAX before a dense layer has no elementwise derivative");
    }
    Checks.dims(n, in, out);
    Checks.range("dz", dz, dzOff, n, out);
    Checks.range("w", w, wOff, in, out);
    Checks.range("dx", dx, dxOff, n, in);
    if (prevAct == Activation.GELU) {
      Checks.range("prevZ", prevZ, prevZOff, n, in);
    } else if (prevAct != Activation.LINEAR) {
      Checks.range("prevY", prevY, prevYOff, n, in);
    }
    Checks.optionalRange("mask", mask, maskOff, n, in);
    if (Backend.VECTOR) {
      VectorKernels.denseBackwardInput(n, in, out, dz, dzOff, w, wOff, dx, dxOff, prevAct, prevAlpha,
          prevY, prevYOff, prevZ, prevZOff, mask, maskOff);
    } else {
      ScalarKernels.denseBackwardInput(n, in, out, dz, dzOff, w, wOff, dx, dxOff, prevAct, prevAlpha,
          prevY, prevYOff, prevZ, prevZOff, mask, maskOff);
    }
  }

  /**
   * {@code dw[in,out] += x[n,in]ᵀ·dz[n,out]; db[out] += Σrows dz}. Accumulates: the caller zeroes the
   * gradient arena once per step.
   *
   * @param db bias gradient, or null when the layer has no bias
   */
  public static void backwardParams(int n, int in, int out, float[] x, int xOff, float[] dz, int dzOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    Checks.dims(n, in, out);
    Checks.range("x", x, xOff, n, in);
    Checks.range("dz", dz, dzOff, n, out);
    Checks.range("dw", dw, dwOff, in, out);
    Checks.optionalRange("db", db, dbOff, 1, out);
    if (Backend.VECTOR) {
      VectorKernels.denseBackwardParams(n, in, out, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
    } else {
      ScalarKernels.denseBackwardParams(n, in, out, x, xOff, dz, dzOff, dw, dwOff, db, dbOff);
    }
  }
}
