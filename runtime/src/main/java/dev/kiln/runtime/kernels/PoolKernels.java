package dev.kiln.runtime.kernels;

/**
 * Pooling kernels called by generated code, for a batch of n samples laid out NCHW, each sample
 * contiguous ({@link Pool2dGeometry#inSize()} floats in, {@link Pool2dGeometry#outSize()} out), with
 * PyTorch's semantics ({@code ceil_mode=false}).
 *
 * <p>Every (sample, channel) plane is independent, so the batch is split over {@link Parallelism} by
 * planes and results do not depend on the thread count. The vector path computes the windows that lie
 * wholly inside the input several output columns at a time (a gather when the stride is not 1) and
 * the border windows with the scalar code; the backward passes scatter-add per plane.
 *
 * <p>Saved-state contract: max pooling saves, per output cell, the index of the winning input cell
 * within its sample ({@code c·inH·inW + h·inW + w}) in an int arena; average pooling saves nothing.
 */
public final class PoolKernels {
  private PoolKernels() {}

  /**
   * Max pooling: {@code y[s, c, i, j] = max} over the window's real cells (padded cells never win);
   * ties go to the first cell in row-major window order and a NaN wins, as in PyTorch.
   *
   * @param x input [n, c, inH, inW]
   * @param y output [n, c, outH, outW]
   * @param argmax per output cell, the winner's index within its sample; null when not training
   */
  public static void maxForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff,
      int[] argmax, int argOff) {
    Checks.dims(n);
    Checks.range("x", x, xOff, n, g.inSize());
    Checks.range("y", y, yOff, n, g.outSize());
    Checks.optionalRange("argmax", argmax, argOff, n, g.outSize());
    if (Backend.VECTOR) {
      VectorPoolKernels.maxForward(g, n, x, xOff, y, yOff, argmax, argOff);
    } else {
      ScalarPoolKernels.maxForward(g, n, x, xOff, y, yOff, argmax, argOff);
    }
  }

  /**
   * {@code dx = (accumulate ? dx : 0)}, then each output cell's gradient added to its winner.
   *
   * @param dy gradient of the output [n, c, outH, outW]
   * @param argmax the indices {@link #maxForward} saved
   * @param dx input gradient [n, c, inH, inW]
   * @throws IllegalArgumentException if an index lies outside its output cell's channel
   */
  public static void maxBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] dx, int dxOff, boolean accumulate) {
    Checks.dims(n);
    Checks.range("dy", dy, dyOff, n, g.outSize());
    Checks.range("argmax", argmax, argOff, n, g.outSize());
    Checks.range("dx", dx, dxOff, n, g.inSize());
    if (Backend.VECTOR) {
      VectorPoolKernels.maxBackward(g, n, dy, dyOff, argmax, argOff, dx, dxOff, accumulate);
    } else {
      ScalarPoolKernels.maxBackward(g, n, dy, dyOff, argmax, argOff, dx, dxOff, accumulate);
    }
  }

  /**
   * {@link #maxBackward} with the producer's ReLU derivative folded in: {@code dx = 0}, then output
   * cell k's gradient added to its winner as {@code y[k] <= 0 ? 0 : dy[k]}, where {@code y} is the
   * pooling's output: the winner's value, which is the ReLU's output there. Bitwise equal to {@code
   * maxBackward} followed by {@link Activations#multiplyDerivative} with RELU over {@code dx} and the
   * pooled input (a select, so it commutes with the sum of overlapping windows), without the second
   * pass over {@code dx} and without reading the pooled input, which therefore need not be kept: the
   * generated model fuses such a convolution and pooling in training too ({@link
   * ConvKernels#forwardMaxPooled} with indices). The generated backward calls it when the pooled tensor
   * is a ReLU's output read by the pooling alone.
   *
   * @param dy gradient of the output [n, c, outH, outW]
   * @param argmax the indices {@link #maxForward} saved
   * @param act the producer's activation: RELU only
   * @param y the pooling's output [n, c, outH, outW], as {@link #maxForward} wrote it
   * @param dx gradient of the producer's pre-activation [n, c, inH, inW], overwritten
   * @throws IllegalArgumentException for another activation, or an index outside its output cell's channel
   */
  public static void maxBackwardFolded(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      Activation act, float[] y, int yOff, float[] dx, int dxOff) {
    if (act != Activation.RELU) {
      throw new IllegalArgumentException("max pooling folds only a RELU derivative, not " + act);
    }
    Checks.dims(n);
    Checks.range("dy", dy, dyOff, n, g.outSize());
    Checks.range("argmax", argmax, argOff, n, g.outSize());
    Checks.range("y", y, yOff, n, g.outSize());
    Checks.range("dx", dx, dxOff, n, g.inSize());
    if (Backend.VECTOR) {
      VectorPoolKernels.maxBackwardRelu(g, n, dy, dyOff, argmax, argOff, y, yOff, dx, dxOff);
    } else {
      // The scalar derivative multiplies (signed zeros, NaN), so the reference keeps its two passes.
      ScalarPoolKernels.maxBackwardFolded(g, n, dy, dyOff, argmax, argOff, act, y, yOff, dx, dxOff);
    }
  }

  /**
   * Average pooling with PyTorch's default {@code count_include_pad=true}: the sum of the window's
   * real cells divided by {@code kH·kW}.
   *
   * @param x input [n, c, inH, inW]
   * @param y output [n, c, outH, outW]
   */
  public static void avgForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff) {
    Checks.dims(n);
    Checks.range("x", x, xOff, n, g.inSize());
    Checks.range("y", y, yOff, n, g.outSize());
    if (Backend.VECTOR) {
      VectorPoolKernels.avgForward(g, n, x, xOff, y, yOff);
    } else {
      ScalarPoolKernels.avgForward(g, n, x, xOff, y, yOff);
    }
  }

  /**
   * {@code dx = (accumulate ? dx : 0)}, then each output cell's gradient divided by {@code kH·kW} and
   * added to every real cell of its window.
   *
   * @param dy gradient of the output [n, c, outH, outW]
   * @param dx input gradient [n, c, inH, inW]
   */
  public static void avgBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, float[] dx, int dxOff,
      boolean accumulate) {
    Checks.dims(n);
    Checks.range("dy", dy, dyOff, n, g.outSize());
    Checks.range("dx", dx, dxOff, n, g.inSize());
    if (Backend.VECTOR) {
      VectorPoolKernels.avgBackward(g, n, dy, dyOff, dx, dxOff, accumulate);
    } else {
      ScalarPoolKernels.avgBackward(g, n, dy, dyOff, dx, dxOff, accumulate);
    }
  }

  /**
   * Global average pooling {@code y[s, ch] = mean of x[s, ch, 0..hw)}: [n, c, hw] → [n, c].
   *
   * @param hw cells per channel (H·W)
   */
  public static void globalAvgForward(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
    checkGlobal(n, c, hw);
    Checks.range("x", x, xOff, n * c, hw);
    Checks.range("y", y, yOff, n, c);
    if (Backend.VECTOR) {
      VectorPoolKernels.globalAvgForward(n, c, hw, x, xOff, y, yOff);
    } else {
      ScalarPoolKernels.globalAvgForward(n, c, hw, x, xOff, y, yOff);
    }
  }

  /** {@code dx[s, ch, :] = (accumulate ? dx : 0) + dy[s, ch] / hw}: [n, c] → [n, c, hw]. */
  public static void globalAvgBackward(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff,
      boolean accumulate) {
    checkGlobal(n, c, hw);
    Checks.range("dy", dy, dyOff, n, c);
    Checks.range("dx", dx, dxOff, n * c, hw);
    if (Backend.VECTOR) {
      VectorPoolKernels.globalAvgBackward(n, c, hw, dy, dyOff, dx, dxOff, accumulate);
    } else {
      ScalarPoolKernels.globalAvgBackward(n, c, hw, dy, dyOff, dx, dxOff, accumulate);
    }
  }

  private static void checkGlobal(int n, int c, int hw) {
    Checks.dims(n, c, hw);
    if (hw == 0) {
      throw new IllegalArgumentException("global average pooling over 0 cells");
    }
    if ((long) n * c * hw > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("global average pooling: n·c·hw exceeds 2^31");
    }
  }
}
