package dev.kiln.runtime.kernels;

/**
 * 2-D convolution kernels called by generated code, for a batch of n samples laid out NCHW, each
 * sample contiguous ({@link Conv2dGeometry#inSize()} floats in, {@link Conv2dGeometry#outSize()} out).
 *
 * <p>The vector path lowers each sample to GEMMs (im2col): per group,
 * {@code y[outC/g, OH·OW] = W[outC/g, CKK] · col[CKK, OH·OW]} with {@code CKK = inC/g·kH·kW}, bias and
 * activation applied to the sample's output while it is still in cache; a 1x1 stride-1 unpadded
 * convolution skips im2col (x already is that matrix). The forward pass of an ungrouped, unpadded
 * stride-1 convolution runs a direct kernel instead, which reads each patch entry as a shifted window
 * of the input and sums in im2col's order (bitwise the same result); at inference, a convolution
 * followed by a 2x2 pooling can pool that kernel's tiles while they are in cache
 * ({@link #forwardMaxPooled}). The im2col buffers are per worker thread and
 * grow once. Forward and the input gradient split the batch over {@link Parallelism} by sample; the
 * weight gradient splits over rows of the weight matrix and sums the samples in order, so every
 * result is bitwise identical for any thread count.
 *
 * <p>Saved-state contract: forward saves y (and z, the pre-activation, when the activation's derivative
 * needs it, i.e. GELU); backward receives dy, the gradient of the pre-activation output (the caller
 * folds the activation's derivative in, see {@link Activations#multiplyDerivative}), and x.
 */
public final class ConvKernels {
  private ConvKernels() {}

  /**
   * {@code z = conv(x, w) + b; y = act(z)} for n samples.
   *
   * @param x input [n, inC, inH, inW]
   * @param w weights [outC, inC/groups, kH, kW]
   * @param b bias [outC], or null for none
   * @param act any activation but SOFTMAX
   * @param alpha LEAKY_RELU's negative slope (ignored by the others)
   * @param y output [n, outC, outH, outW]
   * @param z where to save the pre-activation [n, outC, outH, outW], or null to write only y
   * @throws IllegalArgumentException for SOFTMAX (apply it with {@link Activations#apply} on a flattened tensor)
   */
  public static void forward(Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    if (act == Activation.SOFTMAX) {
      throw new IllegalArgumentException("conv2d: SOFTMAX is not an elementwise activation; apply it separately");
    }
    checkForward(g, n, x, xOff, w, wOff, b, bOff, y, yOff);
    Checks.optionalRange("z", z, zOff, n, g.outSize());
    if (Backend.VECTOR) {
      VectorConvKernels.forward(g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
    } else {
      ScalarConvKernels.forward(g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
    }
  }

  /**
   * A convolution whose only reader is a max pooling: {@code p = maxpool(act(conv(x, w) + b))} for n
   * samples, bitwise what {@link #forward} then {@link PoolKernels#maxForward} give, the winners' indices
   * included. Where the vector path can (an ungrouped, unpadded stride-1 convolution, RELU or no
   * activation, no pre-activation to save, a 2x2 stride-2 unpadded window), each tile of the convolution
   * is pooled while it is in the core's cache, and y is neither written nor read; otherwise the two
   * kernels run one after the other through y. {@code -Dkiln.conv.fusePooling=false} always takes the
   * second way. In training the backward then must not read y: the pooling's folded ReLU derivative
   * reads the pooled output instead ({@link PoolKernels#maxBackwardFolded}).
   *
   * @param g the convolution
   * @param pool the pooling of the convolution's output ({@code pool.c, inH, inW} = {@code g.outC, outH, outW})
   * @param y the convolution's output tensor [n, outC, outH, outW], a workspace when the pair is not fused
   * @param z where to save the pre-activation, or null (see {@link #forward}); a pre-activation to
   *     save is never fused
   * @param p pooled output [n, outC, pool.outH, pool.outW]
   * @param argmax per pooled cell, the winner's index within its sample of y, as {@link
   *     PoolKernels#maxForward} records it; null at inference
   * @throws IllegalArgumentException when pool does not match g's output, or for SOFTMAX
   */
  public static void forwardMaxPooled(Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff, float[] w,
      int wOff, float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] p, int pOff, int[] argmax, int argOff) {
    forwardPooled(true, g, pool, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff, p, pOff, argmax, argOff);
  }

  /** {@link #forwardMaxPooled} without indices (inference). */
  public static void forwardMaxPooled(Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff, float[] w,
      int wOff, float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] p, int pOff) {
    forwardPooled(true, g, pool, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff, p, pOff, null, 0);
  }

  /**
   * {@link #forwardMaxPooled} for average pooling: {@code p = avgpool(act(conv(x, w) + b))}, bitwise
   * what {@link #forward} then {@link PoolKernels#avgForward} give; fused on the same conditions.
   */
  public static void forwardAvgPooled(Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff, float[] w,
      int wOff, float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] p, int pOff) {
    forwardPooled(false, g, pool, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff, p, pOff, null, 0);
  }

  private static void forwardPooled(boolean max, Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff,
      float[] w, int wOff, float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] p, int pOff, int[] argmax, int argOff) {
    checkPoolReads(g, pool);
    if (!Backend.VECTOR || !VectorConvKernels.fusesPooling(g, pool, act, z != null)) {
      forward(g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
      if (max) {
        PoolKernels.maxForward(pool, n, y, yOff, p, pOff, argmax, argOff);
      } else {
        PoolKernels.avgForward(pool, n, y, yOff, p, pOff);
      }
      return;
    }
    checkForward(g, n, x, xOff, w, wOff, b, bOff, y, yOff);
    Checks.range("p", p, pOff, n, pool.outSize());
    Checks.optionalRange("argmax", argmax, argOff, n, pool.outSize());
    VectorConvKernels.forwardPooled(max, g, pool, n, x, xOff, w, wOff, b, bOff, act, p, pOff, argmax, argOff);
  }

  /** A fused call's pooling must read the convolution's output. */
  private static void checkPoolReads(Conv2dGeometry g, Pool2dGeometry pool) {
    if (pool.c() != g.outC() || pool.inH() != g.outH() || pool.inW() != g.outW()) {
      throw new IllegalArgumentException("conv2d + pool2d: the pooling reads [" + pool.c() + ", " + pool.inH() + ", "
          + pool.inW() + "] but the convolution writes [" + g.outC() + ", " + g.outH() + ", " + g.outW() + "]");
    }
  }

  /** The argument checks every forward entry point shares: n, and x, w, b (optional) and y against g. */
  private static void checkForward(Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b,
      int bOff, float[] y, int yOff) {
    Checks.dims(n);
    Checks.range("x", x, xOff, n, g.inSize());
    Checks.range("w", w, wOff, 1, g.weightSize());
    Checks.optionalRange("b", b, bOff, 1, g.outC());
    Checks.range("y", y, yOff, n, g.outSize());
  }

  /**
   * {@code dx = (accumulate ? dx : 0) + ∂L/∂x}, the transposed convolution of dy with w.
   *
   * @param dy gradient of the pre-activation output [n, outC, outH, outW]
   * @param w weights [outC, inC/groups, kH, kW]
   * @param dx input gradient [n, inC, inH, inW]
   * @param accumulate add into dx (a tensor read by several consumers) instead of overwriting it
   */
  public static void backwardInput(Conv2dGeometry g, int n, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    Checks.dims(n);
    Checks.range("dy", dy, dyOff, n, g.outSize());
    Checks.range("w", w, wOff, 1, g.weightSize());
    Checks.range("dx", dx, dxOff, n, g.inSize());
    if (Backend.VECTOR) {
      VectorConvKernels.backwardInput(g, n, dy, dyOff, w, wOff, dx, dxOff, accumulate);
    } else {
      ScalarConvKernels.backwardInput(g, n, dy, dyOff, w, wOff, dx, dxOff, accumulate);
    }
  }

  /**
   * {@code dw += Σsamples dy ⋆ x; db += Σsamples,pixels dy}. Always accumulates: the caller zeroes the
   * gradient arena once per step. The samples are summed in order, whatever the thread count.
   *
   * @param x input [n, inC, inH, inW]
   * @param dy gradient of the pre-activation output [n, outC, outH, outW]
   * @param dw weight gradient [outC, inC/groups, kH, kW]
   * @param db bias gradient [outC], or null when the layer has no bias
   */
  public static void backwardParams(Conv2dGeometry g, int n, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    Checks.dims(n);
    Checks.range("x", x, xOff, n, g.inSize());
    Checks.range("dy", dy, dyOff, n, g.outSize());
    Checks.range("dw", dw, dwOff, 1, g.weightSize());
    Checks.optionalRange("db", db, dbOff, 1, g.outC());
    if (Backend.VECTOR) {
      VectorConvKernels.backwardParams(g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff);
    } else {
      ScalarConvKernels.backwardParams(g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff);
    }
  }

  /**
   * The weight (and bias) gradient of a convolution whose output only a max pooling reads, with the
   * pooling's backward folded in: {@code dy} = the pooled gradient dp scattered to its winners (with
   * act RELU, each as {@code p[k] <= 0 ? 0 : dp[k]} from the pooled output, as {@link
   * PoolKernels#maxBackwardFolded}; with LINEAR as {@link PoolKernels#maxBackward}), then {@code dw +=
   * conv(x, dy)}, {@code db += Σ dy}, bitwise what those two kernels and {@link #backwardParams} give.
   * Where the vector path can (an ungrouped, unpadded convolution: the implicit weight gradient), each
   * sample's dy is scattered into a per-thread buffer that the sample's tiles read at once, and the dy
   * tensor is neither written nor read (FashionCnn's first convolution: its 11 MB output gradient at
   * batch 128); otherwise the kernels run one after the other through it. The generated backward calls
   * it when the convolution's input needs no gradient (a network's first layer), which would need dy.
   *
   * @param pool the pooling of the convolution's output
   * @param dp gradient of the pooled output [n, outC, pool.outH, pool.outW]
   * @param argmax the indices the pooling saved
   * @param act the convolution's activation, RELU (its derivative folded) or LINEAR
   * @param p the pooled output [n, outC, pool.outH, pool.outW] (read with RELU only)
   * @param dy gradient of the convolution's output [n, outC, outH, outW], a workspace
   * @throws IllegalArgumentException for another activation, a pooling that does not read the
   *     convolution's output, or an index outside its output cell's channel
   */
  public static void backwardParamsMaxPooled(Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff,
      float[] dp, int dpOff, int[] argmax, int argOff, Activation act, float[] p, int pOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    if (act != Activation.RELU && act != Activation.LINEAR) {
      throw new IllegalArgumentException("conv2d + max pooling backward folds RELU or nothing, not " + act);
    }
    checkPoolReads(g, pool);
    Checks.dims(n);
    Checks.range("dp", dp, dpOff, n, pool.outSize());
    Checks.range("argmax", argmax, argOff, n, pool.outSize());
    Checks.range("x", x, xOff, n, g.inSize());
    Checks.range("dw", dw, dwOff, 1, g.weightSize());
    Checks.optionalRange("db", db, dbOff, 1, g.outC());
    if (act == Activation.RELU) {
      Checks.range("p", p, pOff, n, pool.outSize());
    }
    if (!Backend.VECTOR || !VectorConvKernels.fusesPoolingBackward(g)) {
      if (act == Activation.RELU) {
        PoolKernels.maxBackwardFolded(pool, n, dp, dpOff, argmax, argOff, act, p, pOff, dy, dyOff);
      } else {
        PoolKernels.maxBackward(pool, n, dp, dpOff, argmax, argOff, dy, dyOff, false);
      }
      backwardParams(g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff);
      return;
    }
    VectorConvKernels.backwardParamsMaxPooled(g, pool, n, x, xOff, dp, dpOff, argmax, argOff,
        act == Activation.RELU ? p : null, pOff, dw, dwOff, db, dbOff);
  }
}
