package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FloatTranscendentals against double references over dense sweeps (every 509th float of the range,
 * about four million inputs), and VectorTranscendentals against it bit for bit. An exhaustive sweep of
 * every float (done once, see the class comment) gave exp 1.01 ulp, sigmoid 8.9e-8 absolute and 2.5
 * ulp, tanh 1.33 ulp at most; the bounds here leave room above those.
 */
class FloatTranscendentalsTest {
  private static final int STRIDE = 509;

  /** |got - ref| in units of the last place of ref rounded to float. */
  private static double ulps(float got, double ref) {
    return Math.abs(got - ref) / Math.ulp((float) ref);
  }

  /** Every STRIDE-th float of [lo, hi] (lo < 0 < hi) in bit order, on each side of zero, and lo and hi. */
  private static float[] sweep(float lo, float hi) {
    int neg = Float.floatToRawIntBits(-lo) / STRIDE + 1, pos = Float.floatToRawIntBits(hi) / STRIDE + 1;
    float[] xs = new float[neg + pos + 2];
    for (int i = 0; i < neg; i++) {
      xs[i] = -Float.intBitsToFloat(i * STRIDE);
    }
    for (int i = 0; i < pos; i++) {
      xs[neg + i] = Float.intBitsToFloat(i * STRIDE);
    }
    xs[neg + pos] = lo;
    xs[neg + pos + 1] = hi;
    return xs;
  }

  @Test
  void expIsWithinTwoUlpOfMathExpOverItsNormalRange() {
    double worst = 0;
    float worstAt = 0;
    for (float x : sweep(-87f, 88f)) {
      double u = ulps(FloatTranscendentals.exp(x), Math.exp(x));
      if (u > worst) {
        worst = u;
        worstAt = x;
      }
    }
    assertTrue(worst <= 2, "exp: " + worst + " ulp at " + worstAt);
    assertTrue(worst > 0.5, "exp is not correctly rounded, the sweep must see it: " + worst);
  }

  @Test
  void expOverflowsUnderflowsAndKeepsNaNAsIeeeWould() {
    assertEquals(Float.POSITIVE_INFINITY, FloatTranscendentals.exp(88.73f));
    assertEquals(Float.POSITIVE_INFINITY, FloatTranscendentals.exp(1e30f));
    assertEquals(Float.POSITIVE_INFINITY, FloatTranscendentals.exp(Float.POSITIVE_INFINITY));
    assertEquals(Math.exp(88.72283f), FloatTranscendentals.exp(88.72283f), Math.ulp(Float.MAX_VALUE) * 2);
    assertEquals(0f, FloatTranscendentals.exp(-104f));
    assertEquals(0f, FloatTranscendentals.exp(Float.NEGATIVE_INFINITY));
    assertEquals(1f, FloatTranscendentals.exp(0f));
    assertEquals(1f, FloatTranscendentals.exp(-0f));
    assertTrue(Float.isNaN(FloatTranscendentals.exp(Float.NaN)));
    // Subnormal results: gradual underflow in the last multiply, within one subnormal step.
    for (float x = -103.5f; x < -87.4f; x += 0.37f) {
      assertEquals(Math.exp(x), FloatTranscendentals.exp(x), Float.MIN_VALUE * 1.01, "exp(" + x + ")");
    }
  }

  @Test
  void sigmoidIsWithinHalfAnUlpOfOneAbsoluteAndThreeUlpRelative() {
    double worstAbs = 0, worstUlp = 0;
    for (float x : sweep(-120f, 120f)) {
      double ref = 1 / (1 + Math.exp(-(double) x));
      float s = FloatTranscendentals.sigmoid(x);
      worstAbs = Math.max(worstAbs, Math.abs(s - ref));
      if (x >= -87f) {
        worstUlp = Math.max(worstUlp, ulps(s, ref));
      }
    }
    assertTrue(worstAbs <= 0x1p-23, "sigmoid: " + worstAbs + " absolute");
    assertTrue(worstUlp <= 3, "sigmoid: " + worstUlp + " ulp");
    assertEquals(1f, FloatTranscendentals.sigmoid(Float.POSITIVE_INFINITY));
    assertEquals(0f, FloatTranscendentals.sigmoid(Float.NEGATIVE_INFINITY));
    assertEquals(0f, FloatTranscendentals.sigmoid(-200f));
    assertEquals(0.5f, FloatTranscendentals.sigmoid(0f));
    assertTrue(Float.isNaN(FloatTranscendentals.sigmoid(Float.NaN)));
  }

  @Test
  void tanhIsWithinTwoUlpOfMathTanhAndOdd() {
    double worst = 0, worstAbs = 0;
    float worstAt = 0;
    for (float x : sweep(-30f, 30f)) {
      double ref = Math.tanh(x);
      float t = FloatTranscendentals.tanh(x);
      worstAbs = Math.max(worstAbs, Math.abs(t - ref));
      if (Math.abs(ref) >= Float.MIN_NORMAL) {
        double u = ulps(t, ref);
        if (u > worst) {
          worst = u;
          worstAt = x;
        }
      }
      assertEquals(Float.floatToIntBits(-t), Float.floatToIntBits(FloatTranscendentals.tanh(-x)), "tanh(-" + x + ")");
    }
    assertTrue(worst <= 2, "tanh: " + worst + " ulp at " + worstAt);
    assertTrue(worstAbs <= 0x1p-23, "tanh: " + worstAbs + " absolute");
    assertEquals(1f, FloatTranscendentals.tanh(Float.POSITIVE_INFINITY));
    assertEquals(-1f, FloatTranscendentals.tanh(-1e30f));
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(FloatTranscendentals.tanh(-0f)));
    assertEquals(Float.MIN_VALUE, FloatTranscendentals.tanh(Float.MIN_VALUE));
    assertTrue(Float.isNaN(FloatTranscendentals.tanh(Float.NaN)));
  }

  /**
   * Each lane of VectorTranscendentals is bitwise the scalar result: on the sweeps, on random floats of
   * every exponent, and on the special values and the clamp and branch boundaries.
   */
  @Test
  void vectorLanesEqualTheScalarFunctionsBitForBit() {
    if (!Backend.vectorized()) {
      return;
    }
    Random rnd = new Random(17);
    float[] random = new float[1 << 16];
    for (int i = 0; i < random.length; i++) {
      random[i] = Float.intBitsToFloat(rnd.nextInt());
    }
    float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
        -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 88.72283f, 88.73f, 89f, -104f,
        -103.97f, -87.33655f, 0.625f, -0.625f, Math.nextDown(0.625f), Math.nextUp(-0.625f), 1f, -1f,
        Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)};
    for (float[] xs : new float[][] {sweep(-110f, 110f), random, special}) {
      VectorTranscendentalsCheck.assertLanesEqualScalar(xs);
    }
  }
}
