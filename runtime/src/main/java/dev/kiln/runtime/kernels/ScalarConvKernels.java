package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * Plain-Java reference of {@link ConvKernels}, and its fallback when the Vector API is absent: the
 * convolution written out as its definition (no im2col), so it checks the vector path independently.
 * Same contracts, without argument checks (the facade checks).
 */
public final class ScalarConvKernels {
  private ScalarConvKernels() {}

  /** See {@link ConvKernels#forward}. */
  public static void forward(Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    int oh = g.outH(), ow = g.outW(), cin = g.groupInC(), cout = g.groupOutC();
    for (int s = 0; s < n; s++) {
      int xs = xOff + s * g.inSize();
      int ys = s * g.outSize();
      for (int o = 0; o < g.outC(); o++) {
        int c0 = o / cout * cin;
        int wo = wOff + o * cin * g.kH() * g.kW();
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            float sum = b != null ? b[bOff + o] : 0f;
            for (int c = 0; c < cin; c++) {
              for (int kh = 0; kh < g.kH(); kh++) {
                int ih = i * g.strideH() - g.padTop() + kh * g.dilationH();
                if (ih < 0 || ih >= g.inH()) {
                  continue;
                }
                for (int kw = 0; kw < g.kW(); kw++) {
                  int iw = j * g.strideW() - g.padLeft() + kw * g.dilationW();
                  if (iw >= 0 && iw < g.inW()) {
                    sum += w[wo + (c * g.kH() + kh) * g.kW() + kw] * x[xs + ((c0 + c) * g.inH() + ih) * g.inW() + iw];
                  }
                }
              }
            }
            int at = ys + (o * oh + i) * ow + j;
            if (z != null) {
              z[zOff + at] = sum;
            }
            y[yOff + at] = ActivationMath.apply(act, alpha, sum);
          }
        }
      }
    }
  }

  /** See {@link ConvKernels#backwardInput}. */
  public static void backwardInput(Conv2dGeometry g, int n, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    if (!accumulate) {
      Arrays.fill(dx, dxOff, dxOff + n * g.inSize(), 0f);
    }
    int oh = g.outH(), ow = g.outW(), cin = g.groupInC(), cout = g.groupOutC();
    for (int s = 0; s < n; s++) {
      int xs = dxOff + s * g.inSize();
      int ys = dyOff + s * g.outSize();
      for (int o = 0; o < g.outC(); o++) {
        int c0 = o / cout * cin;
        int wo = wOff + o * cin * g.kH() * g.kW();
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            float d = dy[ys + (o * oh + i) * ow + j];
            for (int c = 0; c < cin; c++) {
              for (int kh = 0; kh < g.kH(); kh++) {
                int ih = i * g.strideH() - g.padTop() + kh * g.dilationH();
                if (ih < 0 || ih >= g.inH()) {
                  continue;
                }
                for (int kw = 0; kw < g.kW(); kw++) {
                  int iw = j * g.strideW() - g.padLeft() + kw * g.dilationW();
                  if (iw >= 0 && iw < g.inW()) {
                    dx[xs + ((c0 + c) * g.inH() + ih) * g.inW() + iw] += w[wo + (c * g.kH() + kh) * g.kW() + kw] * d;
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /** See {@link ConvKernels#backwardParams}. */
  public static void backwardParams(Conv2dGeometry g, int n, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    int oh = g.outH(), ow = g.outW(), cin = g.groupInC(), cout = g.groupOutC();
    for (int s = 0; s < n; s++) {
      int xs = xOff + s * g.inSize();
      int ys = dyOff + s * g.outSize();
      for (int o = 0; o < g.outC(); o++) {
        int c0 = o / cout * cin;
        int wo = dwOff + o * cin * g.kH() * g.kW();
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            float d = dy[ys + (o * oh + i) * ow + j];
            if (db != null) {
              db[dbOff + o] += d;
            }
            for (int c = 0; c < cin; c++) {
              for (int kh = 0; kh < g.kH(); kh++) {
                int ih = i * g.strideH() - g.padTop() + kh * g.dilationH();
                if (ih < 0 || ih >= g.inH()) {
                  continue;
                }
                for (int kw = 0; kw < g.kW(); kw++) {
                  int iw = j * g.strideW() - g.padLeft() + kw * g.dilationW();
                  if (iw >= 0 && iw < g.inW()) {
                    dw[wo + (c * g.kH() + kh) * g.kW() + kw] += x[xs + ((c0 + c) * g.inH() + ih) * g.inW() + iw] * d;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
