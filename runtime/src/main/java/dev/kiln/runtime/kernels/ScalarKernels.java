package dev.kiln.runtime.kernels;

/**
 * Plain-Java reference implementation of every kernel, and the fallback when the Vector API is absent.
 *
 * <p>Same contracts as {@link Gemm}, {@link DenseKernels}, {@link Activations} and {@link Losses}
 * (without argument checks: the facades check). Loops are written for clarity first, cache order second.
 */
public final class ScalarKernels {
  private ScalarKernels() {}

  // ---- GEMM -------------------------------------------------------------------------------

  /** C[m,n] (+)= A[m,k]·B[k,n]. */
  public static void gemmNn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * n;
      if (!accumulate) {
        java.util.Arrays.fill(c, ci, ci + n, 0f);
      }
      for (int p = 0; p < k; p++) {
        float aip = a[aOff + i * k + p];
        int bp = bOff + p * n;
        for (int j = 0; j < n; j++) {
          c[ci + j] += aip * b[bp + j];
        }
      }
    }
  }

  /** C[m,n] (+)= A[m,k]·B[n,k]ᵀ. */
  public static void gemmNt(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float sum = 0f;
        for (int p = 0; p < k; p++) {
          sum += a[aOff + i * k + p] * b[bOff + j * k + p];
        }
        int ci = cOff + i * n + j;
        c[ci] = accumulate ? c[ci] + sum : sum;
      }
    }
  }

  /** C[m,n] (+)= A[k,m]ᵀ·B[k,n]. */
  public static void gemmTn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
    }
    for (int p = 0; p < k; p++) {
      int bp = bOff + p * n;
      for (int i = 0; i < m; i++) {
        float api = a[aOff + p * m + i];
        int ci = cOff + i * n;
        for (int j = 0; j < n; j++) {
          c[ci + j] += api * b[bp + j];
        }
      }
    }
  }

  // ---- dense layer ------------------------------------------------------------------------

  /** See {@link DenseKernels#forward}. */
  public static void denseForward(int n, int in, int out, float[] x, int xOff, float[] w, int wOff,
      float[] b, int bOff, Activation act, float alpha,
      float[] y, int yOff, float[] z, int zOff) {
    float[] t = z != null ? z : y;
    int tOff = z != null ? zOff : yOff;
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < out; j++) {
        t[tOff + r * out + j] = b != null ? b[bOff + j] : 0f;
      }
    }
    gemmNn(n, out, in, x, xOff, w, wOff, t, tOff, true);
    applyActivation(act, alpha, t, tOff, y, yOff, n, out);
  }

  /** See {@link DenseKernels#backwardInput}. */
  public static void denseBackwardInput(int n, int in, int out, float[] dz, int dzOff, float[] w, int wOff,
      float[] dx, int dxOff, Activation prevAct, float prevAlpha,
      float[] prevY, int prevYOff, float[] prevZ, int prevZOff,
      float[] mask, int maskOff) {
    gemmNt(n, in, out, dz, dzOff, w, wOff, dx, dxOff, false);
    multiplyDerivative(prevAct, prevAlpha, prevY, prevYOff, prevZ, prevZOff, dx, dxOff, n * in);
    if (mask != null) {
      for (int i = 0; i < n * in; i++) {
        dx[dxOff + i] *= mask[maskOff + i];
      }
    }
  }

  /** See {@link DenseKernels#backwardParams}. */
  public static void denseBackwardParams(int n, int in, int out, float[] x, int xOff, float[] dz, int dzOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    gemmTn(in, out, n, x, xOff, dz, dzOff, dw, dwOff, true);
    if (db != null) {
      for (int r = 0; r < n; r++) {
        for (int j = 0; j < out; j++) {
          db[dbOff + j] += dz[dzOff + r * out + j];
        }
      }
    }
  }

  // ---- activations ------------------------------------------------------------------------

  /** See {@link Activations#apply}. */
  public static void applyActivation(Activation act, float alpha, float[] z, int zOff, float[] y, int yOff,
      int rows, int cols) {
    if (act == Activation.SOFTMAX) {
      for (int r = 0; r < rows; r++) {
        ActivationMath.softmaxRow(z, zOff + r * cols, y, yOff + r * cols, cols);
      }
      return;
    }
    int len = rows * cols;
    for (int i = 0; i < len; i++) {
      y[yOff + i] = ActivationMath.apply(act, alpha, z[zOff + i]);
    }
  }

  /** See {@link Activations#multiplyDerivative}. */
  public static void multiplyDerivative(Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] g, int gOff, int len) {
    if (act == Activation.LINEAR) {
      return;
    }
    for (int i = 0; i < len; i++) {
      float yi = y != null ? y[yOff + i] : 0f;
      float zi = act == Activation.GELU ? z[zOff + i] : 0f;
      g[gOff + i] *= ActivationMath.derivative(act, alpha, yi, zi);
    }
  }

  // ---- losses -----------------------------------------------------------------------------

  /** See {@link Losses#softmaxCrossEntropy}. */
  public static double softmaxCrossEntropy(int n, int classes, float[] logits, int lOff, int[] labels, int labOff,
      float[] probs, int pOff, float[] grad, int gOff, float gradScale) {
    double total = 0;
    for (int r = 0; r < n; r++) {
      int label = labels[labOff + r];
      Losses.checkLabel(r, label, classes);
      int row = lOff + r * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < classes; j++) {
        max = Math.max(max, logits[row + j]);
      }
      // Each exponential once, kept in double for the division below.
      double[] e = exponentials(classes);
      double sum = 0;
      for (int j = 0; j < classes; j++) {
        e[j] = Math.exp(logits[row + j] - max);
        sum += e[j];
      }
      double logSum = Math.log(sum);
      total += logSum + max - logits[row + label];
      for (int j = 0; j < classes; j++) {
        float p = (float) (e[j] / sum);
        if (probs != null) {
          probs[pOff + r * classes + j] = p;
        }
        if (grad != null) {
          grad[gOff + r * classes + j] = (j == label ? p - 1f : p) * gradScale;
        }
      }
    }
    return total;
  }

  /** This thread's row of exponentials for {@link #softmaxCrossEntropy}: grown when too small, never shrunk. */
  private static final ThreadLocal<double[]> EXPONENTIALS = ThreadLocal.withInitial(() -> new double[0]);

  private static double[] exponentials(int size) {
    double[] e = EXPONENTIALS.get();
    if (e.length < size) {
      e = new double[size];
      EXPONENTIALS.set(e);
    }
    return e;
  }

  /** See {@link Losses#sigmoidBinaryCrossEntropy}. */
  public static double sigmoidBinaryCrossEntropy(int n, float[] logits, int lOff, float[] targets, int tOff,
      float[] probs, int pOff, float[] grad, int gOff, float gradScale) {
    double total = 0;
    for (int r = 0; r < n; r++) {
      double z = logits[lOff + r];
      double t = targets[tOff + r];
      total += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
      float p = ActivationMath.sigmoid((float) z);
      if (probs != null) {
        probs[pOff + r] = p;
      }
      if (grad != null) {
        grad[gOff + r] = (p - (float) t) * gradScale;
      }
    }
    return total;
  }

  /** See {@link Losses#meanSquaredError}. */
  public static double meanSquaredError(int n, int cols, float[] pred, int pOff, float[] targets, int tOff,
      float[] grad, int gOff, float gradScale) {
    double total = 0;
    float g = 2f / cols * gradScale;
    for (int r = 0; r < n; r++) {
      double rowSum = 0;
      for (int j = 0; j < cols; j++) {
        int i = r * cols + j;
        float d = pred[pOff + i] - targets[tOff + i];
        rowSum += (double) d * d;
        if (grad != null) {
          grad[gOff + i] = d * g;
        }
      }
      total += rowSum / cols;
    }
    return total;
  }
}
