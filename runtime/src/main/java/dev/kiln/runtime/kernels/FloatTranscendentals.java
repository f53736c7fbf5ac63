package dev.kiln.runtime.kernels;

/**
 * exp, sigmoid and tanh in float from IEEE-exact operations only (add, subtract, multiply, divide,
 * {@link Math#fma}, min/max, compares, integer shifts of the bit pattern), so that
 * {@link VectorTranscendentals}, which does the same operations in the same order on every lane,
 * gives bitwise the same results, and so does every JIT tier: unlike {@code Math.exp},
 * {@code Math.tanh} or the Vector API's {@code EXP}/{@code TANH} (whose C2 intrinsics and Java
 * fallbacks round differently), every step here has one correctly rounded result.
 *
 * <p>exp is Cephes' {@code expf}: {@code x = n·ln2 + r}, n rounded to nearest by adding and
 * subtracting 1.5·2^23, r reduced in two fma steps (Cody-Waite), {@code e^r = 1 + r + r²·P(r)} with
 * Cephes' degree-5 minimax P by Horner's rule in fma, and {@code 2^n} built in the exponent bits as
 * {@code 2^(n>>1)·2^(n - n>>1)}, so that overflow to infinity and gradual underflow happen in the last
 * multiply, as IEEE rounds them. Input is clamped to [-104, 89] first (min/max keep NaN).
 *
 * <p>Measured over every float against double references ({@code Math.exp}, {@code 1/(1 + Math.exp(-x))}
 * and {@code Math.tanh} in double; {@code FloatTranscendentalsTest} checks every 509th float): exp is
 * within 1.01 ulp wherever its result is a normal float (x in [-87.33, 88.72]); sigmoid within
 * 8.9e-8 absolute everywhere and 2.5 ulp relative for x down to -87; tanh within 1.33 ulp and 8e-8
 * absolute. tanh below |x| = 0.625 is Cephes' odd polynomial {@code |x| + |x|³·Q(x²)}, above it
 * {@code 1 - 2/(e^(2|x|) + 1)}; x's sign bit is copied onto the result.
 */
final class FloatTranscendentals {
  /** Largest input before clamping: e^89 overflows, as e^x does above 88.7228. */
  static final float EXP_HI = 89f;
  /** Smallest input before clamping: e^-104 is below half the smallest subnormal, so it rounds to 0. */
  static final float EXP_LO = -104f;
  static final float LOG2E = 1.44269504088896341f;
  /** 1.5·2^23: adding it rounds to an integer, kept in the low mantissa bits. */
  static final float ROUND = 12582912f;
  static final int ROUND_BITS = 0x4B400000;
  /** ln2 = LN2_HI + LN2_LO; LN2_HI has few bits, so n·LN2_HI is exact. */
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float P0 = 1.9875691500e-4f;
  static final float P1 = 1.3981999507e-3f;
  static final float P2 = 8.3334519073e-3f;
  static final float P3 = 4.1665795894e-2f;
  static final float P4 = 1.6666665459e-1f;
  static final float P5 = 5.0000001201e-1f;
  /** Below this |x|, tanh is the odd polynomial. */
  static final float TANH_SMALL = 0.625f;
  static final float T0 = -5.70498872745e-3f;
  static final float T1 = 2.06390887954e-2f;
  static final float T2 = -5.37397155531e-2f;
  static final float T3 = 1.33314422036e-1f;
  static final float T4 = -3.33332819422e-1f;
  static final int SIGN = 0x80000000;

  private FloatTranscendentals() {}

  /** e^x; +inf above about 88.72, 0 below about -103.97, NaN for NaN. */
  static float exp(float x) {
    float xc = Math.max(Math.min(x, EXP_HI), EXP_LO);
    float t = Math.fma(xc, LOG2E, ROUND);
    float n = t - ROUND;
    float r = Math.fma(n, -LN2_HI, xc);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(P0, r, P1);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P4);
    p = Math.fma(p, r, P5);
    float y = Math.fma(p, r * r, r) + 1f;
    int k = Float.floatToRawIntBits(t) - ROUND_BITS;
    int k1 = k >> 1;
    int k2 = k - k1;
    return y * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
  }

  /** 1 / (1 + e^-x): e^-x overflows to +inf below about -88.7, giving the limit 0. */
  static float sigmoid(float x) {
    return 1f / (exp(-x) + 1f);
  }

  /** tanh(x); ±1 once e^(2|x|) makes 2/(e + 1) vanish, ±0 kept. */
  static float tanh(float x) {
    float ax = Math.abs(x);
    float z = ax * ax;
    float q = Math.fma(T0, z, T1);
    q = Math.fma(q, z, T2);
    q = Math.fma(q, z, T3);
    q = Math.fma(q, z, T4);
    float small = Math.fma(q * z, ax, ax);
    float big = 1f - 2f / (exp(ax + ax) + 1f);
    float t = ax < TANH_SMALL ? small : big;
    // tanh(|x|) with x's sign bit, as the vector code does it (also right for -0).
    return Float.intBitsToFloat(Float.floatToRawIntBits(t) | (Float.floatToRawIntBits(x) & SIGN));
  }
}
