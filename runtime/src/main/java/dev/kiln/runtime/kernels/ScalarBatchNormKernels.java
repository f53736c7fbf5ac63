package dev.kiln.runtime.kernels;

/**
 * Plain-Java reference of {@link BatchNormKernels}, and its fallback when the Vector API is absent:
 * sums in double, one element at a time. Same contracts, without argument checks (the facade checks).
 */
public final class ScalarBatchNormKernels {
  private ScalarBatchNormKernels() {}

  /** See {@link BatchNormKernels#trainForward}. */
  public static void trainForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float momentum, float[] runMean, int rmOff, float[] runVar, int rvOff,
      float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] y, int yOff) {
    long count = (long) n * hw;
    for (int ch = 0; ch < c; ch++) {
      double sum = 0;
      for (int s = 0; s < n; s++) {
        for (int k = 0; k < hw; k++) {
          sum += x[xOff + (s * c + ch) * hw + k];
        }
      }
      float mean = (float) (sum / count);
      double sq = 0;
      for (int s = 0; s < n; s++) {
        for (int k = 0; k < hw; k++) {
          double d = x[xOff + (s * c + ch) * hw + k] - mean;
          sq += d * d;
        }
      }
      double var = sq / count;
      float invStd = (float) (1 / Math.sqrt(var + eps));
      saveMean[smOff + ch] = mean;
      saveInvStd[siOff + ch] = invStd;
      runMean[rmOff + ch] = (1 - momentum) * runMean[rmOff + ch] + momentum * mean;
      runVar[rvOff + ch] = (1 - momentum) * runVar[rvOff + ch] + momentum * (float) (var * count / (count - 1));
      normalize(n, c, hw, ch, x, xOff, mean, invStd, gamma[gOff + ch], beta[bOff + ch], y, yOff);
    }
  }

  /** See {@link BatchNormKernels#evalForward}. */
  public static void evalForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float[] runMean, int rmOff, float[] runVar, int rvOff, float[] y, int yOff) {
    for (int ch = 0; ch < c; ch++) {
      float invStd = (float) (1 / Math.sqrt((double) runVar[rvOff + ch] + eps));
      normalize(n, c, hw, ch, x, xOff, runMean[rmOff + ch], invStd, gamma[gOff + ch], beta[bOff + ch], y, yOff);
    }
  }

  private static void normalize(int n, int c, int hw, int ch, float[] x, int xOff, float mean, float invStd,
      float gamma, float beta, float[] y, int yOff) {
    for (int s = 0; s < n; s++) {
      for (int k = 0; k < hw; k++) {
        int at = (s * c + ch) * hw + k;
        y[yOff + at] = gamma * ((x[xOff + at] - mean) * invStd) + beta;
      }
    }
  }

  /** See {@link BatchNormKernels#evalBackward}; the scale is the one {@link #evalForward} applies. */
  public static void evalBackward(int n, int c, int hw, float[] dy, int dyOff, float[] gamma, int gOff, float eps,
      float[] runVar, int rvOff, float[] dx, int dxOff, boolean accumulate) {
    for (int ch = 0; ch < c; ch++) {
      float invStd = (float) (1 / Math.sqrt((double) runVar[rvOff + ch] + eps));
      float scale = gamma[gOff + ch] * invStd;
      for (int s = 0; s < n; s++) {
        int at = (s * c + ch) * hw;
        if (accumulate) {
          for (int k = 0; k < hw; k++) {
            dx[dxOff + at + k] += dy[dyOff + at + k] * scale;
          }
        } else {
          for (int k = 0; k < hw; k++) {
            dx[dxOff + at + k] = dy[dyOff + at + k] * scale;
          }
        }
      }
    }
  }

  /** See {@link BatchNormKernels#backward}. */
  public static void backward(int n, int c, int hw, float[] x, int xOff, float[] dy, int dyOff, float[] gamma,
      int gOff, float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] dx, int dxOff,
      boolean accumulate, float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
    long count = (long) n * hw;
    for (int ch = 0; ch < c; ch++) {
      float mean = saveMean[smOff + ch], invStd = saveInvStd[siOff + ch];
      double sumDy = 0, sumDyXhat = 0;
      for (int s = 0; s < n; s++) {
        for (int k = 0; k < hw; k++) {
          int at = (s * c + ch) * hw + k;
          sumDy += dy[dyOff + at];
          sumDyXhat += (double) dy[dyOff + at] * ((x[xOff + at] - mean) * invStd);
        }
      }
      dbeta[dbOff + ch] += (float) sumDy;
      dgamma[dgOff + ch] += (float) sumDyXhat;
      float meanDy = (float) (sumDy / count), meanDyXhat = (float) (sumDyXhat / count);
      float scale = gamma[gOff + ch] * invStd;
      for (int s = 0; dx != null && s < n; s++) {
        for (int k = 0; k < hw; k++) {
          int at = (s * c + ch) * hw + k;
          float xhat = (x[xOff + at] - mean) * invStd;
          float g = scale * (dy[dyOff + at] - meanDy - xhat * meanDyXhat);
          dx[dxOff + at] = accumulate ? dx[dxOff + at] + g : g;
        }
      }
    }
  }
}
