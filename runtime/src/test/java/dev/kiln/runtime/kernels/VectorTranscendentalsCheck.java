package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Compares VectorTranscendentals with FloatTranscendentals element by element (a class of its own so
 * that FloatTranscendentalsTest loads without jdk.incubator.vector when the scalar backend runs).
 */
final class VectorTranscendentalsCheck {
  private VectorTranscendentalsCheck() {}

  /**
   * Each function over xs, into another array at an offset and in place (the tail of {@code len mod L}
   * elements takes the scalar path, so lengths that leave one are checked too).
   */
  static void assertLanesEqualScalar(float[] xs) {
    int n = xs.length;
    float[] exp = new float[n + 3], sigmoid = new float[n + 3], tanh = new float[n + 3];
    VectorTranscendentals.exp(xs, 0, exp, 3, n);
    VectorTranscendentals.sigmoid(xs, 0, sigmoid, 3, n);
    VectorTranscendentals.tanh(xs, 0, tanh, 3, n);
    float[] inPlace = new float[n + 1];
    System.arraycopy(xs, 0, inPlace, 1, n);
    VectorTranscendentals.tanh(inPlace, 1, inPlace, 1, n);
    for (int i = 0; i < n; i++) {
      float x = xs[i];
      assertBits("exp", x, FloatTranscendentals.exp(x), exp[3 + i]);
      assertBits("sigmoid", x, FloatTranscendentals.sigmoid(x), sigmoid[3 + i]);
      assertBits("tanh", x, FloatTranscendentals.tanh(x), tanh[3 + i]);
      assertBits("tanh in place", x, FloatTranscendentals.tanh(x), inPlace[1 + i]);
    }
  }

  /** floatToIntBits: every NaN is the same NaN; any other difference is a different bit. */
  private static void assertBits(String name, float x, float scalar, float vector) {
    if (Float.floatToIntBits(scalar) != Float.floatToIntBits(vector)) {
      assertEquals(Float.floatToIntBits(scalar), Float.floatToIntBits(vector), name + "(" + x + " = 0x"
          + Integer.toHexString(Float.floatToRawIntBits(x)) + "): vector " + vector + ", scalar " + scalar);
    }
  }
}
