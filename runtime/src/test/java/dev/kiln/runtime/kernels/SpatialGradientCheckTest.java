package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The scalar references' backward passes of convolution, pooling and batch normalization against
 * central differences of their own forward passes, for the loss {@code L = Σ r·y} with random r (so
 * the output gradient is r). The vector paths are checked against these references elsewhere.
 */
class SpatialGradientCheckTest {
  private final Random rnd = new Random(21);

  /** ∂loss/∂p[off + i] by central differences of step h, evaluated in double from the float forward. */
  private static double[] centralDifferences(float[] p, int off, int len, float h, DoubleSupplier loss) {
    double[] g = new double[len];
    for (int i = 0; i < len; i++) {
      float keep = p[off + i];
      p[off + i] = keep + h;
      double up = loss.getAsDouble();
      p[off + i] = keep - h;
      double down = loss.getAsDouble();
      p[off + i] = keep;
      g[i] = (up - down) / ((double) (keep + h) - (double) (keep - h));
    }
    return g;
  }

  private static double dot(float[] r, float[] y) {
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += (double) r[i] * y[i];
    }
    return s;
  }

  @Test
  void convolutionGradientsOfInputWeightsAndBias() {
    Conv2dGeometry[] geometries = {
      new Conv2dGeometry(4, 7, 8, 6, 3, 2, 2, 1, 1, 0, 2, 1, 2, 1, 2),
      new Conv2dGeometry(3, 5, 6, 3, 5, 5, 1, 2, 2, 2, 2, 1, 1, 1, 3),
      new Conv2dGeometry(3, 4, 4, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
    };
    for (Conv2dGeometry g : geometries) {
      int n = 2;
      float[] x = Reference.random(rnd, n * g.inSize()), w = Reference.random(rnd, g.weightSize());
      float[] b = Reference.random(rnd, g.outC()), r = Reference.random(rnd, n * g.outSize());
      float[] y = new float[n * g.outSize()];
      DoubleSupplier loss = () -> {
        ScalarConvKernels.forward(g, n, x, 0, w, 0, b, 0, Activation.LINEAR, 0f, y, 0, null, 0);
        return dot(r, y);
      };
      float[] dx = new float[x.length], dw = new float[w.length], db = new float[b.length];
      ScalarConvKernels.backwardInput(g, n, r, 0, w, 0, dx, 0, false);
      ScalarConvKernels.backwardParams(g, n, x, 0, r, 0, dw, 0, db, 0);
      assertClose(centralDifferences(x, 0, x.length, 0.05f, loss), dx, 0, 1e-3, g + " dx");
      assertClose(centralDifferences(w, 0, w.length, 0.05f, loss), dw, 0, 1e-3, g + " dw");
      assertClose(centralDifferences(b, 0, b.length, 0.05f, loss), db, 0, 1e-3, g + " db");
    }
  }

  @Test
  void poolingGradients() {
    Pool2dGeometry g = new Pool2dGeometry(2, 7, 8, 3, 3, 2, 2, 1, 1, 1, 0);
    int n = 2;
    // Distinct values at least 0.01 apart, so a step of 1e-3 never changes a window's winner.
    float[] x = new float[n * g.inSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = 0.01f * i;
    }
    for (int i = x.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    float[] r = Reference.random(rnd, n * g.outSize()), y = new float[n * g.outSize()];
    int[] arg = new int[n * g.outSize()];
    ScalarPoolKernels.maxForward(g, n, x, 0, y, 0, arg, 0);
    float[] dx = new float[x.length];
    ScalarPoolKernels.maxBackward(g, n, r, 0, arg, 0, dx, 0, false);
    assertClose(centralDifferences(x, 0, x.length, 1e-3f, () -> {
      ScalarPoolKernels.maxForward(g, n, x, 0, y, 0, null, 0);
      return dot(r, y);
    }), dx, 0, 1e-3, "max pool dx");
    ScalarPoolKernels.avgBackward(g, n, r, 0, dx, 0, false);
    assertClose(centralDifferences(x, 0, x.length, 0.05f, () -> {
      ScalarPoolKernels.avgForward(g, n, x, 0, y, 0);
      return dot(r, y);
    }), dx, 0, 1e-3, "avg pool dx");
    int c = 3, hw = 10;
    float[] gx = Reference.random(rnd, n * c * hw), gr = Reference.random(rnd, n * c), gy = new float[n * c];
    float[] gdx = new float[gx.length];
    ScalarPoolKernels.globalAvgBackward(n, c, hw, gr, 0, gdx, 0, false);
    assertClose(centralDifferences(gx, 0, gx.length, 0.05f, () -> {
      ScalarPoolKernels.globalAvgForward(n, c, hw, gx, 0, gy, 0);
      return dot(gr, gy);
    }), gdx, 0, 1e-3, "global avg pool dx");
  }

  @Test
  void batchNormGradientsOfInputGammaAndBeta() {
    for (int[] s : new int[][] {{3, 2, 5}, {6, 3, 1}}) {
      int n = s[0], c = s[1], hw = s[2], size = n * c * hw;
      float[] x = Reference.random(rnd, size), gamma = Reference.random(rnd, c), beta = Reference.random(rnd, c);
      float[] r = Reference.random(rnd, size), y = new float[size];
      float[] rm = new float[c], rv = new float[c], sm = new float[c], si = new float[c];
      DoubleSupplier loss = () -> {
        ScalarBatchNormKernels.trainForward(n, c, hw, x, 0, gamma, 0, beta, 0, 1e-5f, 0.1f, rm, 0, rv, 0,
            sm, 0, si, 0, y, 0);
        return dot(r, y);
      };
      loss.getAsDouble();
      float[] dx = new float[size], dg = new float[c], db = new float[c];
      ScalarBatchNormKernels.backward(n, c, hw, x, 0, r, 0, gamma, 0, sm, 0, si, 0, dx, 0, false, dg, 0, db, 0);
      assertClose(centralDifferences(x, 0, size, 1e-2f, loss), dx, 0, 1e-2, "batch norm dx " + n + "x" + c + "x" + hw);
      assertClose(centralDifferences(gamma, 0, c, 1e-2f, loss), dg, 0, 1e-3, "batch norm dgamma");
      assertClose(centralDifferences(beta, 0, c, 1e-2f, loss), db, 0, 1e-3, "batch norm dbeta");
    }
  }
}
