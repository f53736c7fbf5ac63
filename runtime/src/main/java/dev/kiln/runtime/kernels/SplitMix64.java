package dev.kiln.runtime.kernels;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose output is fixed by its definition,
 * so seeded shuffles give the same order on every JDK (unlike {@code java.util.Random} helpers
 * whose derived methods may change). Its whole state is one {@code long} ({@link #state()}), which
 * is what lets a training checkpoint save the dropout stream and resume it exactly.
 *
 * <p>It sits with the kernels because dropout draws its masks from it; data shuffling and splits
 * use it too.
 */
public final class SplitMix64 {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

  private long state;

  /** A generator whose state is {@code seed}. */
  public SplitMix64(long seed) {
    this.state = seed;
  }

  /** The generator's whole state: {@code new SplitMix64(g.state())} continues exactly where {@code g} is. */
  public long state() {
    return state;
  }

  /** Sets the state, as read from {@link #state()}. */
  public void setState(long state) {
    this.state = state;
  }

  /** Derives an independent seed from a seed and a stream number (e.g. the epoch). */
  public static long derive(long seed, long stream) {
    return mix(seed ^ mix(stream * GOLDEN_GAMMA + 0x632BE59BD9B4E019L));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The next 64 uniformly distributed bits. */
  public long nextLong() {
    state += GOLDEN_GAMMA;
    return mix(state);
  }

  /** Uniform in [0, 1) with 24 random bits, like {@link java.util.SplittableRandom#nextFloat()}. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /** Uniform in [0, bound) without modulo bias (Lemire's multiply-and-reject). */
  public int nextInt(int bound) {
    long m = (nextLong() >>> 32) * bound;
    if ((m & 0xFFFFFFFFL) < bound) {
      long threshold = (0x1_0000_0000L - bound) % bound;
      while ((m & 0xFFFFFFFFL) < threshold) {
        m = (nextLong() >>> 32) * bound;
      }
    }
    return (int) (m >>> 32);
  }

  /** Fisher–Yates shuffle of {@code a[from, to)}. */
  public void shuffle(int[] a, int from, int to) {
    for (int i = to - 1; i > from; i--) {
      int j = from + nextInt(i - from + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
