package dev.kiln.runtime.model;

import dev.kiln.runtime.kernels.Backend;

/**
 * Finds NaN and infinite floats in prediction inputs. A float is non-finite iff its exponent bits
 * are all ones, i.e. iff {@code bits & 0x7fffffff > 0x7f7fffff}; so OR-ing {@code 0x7f7fffff - (bits
 * & 0x7fffffff)} over the array leaves the sign bit set iff one was. With the Vector API that is
 * about 4 µs per 100,000 floats here (1 % of a batch-128 Fashion-MNIST forward pass), against 28 µs
 * for the scalar loop, which C2 does not vectorize; no allocation either way.
 */
final class FiniteInputs {
  private FiniteInputs() {}

  /** The index of the first non-finite float among {@code x[0, n)}, or -1 if all are finite. */
  static int firstNonFinite(float[] x, int n) {
    boolean clean = Backend.vectorized() ? VectorFiniteInputs.allFinite(x, n) : allFiniteScalar(x, 0, n);
    if (clean) {
      return -1;
    }
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(x[i])) {
        return i;
      }
    }
    return -1;
  }

  /** The scalar reference, also the vector loop's tail. */
  static boolean allFiniteScalar(float[] x, int from, int to) {
    int acc = 0;
    for (int i = from; i < to; i++) {
      acc |= 0x7f7fffff - (Float.floatToRawIntBits(x[i]) & 0x7fffffff);
    }
    return acc >= 0;
  }
}
