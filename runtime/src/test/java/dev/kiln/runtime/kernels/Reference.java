package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

/** Independent double-precision references and comparison helpers for the kernel tests. */
final class Reference {
  private Reference() {}

  static float[] random(Random rnd, int size) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) (rnd.nextGaussian());
    }
    return a;
  }

  /** An array of off + size + 5 elements: NaN sentinels around random data at [off, off+size). */
  static float[] embedded(Random rnd, int off, int size) {
    float[] a = new float[off + size + 5];
    java.util.Arrays.fill(a, Float.NaN);
    for (int i = 0; i < size; i++) {
      a[off + i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  static void assertSentinels(float[] a, int off, int size) {
    for (int i = 0; i < a.length; i++) {
      if (i < off || i >= off + size) {
        assertTrue(Float.isNaN(a[i]), "wrote outside the output range at index " + i);
      }
    }
  }

  /** C[i,j] = Σp A(i,p)·B(p,j) in double, with A(i,p) = a[aOff + i*ars + p*acs], B(p,j) = b[bOff + p*brs + j*bcs]. */
  static double[] matmul(int m, int n, int k, float[] a, int aOff, int ars, int acs,
      float[] b, int bOff, int brs, int bcs) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          s += (double) a[aOff + i * ars + p * acs] * b[bOff + p * brs + j * bcs];
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  /** erf by Simpson's rule on 2/√π·e^{-t²} (independent of the kernels' polynomial; ~1e-13 accurate). */
  static double erf(double x) {
    int steps = 2000;
    double h = x / steps;
    double s = 1 + Math.exp(-x * x);
    for (int i = 1; i < steps; i++) {
      double t = i * h;
      s += (i % 2 == 1 ? 4 : 2) * Math.exp(-t * t);
    }
    return s * h / 3 * 2 / Math.sqrt(Math.PI);
  }

  static double activation(Activation act, double alpha, double z) {
    return switch (act) {
      case LINEAR -> z;
      case RELU -> Math.max(z, 0);
      case LEAKY_RELU -> z > 0 ? z : alpha * z;
      case SIGMOID -> 1 / (1 + Math.exp(-z));
      case TANH -> Math.tanh(z);
      case GELU -> 0.5 * z * (1 + erf(z / Math.sqrt(2)));
      case SOFTMAX -> throw new IllegalArgumentException();
    };
  }

  static double[] softmax(double[] z, int off, int cols) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < cols; j++) {
      max = Math.max(max, z[off + j]);
    }
    double sum = 0;
    double[] p = new double[cols];
    for (int j = 0; j < cols; j++) {
      p[j] = Math.exp(z[off + j] - max);
      sum += p[j];
    }
    for (int j = 0; j < cols; j++) {
      p[j] /= sum;
    }
    return p;
  }

  static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /** max|actual - expected| <= relTol · max|expected| (+ 1e-6 so all-zero results compare). */
  static void assertClose(double[] expected, float[] actual, int off, double relTol, String what) {
    double bound = relTol * maxAbs(expected) + 1e-6;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(actual[off + i] - expected[i]);
      if (!(d <= bound)) {
        throw new AssertionError(what + ": element " + i + " is " + actual[off + i] + ", expected "
            + expected[i] + " (|diff| " + d + " > " + bound + ")");
      }
    }
  }

  static double[] toDouble(float[] a, int off, int size) {
    double[] d = new double[size];
    for (int i = 0; i < size; i++) {
      d[i] = a[off + i];
    }
    return d;
  }
}
