package dev.kiln.runtime.model;

import java.util.SplittableRandom;

/** Parameter initialisation schemes, each drawn from a seeded generator. */
public enum Initializer {
  ZEROS,
  /** All ones (BatchNorm's scale and running variance). */
  ONES,
  /** N(0, 2/fanIn). */
  HE_NORMAL,
  /** U(±√(6/fanIn)). */
  HE_UNIFORM,
  /** N(0, 2/(fanIn+fanOut)). */
  XAVIER_NORMAL,
  /** U(±√(6/(fanIn+fanOut))). */
  XAVIER_UNIFORM,
  /** N(0, 1): PyTorch's default for embeddings. */
  STANDARD_NORMAL,
  /** U(±1/√fanIn): PyTorch's default for recurrent layers, with fanIn the hidden size. */
  UNIFORM_SQRT_FAN_IN;

  /** Fills {@code a[off, off+len)} for a tensor with the given fan-in and fan-out. */
  public void fill(float[] a, int off, int len, int fanIn, int fanOut, SplittableRandom rng) {
    switch (this) {
      case ZEROS -> java.util.Arrays.fill(a, off, off + len, 0f);
      case ONES -> java.util.Arrays.fill(a, off, off + len, 1f);
      case HE_NORMAL -> normal(a, off, len, Math.sqrt(2.0 / fanIn), rng);
      case HE_UNIFORM -> uniform(a, off, len, Math.sqrt(6.0 / fanIn), rng);
      case XAVIER_NORMAL -> normal(a, off, len, Math.sqrt(2.0 / (fanIn + fanOut)), rng);
      case XAVIER_UNIFORM -> uniform(a, off, len, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
      case STANDARD_NORMAL -> normal(a, off, len, 1.0, rng);
      case UNIFORM_SQRT_FAN_IN -> uniform(a, off, len, 1.0 / Math.sqrt(fanIn), rng);
    }
  }

  private static void normal(float[] a, int off, int len, double std, SplittableRandom rng) {
    for (int i = 0; i < len; i++) {
      a[off + i] = (float) (rng.nextGaussian() * std);
    }
  }

  private static void uniform(float[] a, int off, int len, double bound, SplittableRandom rng) {
    for (int i = 0; i < len; i++) {
      a[off + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
  }
}
