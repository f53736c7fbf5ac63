package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * Plain-Java reference of {@link PoolKernels}, and its fallback when the Vector API is absent. Same
 * contracts, without argument checks (the facade checks). The per-window helpers are also the vector
 * path's code for border windows.
 */
public final class ScalarPoolKernels {
  private ScalarPoolKernels() {}

  /** See {@link PoolKernels#maxForward}. */
  public static void maxForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff,
      int[] argmax, int argOff) {
    for (int p = 0; p < n * g.c(); p++) {
      maxPlane(g, p, 0, g.outH(), x, xOff, y, yOff, argmax, argOff);
    }
  }

  /** Output rows [i0, i1) of plane p (sample p / c, channel p % c). */
  static void maxPlane(Pool2dGeometry g, int p, int i0, int i1, float[] x, int xOff, float[] y, int yOff,
      int[] argmax, int argOff) {
    int s = p / g.c(), ch = p % g.c(), ow = g.outW();
    int xs = xOff + s * g.inSize();
    int yp = p * g.outH() * ow;
    for (int i = i0; i < i1; i++) {
      for (int j = 0; j < ow; j++) {
        int idx = maxCell(g, x, xs, ch, i, j);
        y[yOff + yp + i * ow + j] = x[xs + idx];
        if (argmax != null) {
          argmax[argOff + yp + i * ow + j] = idx;
        }
      }
    }
  }

  /** Index within the sample of the winner of window (i, j) of channel ch: first maximum, a NaN wins. */
  static int maxCell(Pool2dGeometry g, float[] x, int xs, int ch, int i, int j) {
    int best = -1;
    float max = 0f;
    for (int kh = 0; kh < g.kH(); kh++) {
      int ih = i * g.strideH() - g.padTop() + kh;
      if (ih < 0 || ih >= g.inH()) {
        continue;
      }
      for (int kw = 0; kw < g.kW(); kw++) {
        int iw = j * g.strideW() - g.padLeft() + kw;
        if (iw < 0 || iw >= g.inW()) {
          continue;
        }
        int idx = (ch * g.inH() + ih) * g.inW() + iw;
        float v = x[xs + idx];
        if (best < 0 || v > max || Float.isNaN(v)) {
          best = idx;
          max = v;
        }
      }
    }
    return best;
  }

  /** See {@link PoolKernels#maxBackward}. */
  public static void maxBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] dx, int dxOff, boolean accumulate) {
    for (int p = 0; p < n * g.c(); p++) {
      maxBackwardPlane(g, p, dy, dyOff, argmax, argOff, dx, dxOff, accumulate);
    }
  }

  /** Plane p of {@link #maxBackward}. */
  static void maxBackwardPlane(Pool2dGeometry g, int p, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] dx, int dxOff, boolean accumulate) {
    scatterPlane(g, p, dy, dyOff, argmax, argOff, null, 0, dx, dxOff, accumulate);
  }

  /**
   * Plane p of {@link PoolKernels#maxBackwardFolded} (RELU) with the vector path's derivative {@code
   * y <= 0 ? 0 : g} (see {@code VectorKernels.backwardTile}): output cell k's winner gets {@code y[k] <= 0
   * ? 0 : dy[k]}, y being the pooling's output (its winner's value), added in the order {@link
   * #maxBackwardPlane} adds.
   */
  static void maxBackwardReluPlane(Pool2dGeometry g, int p, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] y, int yOff, float[] dx, int dxOff) {
    scatterPlane(g, p, dy, dyOff, argmax, argOff, y, yOff, dx, dxOff, false);
  }

  /**
   * Plane p of a max pooling's backward: each output cell's gradient added to its winner, in cell
   * order; with the pooling's output {@code y} (non-null) the winner of cell k gets {@code
   * reluSelect(y[k], dy[k])}.
   */
  private static void scatterPlane(Pool2dGeometry g, int p, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] y, int yOff, float[] dx, int dxOff, boolean accumulate) {
    int s = p / g.c(), ch = p % g.c(), inHw = g.inH() * g.inW(), outHw = g.outH() * g.outW();
    int xs = dxOff + s * g.inSize();
    if (!accumulate) {
      Arrays.fill(dx, xs + ch * inHw, xs + (ch + 1) * inHw, 0f);
    }
    int lo = ch * inHw, hi = lo + inHw;
    for (int k = p * outHw; k < (p + 1) * outHw; k++) {
      int idx = argmax[argOff + k];
      if (idx < lo || idx >= hi) {
        throw new IllegalArgumentException("max pooling index " + idx + " of output cell " + k
            + " is outside its channel [" + lo + ", " + hi + ")");
      }
      float d = dy[dyOff + k];
      dx[xs + idx] += y == null ? d : reluSelect(y[yOff + k], d);
    }
  }

  /**
   * The scalar backend's {@link PoolKernels#maxBackwardFolded}: the scatter of {@link #maxBackward},
   * then each winner's sum multiplied by the derivative at the pooling's output {@code y[k]} (its
   * winner's value), as {@link ScalarKernels#multiplyDerivative} multiplies over the pooled input: a
   * winner shared by overlapping windows is multiplied once per window, which gives the same float
   * (the derivative is 0 or 1), and every other cell holds +0, which the multiplication keeps.
   */
  static void maxBackwardFolded(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      Activation act, float[] y, int yOff, float[] dx, int dxOff) {
    maxBackward(g, n, dy, dyOff, argmax, argOff, dx, dxOff, false);
    int outHw = g.outH() * g.outW();
    for (int k = 0; k < n * g.c() * outHw; k++) {
      int s = k / (g.c() * outHw);
      dx[dxOff + s * g.inSize() + argmax[argOff + k]] *= ActivationMath.derivative(act, 0f, y[yOff + k], 0f);
    }
  }

  /**
   * {@code y <= 0 ? +0 : g} without a branch (the winners' signs are a coin toss, and a mispredicted
   * branch per window cost more than the pass it saves): g's bits kept when y is positive (sign clear,
   * nonzero bits) or NaN of either sign, else cleared to +0.
   */
  static float reluSelect(float y, float g) {
    int yb = Float.floatToRawIntBits(y);
    int positive = ~(((yb - 1) | yb) >> 31);
    int nan = (0x7f800000 - (yb & 0x7fffffff)) >> 31;
    return Float.intBitsToFloat(Float.floatToRawIntBits(g) & (positive | nan));
  }

  /** See {@link PoolKernels#avgForward}. */
  public static void avgForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff) {
    for (int p = 0; p < n * g.c(); p++) {
      avgPlane(g, p, 0, g.outH(), x, xOff, y, yOff);
    }
  }

  /** Output rows [i0, i1) of plane p. */
  static void avgPlane(Pool2dGeometry g, int p, int i0, int i1, float[] x, int xOff, float[] y, int yOff) {
    int s = p / g.c(), ch = p % g.c(), ow = g.outW();
    int xs = xOff + s * g.inSize();
    int yp = yOff + p * g.outH() * ow;
    for (int i = i0; i < i1; i++) {
      for (int j = 0; j < ow; j++) {
        y[yp + i * ow + j] = avgCell(g, x, xs, ch, i, j);
      }
    }
  }

  /** Sum of the real cells of window (i, j) of channel ch, in row-major order, divided by kH·kW. */
  static float avgCell(Pool2dGeometry g, float[] x, int xs, int ch, int i, int j) {
    float sum = 0f;
    for (int kh = 0; kh < g.kH(); kh++) {
      int ih = i * g.strideH() - g.padTop() + kh;
      if (ih < 0 || ih >= g.inH()) {
        continue;
      }
      for (int kw = 0; kw < g.kW(); kw++) {
        int iw = j * g.strideW() - g.padLeft() + kw;
        if (iw >= 0 && iw < g.inW()) {
          sum += x[xs + (ch * g.inH() + ih) * g.inW() + iw];
        }
      }
    }
    return sum / (g.kH() * g.kW());
  }

  /** See {@link PoolKernels#avgBackward}. */
  public static void avgBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, float[] dx, int dxOff,
      boolean accumulate) {
    for (int p = 0; p < n * g.c(); p++) {
      avgBackwardPlane(g, p, dy, dyOff, dx, dxOff, accumulate);
    }
  }

  /** Plane p of {@link #avgBackward}. */
  static void avgBackwardPlane(Pool2dGeometry g, int p, float[] dy, int dyOff, float[] dx, int dxOff,
      boolean accumulate) {
    int s = p / g.c(), ch = p % g.c(), inHw = g.inH() * g.inW(), oh = g.outH(), ow = g.outW();
    int xc = dxOff + s * g.inSize() + ch * inHw;
    if (!accumulate) {
      Arrays.fill(dx, xc, xc + inHw, 0f);
    }
    int area = g.kH() * g.kW();
    for (int i = 0; i < oh; i++) {
      for (int j = 0; j < ow; j++) {
        float d = dy[dyOff + (p * oh + i) * ow + j] / area;
        for (int kh = 0; kh < g.kH(); kh++) {
          int ih = i * g.strideH() - g.padTop() + kh;
          if (ih < 0 || ih >= g.inH()) {
            continue;
          }
          for (int kw = 0; kw < g.kW(); kw++) {
            int iw = j * g.strideW() - g.padLeft() + kw;
            if (iw >= 0 && iw < g.inW()) {
              dx[xc + ih * g.inW() + iw] += d;
            }
          }
        }
      }
    }
  }

  /** See {@link PoolKernels#globalAvgForward}. */
  public static void globalAvgForward(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
    for (int p = 0; p < n * c; p++) {
      float sum = 0f;
      for (int k = 0; k < hw; k++) {
        sum += x[xOff + p * hw + k];
      }
      y[yOff + p] = sum / hw;
    }
  }

  /** See {@link PoolKernels#globalAvgBackward}. */
  public static void globalAvgBackward(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff,
      boolean accumulate) {
    for (int p = 0; p < n * c; p++) {
      float d = dy[dyOff + p] / hw;
      for (int k = 0; k < hw; k++) {
        int at = dxOff + p * hw + k;
        dx[at] = accumulate ? dx[at] + d : d;
      }
    }
  }
}
