package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static dev.kiln.runtime.kernels.Reference.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Vector pooling equals the scalar reference (bitwise for the windowed forwards), at awkward geometries and any thread count. */
class PoolKernelsTest {
  static final Pool2dGeometry[] GEOMETRIES = {
    new Pool2dGeometry(3, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0),
    new Pool2dGeometry(5, 11, 37, 3, 3, 1, 1, 1, 1, 1, 1),
    new Pool2dGeometry(1, 40, 41, 3, 3, 2, 2, 1, 0, 0, 1),
    new Pool2dGeometry(2, 9, 70, 5, 5, 3, 3, 2, 2, 1, 0),
    new Pool2dGeometry(3, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0),
    new Pool2dGeometry(2, 6, 90, 2, 3, 1, 9, 1, 1, 0, 1),
  };

  @Test
  void geometryFollowsPyTorchsOutputFormulaAndLimitsPadding() {
    Pool2dGeometry g = new Pool2dGeometry(32, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0);
    assertEquals(5, g.outH());
    assertEquals(5, g.outW());
    assertEquals(32 * 25, g.outSize());
    assertEquals((40 + 1 + 0 - 3) / 2 + 1, GEOMETRIES[2].outH());
    assertThrows(IllegalArgumentException.class, () -> new Pool2dGeometry(1, 5, 5, 2, 2, 2, 2, 2, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Pool2dGeometry(1, 1, 5, 2, 2, 2, 2, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Pool2dGeometry(0, 5, 5, 2, 2, 2, 2, 0, 0, 0, 0));
  }

  @Test
  void vectorMatchesScalarReferenceAtAwkwardGeometries() {
    Random rnd = new Random(5);
    for (Pool2dGeometry g : GEOMETRIES) {
      for (int n : new int[] {1, 3}) {
        String what = g + " n=" + n;
        int xOff = 3, yOff = 4, aOff = 2, in = n * g.inSize(), out = n * g.outSize();
        float[] x = embedded(rnd, xOff, in);
        for (int i = 0; i < in; i += 7) {
          x[xOff + i] = x[xOff + i + (i + 1 < in ? 1 : 0)]; // ties
        }
        float[] y = embedded(rnd, yOff, out), ys = new float[out];
        int[] arg = new int[aOff + out], args = new int[out];
        PoolKernels.maxForward(g, n, x, xOff, y, yOff, arg, aOff);
        ScalarPoolKernels.maxForward(g, n, x, xOff, ys, 0, args, 0);
        assertArrayEquals(ys, Arrays.copyOfRange(y, yOff, yOff + out), what + " max");
        assertArrayEquals(args, Arrays.copyOfRange(arg, aOff, aOff + out), what + " argmax");
        assertSentinels(y, yOff, out);
        PoolKernels.maxForward(g, n, x, xOff, y, yOff, null, 0);
        assertArrayEquals(ys, Arrays.copyOfRange(y, yOff, yOff + out), what + " max without argmax");
        PoolKernels.avgForward(g, n, x, xOff, y, yOff);
        ScalarPoolKernels.avgForward(g, n, x, xOff, ys, 0);
        assertArrayEquals(ys, Arrays.copyOfRange(y, yOff, yOff + out), what + " avg");
        float[] dy = embedded(rnd, yOff, out);
        for (boolean acc : new boolean[] {false, true}) {
          float[] dx = embedded(rnd, xOff, in), dxs = Arrays.copyOfRange(dx, xOff, xOff + in);
          PoolKernels.maxBackward(g, n, dy, yOff, arg, aOff, dx, xOff, acc);
          ScalarPoolKernels.maxBackward(g, n, dy, yOff, args, 0, dxs, 0, acc);
          assertArrayEquals(dxs, Arrays.copyOfRange(dx, xOff, xOff + in), what + " max dx");
          PoolKernels.avgBackward(g, n, dy, yOff, dx, xOff, acc);
          ScalarPoolKernels.avgBackward(g, n, dy, yOff, dxs, 0, acc);
          assertArrayEquals(dxs, Arrays.copyOfRange(dx, xOff, xOff + in), what + " avg dx");
          assertSentinels(dx, xOff, in);
        }
      }
    }
  }

  /**
   * The 2x2 stride-2 training path (window maxima by vectors, then the winner by conditional moves)
   * keeps the reference's rule where it is easiest to get wrong: ties (the first cell wins), -0 and +0
   * (equal, the first wins and keeps its sign), infinities and NaN (the last NaN wins), at planes wider
   * and narrower than a vector, on 1 to 3 threads; value sets with and without NaN (with NaN in an
   * eighth of the cells nearly every window row holds one) and with the extreme finite floats.
   */
  @Test
  void argmaxOf2x2WindowsEqualsReferenceOnTiesSignedZerosAndNan() {
    float[][] valueSets = {{-1f, -0f, 0f, 0f, 1f, 1f, 2f, Float.NaN}, {-1f, -0f, 0f, 0f, 1f, 1f, 2f, 3.5f},
        {-1f, -0f, 0f, 1f, 1f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE},
        {-1f, 0f, 1f, 1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}};
    Pool2dGeometry[] planes = {new Pool2dGeometry(3, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0),
        new Pool2dGeometry(5, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0), new Pool2dGeometry(2, 4, 6, 2, 2, 2, 2, 0, 0, 0, 0),
        new Pool2dGeometry(4, 9, 10, 2, 2, 2, 2, 0, 0, 0, 0), new Pool2dGeometry(1, 40, 7, 2, 2, 2, 2, 0, 0, 0, 0)};
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(13);
      for (float[] values : valueSets) {
        for (Pool2dGeometry g : planes) {
          assertArgmaxEqualsReference(g, values, rnd);
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  private static void assertArgmaxEqualsReference(Pool2dGeometry g, float[] values, Random rnd) {
    int n = 3, in = n * g.inSize(), out = n * g.outSize();
    float[] x = new float[in];
    for (int i = 0; i < in; i++) {
      x[i] = values[rnd.nextInt(values.length)];
    }
    float[] ys = new float[out];
    int[] args = new int[out];
    ScalarPoolKernels.maxForward(g, n, x, 0, ys, 0, args, 0);
    for (int threads = 1; threads <= 3; threads++) {
      Parallelism.setThreads(threads);
      float[] y = new float[out];
      int[] arg = new int[out];
      PoolKernels.maxForward(g, n, x, 0, y, 0, arg, 0);
      String what = g + " threads=" + threads + " values " + Arrays.toString(values);
      assertArrayEquals(ys, y, what + " max");
      assertArrayEquals(args, arg, what + " argmax");
    }
  }

  /**
   * The inference path of a 2x2 stride-2 max pooling over one plane ({@link VectorPoolKernels#max2x2Plane},
   * which the fused convolution + pooling calls on its row-strided tile buffer): with and without the
   * ReLU applied after the max, bitwise the {@code Math.max} of each window's four cells of the
   * (rectified) plane, the vector maxima's rule (-0 below +0, NaN wins), or the scalar reference's
   * (the first of equal zeros wins) on planes smaller than a vector, on -0 / +0 / NaN / ties, for every output width from 1 to more than two vectors (rows of one, part of one, and
   * several compacted chunks), rows further apart than the plane is wide, a plane smaller than a
   * vector, and x ending right after the plane (the compacted path would read past it, so the
   * gather path must run); never writing outside the plane's outputs.
   */
  @Test
  void inferencePlaneWithReluAfterTheMaxEqualsPoolingTheRectifiedPlane() {
    float[] values = {-1f, -0f, 0f, 0f, 1f, 1f, 2f, -3f, Float.NaN};
    Random rnd = new Random(21);
    int lanes = VectorShape.FLOAT.length();
    for (int ow = 1; ow <= 2 * lanes + 3; ow++) {
      for (int oh : new int[] {1, 2, 5}) {
        for (int extraRows : new int[] {0, 1}) {
          for (int pad : new int[] {0, 3}) {
            int inH = 2 * oh + extraRows, inW = 2 * ow + (ow % 3 == 0 ? 1 : 0), stride = inW + pad;
            Pool2dGeometry g = new Pool2dGeometry(1, inH, inW, 2, 2, 2, 2, 0, 0, 0, 0);
            for (boolean tight : new boolean[] {true, false}) {
              int xp = 2, size = xp + (inH - 1) * stride + inW + (tight ? 0 : 2 * lanes);
              float[] x = new float[size], plane = new float[inH * inW];
              for (int i = 0; i < size; i++) {
                x[i] = values[rnd.nextInt(values.length)];
              }
              for (boolean relu : new boolean[] {false, true}) {
                for (int r = 0; r < inH; r++) {
                  for (int c = 0; c < inW; c++) {
                    float v = x[xp + r * stride + c];
                    plane[r * inW + c] = relu ? Math.max(v, 0f) : v;
                  }
                }
                float[] expected = new float[g.outSize()];
                ScalarPoolKernels.maxForward(g, 1, plane, 0, expected, 0, null, 0);
                boolean vectors = 2 * (oh - 1) * inW + 2 * (ow - 1) + 1 >= lanes; // else the scalar rule
                for (int i = 0; i < oh && vectors; i++) {
                  for (int j = 0; j < ow; j++) {
                    int at = 2 * i * inW + 2 * j;
                    expected[i * ow + j] = Math.max(Math.max(Math.max(plane[at], plane[at + 1]), plane[at + inW]),
                        plane[at + inW + 1]);
                  }
                }
                int yo = 3;
                float[] y = new float[yo + g.outSize() + 5];
                Arrays.fill(y, Float.NaN);
                VectorPoolKernels.max2x2Plane(g, relu, x, xp, stride, y, yo);
                String what = g + " stride " + stride + (tight ? " tight" : "") + (relu ? " relu" : "");
                for (int i = 0; i < expected.length; i++) {
                  assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(y[yo + i]),
                      what + " output " + i);
                }
                assertSentinels(y, yo, g.outSize());
              }
            }
          }
        }
      }
    }
  }

  @Test
  void paddedCellsNeverWinAndNanPropagates() {
    Pool2dGeometry g = new Pool2dGeometry(1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0);
    float[] x = {-5f, -6f, -7f, Float.NaN};
    float[] y = new float[4];
    int[] arg = new int[4];
    PoolKernels.maxForward(g, 1, x, 0, y, 0, arg, 0);
    assertArrayEquals(new float[] {-5f, -5f, -5f, Float.NaN}, y);
    assertArrayEquals(new int[] {0, 0, 0, 3}, arg);
    int[] bad = {0, 0, 0, 4};
    assertThrows(IllegalArgumentException.class, () -> PoolKernels.maxBackward(g, 1, y, 0, bad, 0, new float[4], 0, false));
  }

  @Test
  void globalAverageMatchesScalarReference() {
    Random rnd = new Random(8);
    for (int[] s : new int[][] {{1, 1, 1}, {3, 5, 49}, {2, 64, 121}, {4, 3, 17}}) {
      int n = s[0], c = s[1], hw = s[2];
      float[] x = embedded(rnd, 3, n * c * hw), y = embedded(rnd, 2, n * c), ys = new float[n * c];
      PoolKernels.globalAvgForward(n, c, hw, x, 3, y, 2);
      ScalarPoolKernels.globalAvgForward(n, c, hw, x, 3, ys, 0);
      assertClose(toDouble(ys, 0, n * c), y, 2, 1e-6, "global avg " + Arrays.toString(s));
      assertSentinels(y, 2, n * c);
      for (boolean acc : new boolean[] {false, true}) {
        float[] dx = embedded(rnd, 3, n * c * hw), dxs = Arrays.copyOfRange(dx, 3, 3 + n * c * hw);
        PoolKernels.globalAvgBackward(n, c, hw, y, 2, dx, 3, acc);
        ScalarPoolKernels.globalAvgBackward(n, c, hw, y, 2, dxs, 0, acc);
        assertArrayEquals(dxs, Arrays.copyOfRange(dx, 3, 3 + n * c * hw), "global avg dx " + Arrays.toString(s));
        assertSentinels(dx, 3, n * c * hw);
      }
    }
  }

  /**
   * Max pooling's backward with a ReLU derivative folded in (reading the pooling's output, the winners'
   * values) equals the scatter followed by {@link Activations#multiplyDerivative} over the pooled input,
   * bit for bit (signed zeros and NaN payloads included), at every geometry (overlapping windows add
   * several gradients into one cell), with the pooled input holding
   * zeros of both signs, negatives (a ReLU's output never does, the kernel must not care), NaN of both
   * signs and
   * ties, and dy holding signed zeros, infinities and NaN, on 1 to 3 threads.
   */
  @Test
  void foldedReluBackwardIsBitwiseTheScatterThenTheDerivative() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(13);
      float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 1e-30f};
      for (Pool2dGeometry g : GEOMETRIES) {
        for (int n : new int[] {1, 3}) {
          int xOff = 3, yOff = 4, aOff = 2, in = n * g.inSize(), out = n * g.outSize();
          float[] x = embedded(rnd, xOff, in);
          for (int i = 0; i < in; i++) {
            float v = x[xOff + i];
            x[xOff + i] = i % 5 == 0 ? 0f : i % 11 == 0 ? -0f : i % 29 == 0 ? Float.NaN
                : i % 31 == 0 ? Float.intBitsToFloat(0xffc00001) : i % 3 == 0 ? v : Math.abs(v);
            if (i % 13 == 0 && i + 1 < in) {
              x[xOff + i + 1] = x[xOff + i]; // ties
            }
          }
          float[] dy = embedded(rnd, yOff, out);
          for (int k = 0; k < out; k += 4) {
            dy[yOff + k] = special[(k / 4) % special.length];
          }
          float[] pooled = new float[out];
          int[] arg = new int[aOff + out];
          PoolKernels.maxForward(g, n, x, xOff, pooled, 0, arg, aOff);
          for (int threads = 1; threads <= 3; threads++) {
            Parallelism.setThreads(threads);
            String what = g + " n=" + n + " threads=" + threads;
            float[] unfolded = embedded(rnd, xOff, in), folded = unfolded.clone();
            PoolKernels.maxBackward(g, n, dy, yOff, arg, aOff, unfolded, xOff, false);
            Activations.multiplyDerivative(Activation.RELU, 0f, x, xOff, null, 0, unfolded, xOff, in);
            PoolKernels.maxBackwardFolded(g, n, dy, yOff, arg, aOff, Activation.RELU, pooled, 0, folded, xOff);
            for (int i = 0; i < unfolded.length; i++) {
              assertEquals(Float.floatToRawIntBits(unfolded[i]), Float.floatToRawIntBits(folded[i]),
                  what + " dx[" + (i - xOff) + "]: unfolded " + unfolded[i] + ", folded " + folded[i]);
            }
            assertSentinels(folded, xOff, in);
          }
        }
      }
      Pool2dGeometry g = GEOMETRIES[0];
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolKernels.maxBackwardFolded(g,
          1, new float[g.outSize()], 0, new int[g.outSize()], 0, Activation.TANH, new float[g.outSize()], 0,
          new float[g.inSize()], 0));
      assertTrue(e.getMessage().contains("TANH"), e.getMessage());
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /**
   * The backward of 2x2 stride-2 max pooling (the vector scatter where rows hold a vector of windows or
   * more) is bitwise the scalar scatter, plain and with the folded ReLU derivative (at the pooled
   * output), with dy holding signed zeros (a -0 gradient lands as +0), infinities and NaN payloads and
   * y holding zeros of both signs, negatives and NaN, on planes whose last odd row and column no window
   * covers, on 1 to 3 threads; a winner outside its window's channel is reported.
   */
  @Test
  void scatterOf2x2WindowsIsBitwiseTheScalarScatter() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(29);
      float[] special = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc00123), Float.POSITIVE_INFINITY,
          Float.NEGATIVE_INFINITY, -1f, 1e-30f, -3.5f};
      Pool2dGeometry[] shapes = {
        new Pool2dGeometry(3, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0), // FashionCnn's pool1: 13 windows a row
        new Pool2dGeometry(2, 35, 33, 2, 2, 2, 2, 0, 0, 0, 0), // 17x16, the last row and column uncovered
        new Pool2dGeometry(4, 11, 11, 2, 2, 2, 2, 0, 0, 0, 0), // pool2: 5 a row, the scalar scatter
        new Pool2dGeometry(1, 4, 70, 2, 2, 2, 2, 0, 0, 0, 0), // 2x35
      };
      for (Pool2dGeometry g : shapes) {
        for (int n : new int[] {1, 3}) {
          int in = n * g.inSize(), out = n * g.outSize(), dyOff = 3, aOff = 5, yOff = 2, xOff = 4;
          float[] x = Reference.random(rnd, in);
          for (int i = 0; i < in; i += 7) {
            x[i] = special[(i / 7) % special.length];
          }
          float[] pooled = new float[yOff + out];
          int[] arg = new int[aOff + out];
          PoolKernels.maxForward(g, n, x, 0, pooled, yOff, arg, aOff);
          float[] dy = embedded(rnd, dyOff, out);
          for (int k = 0; k < out; k += 3) {
            dy[dyOff + k] = special[(k / 3) % special.length];
          }
          float[] plain = new float[xOff + in + 3], relu = plain.clone();
          ScalarPoolKernels.maxBackward(g, n, dy, dyOff, arg, aOff, plain, xOff, false);
          for (int p = 0; p < n * g.c(); p++) {
            ScalarPoolKernels.maxBackwardReluPlane(g, p, dy, dyOff, arg, aOff, pooled, yOff, relu, xOff);
          }
          for (int threads = 1; threads <= 3; threads++) {
            Parallelism.setThreads(threads);
            String what = g + " n=" + n + " threads=" + threads;
            float[] dx = embedded(rnd, xOff, in), dxRelu = embedded(rnd, xOff, in);
            PoolKernels.maxBackward(g, n, dy, dyOff, arg, aOff, dx, xOff, false);
            PoolKernels.maxBackwardFolded(g, n, dy, dyOff, arg, aOff, Activation.RELU, pooled, yOff, dxRelu, xOff);
            for (int i = 0; i < in; i++) {
              assertEquals(Float.floatToRawIntBits(plain[xOff + i]), Float.floatToRawIntBits(dx[xOff + i]),
                  what + " dx[" + i + "]: scalar " + plain[xOff + i] + ", vector " + dx[xOff + i]);
              assertEquals(Float.floatToRawIntBits(relu[xOff + i]), Float.floatToRawIntBits(dxRelu[xOff + i]),
                  what + " folded dx[" + i + "]: scalar " + relu[xOff + i] + ", vector " + dxRelu[xOff + i]);
            }
            assertSentinels(dx, xOff, in);
            assertSentinels(dxRelu, xOff, in);
          }
          int[] wrong = arg.clone();
          wrong[aOff + out - 1] = -1; // the last window's winner outside its channel
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
              () -> PoolKernels.maxBackward(g, n, dy, dyOff, wrong, aOff, new float[in], 0, false));
          assertTrue(e.getMessage().contains("max pooling index"), e.getMessage());
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void resultsAreBitwiseIdenticalForOneAndTwoThreads() {
    int before = Parallelism.threads();
    try {
      Random rnd = new Random(9);
      Pool2dGeometry g = new Pool2dGeometry(32, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0);
      int n = 7;
      float[] x = Reference.random(rnd, n * g.inSize()), dy = Reference.random(rnd, n * g.outSize());
      float[][] results = new float[2][];
      for (int t = 1; t <= 2; t++) {
        Parallelism.setThreads(t);
        float[] y = new float[n * g.outSize()], ya = new float[n * g.outSize()], gy = new float[n * 32];
        float[] dx = new float[n * g.inSize()], dxa = new float[n * g.inSize()], dxg = new float[n * g.inSize()];
        int[] arg = new int[n * g.outSize()];
        PoolKernels.maxForward(g, n, x, 0, y, 0, arg, 0);
        PoolKernels.maxBackward(g, n, dy, 0, arg, 0, dx, 0, false);
        PoolKernels.avgForward(g, n, x, 0, ya, 0);
        PoolKernels.avgBackward(g, n, dy, 0, dxa, 0, false);
        PoolKernels.globalAvgForward(n, 32, 676, x, 0, gy, 0);
        PoolKernels.globalAvgBackward(n, 32, 676, gy, 0, dxg, 0, false);
        float[] all = new float[0];
        for (float[] part : new float[][] {y, dx, ya, dxa, gy, dxg}) {
          float[] grown = Arrays.copyOf(all, all.length + part.length);
          System.arraycopy(part, 0, grown, all.length, part.length);
          all = grown;
        }
        results[t - 1] = all;
      }
      assertArrayEquals(results[0], results[1]);
    } finally {
      Parallelism.setThreads(before);
    }
  }
}
