package dev.kiln.runtime.inspect;

import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.model.LossKind;
import java.util.SplittableRandom;

/**
 * An analytic test network with hand-written exact gradients: {@code z = tanh(x W1 + b1) W2 + b2}
 * with a softmax head (or, with one output, a sigmoid head and binary cross-entropy); with no hidden
 * layer, softmax regression {@code z = x W2 + b2}. Computed in double, returned as floats.
 */
final class TanhMlp implements Differentiable {
  final int in;
  final int hidden; // 0: no hidden layer
  final int out;
  final double[] w1; // [in, hidden]
  final double[] b1;
  final double[] w2; // [hidden or in, out]
  final double[] b2;

  TanhMlp(int in, int hidden, int out, long seed) {
    this.in = in;
    this.hidden = hidden;
    this.out = out;
    SplittableRandom r = new SplittableRandom(seed);
    int mid = hidden == 0 ? in : hidden;
    w1 = new double[in * hidden];
    b1 = new double[hidden];
    w2 = new double[mid * out];
    b2 = new double[out];
    fill(w1, r, 1.5 / Math.sqrt(in));
    fill(b1, r, 0.3);
    fill(w2, r, 1.5 / Math.sqrt(mid));
    fill(b2, r, 0.3);
  }

  /** Softmax regression with the given weights [in, out] and biases. */
  static TanhMlp softmaxRegression(int in, int out, long seed) {
    return new TanhMlp(in, 0, out, seed);
  }

  private static void fill(double[] a, SplittableRandom r, double scale) {
    for (int i = 0; i < a.length; i++) {
      // float-representable, so a float copy (e.g. for PyTorch) is exact
      a[i] = (float) ((2 * r.nextDouble() - 1) * scale);
    }
  }

  @Override
  public int inputs() {
    return in;
  }

  @Override
  public int outputs() {
    return out;
  }

  @Override
  public LossKind loss() {
    return out == 1 ? LossKind.BINARY_CROSS_ENTROPY : LossKind.SOFTMAX_CROSS_ENTROPY;
  }

  /** Hidden activations of row i (or the input itself without a hidden layer). */
  double[] hidden(float[] x, int i) {
    if (hidden == 0) {
      double[] h = new double[in];
      for (int k = 0; k < in; k++) {
        h[k] = x[i * in + k];
      }
      return h;
    }
    double[] h = new double[hidden];
    for (int j = 0; j < hidden; j++) {
      double a = b1[j];
      for (int k = 0; k < in; k++) {
        a += x[i * in + k] * w1[k * hidden + j];
      }
      h[j] = Math.tanh(a);
    }
    return h;
  }

  double[] logitsOf(double[] h) {
    double[] z = new double[out];
    for (int c = 0; c < out; c++) {
      double a = b2[c];
      for (int j = 0; j < h.length; j++) {
        a += h[j] * w2[j * out + c];
      }
      z[c] = a;
    }
    return z;
  }

  double[] probabilities(double[] z) {
    double[] p = new double[out];
    if (out == 1) {
      p[0] = 1 / (1 + Math.exp(-z[0]));
      return p;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double s = 0;
    for (int c = 0; c < out; c++) {
      p[c] = Math.exp(z[c] - max);
      s += p[c];
    }
    for (int c = 0; c < out; c++) {
      p[c] /= s;
    }
    return p;
  }

  @Override
  public void predict(float[] x, int rows, float[] o) {
    for (int i = 0; i < rows; i++) {
      double[] p = probabilities(logitsOf(hidden(x, i)));
      for (int c = 0; c < out; c++) {
        o[i * out + c] = (float) p[c];
      }
    }
  }

  @Override
  public void logits(float[] x, int rows, float[] o) {
    for (int i = 0; i < rows; i++) {
      double[] z = logitsOf(hidden(x, i));
      for (int c = 0; c < out; c++) {
        o[i * out + c] = (float) z[c];
      }
    }
  }

  /** dx of row i for a gradient dz at the logits. */
  private void backward(float[] x, int i, double[] h, double[] dz, float[] gradient) {
    int mid = h.length;
    double[] dh = new double[mid];
    for (int j = 0; j < mid; j++) {
      double s = 0;
      for (int c = 0; c < out; c++) {
        s += w2[j * out + c] * dz[c];
      }
      dh[j] = s;
    }
    if (hidden == 0) {
      for (int k = 0; k < in; k++) {
        gradient[i * in + k] = (float) dh[k];
      }
      return;
    }
    for (int k = 0; k < in; k++) {
      double s = 0;
      for (int j = 0; j < hidden; j++) {
        s += w1[k * hidden + j] * dh[j] * (1 - h[j] * h[j]);
      }
      gradient[i * in + k] = (float) s;
    }
  }

  @Override
  public double lossGradient(float[] x, float[] targets, int rows, float[] gradient) {
    throw new UnsupportedOperationException("TanhMlp is a classifier; it has no regression targets");
  }

  @Override
  public double lossGradient(float[] x, int[] labels, int rows, float[] gradient) {
    double loss = 0;
    for (int i = 0; i < rows; i++) {
      double[] h = hidden(x, i);
      double[] p = probabilities(logitsOf(h));
      double[] dz = new double[out];
      if (out == 1) {
        dz[0] = p[0] - labels[i];
        loss -= labels[i] == 1 ? Math.log(p[0]) : Math.log(1 - p[0]);
      } else {
        for (int c = 0; c < out; c++) {
          dz[c] = p[c] - (c == labels[i] ? 1 : 0);
        }
        loss -= Math.log(p[labels[i]]);
      }
      backward(x, i, h, dz, gradient);
    }
    return loss;
  }

  @Override
  public void logitGradient(float[] x, int rows, float[] seed, float[] gradient) {
    for (int i = 0; i < rows; i++) {
      double[] dz = new double[out];
      for (int c = 0; c < out; c++) {
        dz[c] = seed[i * out + c];
      }
      backward(x, i, hidden(x, i), dz, gradient);
    }
  }
}
