package dev.kiln.runtime.data;

import dev.kiln.runtime.kernels.SplitMix64;
import java.util.Objects;

/**
 * Picks the next token of generated text from a model's output: the most likely one ({@link
 * #argmax}), or a random one drawn with a temperature and a top-k cut. Draws are fixed by the seed
 * (a SplitMix64 stream, the same on every JDK), so a generation can be reproduced; {@link #state()}
 * saves the stream mid-generation. Sampling allocates nothing once given a scratch buffer of at
 * least the vocabulary size. Not thread-safe: one sampler per generating thread.
 *
 * <p>Temperature {@code T} reshapes the distribution to {@code softmax(logits / T)}, i.e. {@code
 * p^(1/T)} renormalized: below 1 it sharpens towards the most likely tokens, above 1 it flattens,
 * and 0 means greedy ({@link #argmax}). Top-k keeps only the {@code k} most likely tokens ({@code
 * 0}: all), ties at the cut going to the lower ids, and renormalizes over them.
 *
 * <pre>{@code
 * TokenSampler sampler = new TokenSampler(42);
 * float[] scratch = new float[chars.size()];
 * SequenceGenerator g = model.generator();                         // carried recurrent state
 * float[] probs = g.feed(seed);                                    // the next token's probabilities
 * for (int i = 0; i < 200; i++) {
 *   int next = sampler.sampleFromProbabilities(probs, 0, chars.size(), 0.8f, 10, scratch);
 *   probs = g.feed(next);
 * }
 * }</pre>
 *
 * <p>({@code SequenceGenerator.generate} is that loop.)
 */
public final class TokenSampler {
  private final SplitMix64 rng;

  public TokenSampler(long seed) {
    this.rng = new SplitMix64(SplitMix64.derive(seed, 0x5A3B_1E75L));
  }

  /** The generator state; {@link #setState} with it continues the same draws. */
  public long state() {
    return rng.state();
  }

  public void setState(long state) {
    rng.setState(state);
  }

  /**
   * The index (relative to {@code offset}) of the largest of {@code values[offset, offset + length)},
   * the lowest index among equals.
   *
   * @throws IllegalArgumentException if {@code length < 1} or a value is NaN (naming its index)
   */
  public static int argmax(float[] values, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, values.length);
    if (length < 1) {
      throw new IllegalArgumentException("argmax of an empty range");
    }
    int best = 0;
    for (int i = 0; i < length; i++) {
      float v = values[offset + i];
      if (Float.isNaN(v)) {
        throw new IllegalArgumentException("value " + i + " is NaN");
      }
      if (v > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Draws an index (relative to {@code offset}) from the probabilities {@code probs[offset, offset +
   * length)} (need not sum to 1; zeros are never drawn).
   *
   * @param temperature {@code >= 0}; 0 is greedy
   * @param topK        tokens to keep, {@code 0} for all
   * @param scratch     at least {@code length} floats, overwritten; not {@code probs} itself
   * @throws IllegalArgumentException for a negative, infinite or NaN probability (naming its index),
   *                                  all probabilities zero, or a bad temperature, top-k or scratch
   */
  public int sampleFromProbabilities(float[] probs, int offset, int length, float temperature, int topK, float[] scratch) {
    return sample(probs, offset, length, temperature, topK, scratch, true);
  }

  /**
   * Draws an index (relative to {@code offset}) from {@code softmax(logits / temperature)} over
   * {@code logits[offset, offset + length)}; {@code -Infinity} masks a token out. {@code scratch}
   * is as for {@link #sampleFromProbabilities} (not {@code logits} itself).
   *
   * @throws IllegalArgumentException for a NaN or {@code +Infinity} logit (naming its index), all
   *                                  logits {@code -Infinity}, or a bad temperature, top-k or scratch
   * @see #sampleFromProbabilities
   */
  public int sampleFromLogits(float[] logits, int offset, int length, float temperature, int topK, float[] scratch) {
    return sample(logits, offset, length, temperature, topK, scratch, false);
  }

  private int sample(float[] v, int offset, int length, float temperature, int topK, float[] scratch,
      boolean probabilities) {
    Objects.checkFromIndexSize(offset, length, v.length);
    if (length < 1) {
      throw new IllegalArgumentException("cannot sample from an empty range");
    }
    if (!(temperature >= 0) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0 (0 keeps every token), got " + topK);
    }
    if (scratch.length < length) {
      throw new IllegalArgumentException("scratch holds " + scratch.length + " floats, fewer than the " + length
          + " values sampled from");
    }
    // Scores in log space: log p for probabilities, the logit itself otherwise; -inf is never drawn.
    float max = Float.NEGATIVE_INFINITY;
    int best = -1;
    for (int i = 0; i < length; i++) {
      float s = score(v[offset + i], i, probabilities);
      scratch[i] = s;
      if (s > max) {
        max = s;
        best = i;
      }
    }
    if (best < 0) {
      throw new IllegalArgumentException(probabilities ? "every probability is 0" : "every logit is -Infinity");
    }
    if (temperature == 0) {
      return best;
    }
    // Keep scores above the k-th largest, and as many equal to it as fit, lowest indices first.
    float cut = Float.NEGATIVE_INFINITY;
    int tiesKept = Integer.MAX_VALUE;
    if (topK > 0 && topK < length) {
      cut = kthLargest(scratch, length, topK);
      int above = 0;
      for (int i = 0; i < length; i++) {
        if (score(v[offset + i], i, probabilities) > cut) {
          above++;
        }
      }
      tiesKept = topK - above;
    }
    double total = 0;
    for (int i = 0; i < length; i++) {
      float s = score(v[offset + i], i, probabilities);
      float w = 0;
      if (s > cut || s == cut && s != Float.NEGATIVE_INFINITY && tiesKept-- > 0) {
        w = (float) Math.exp((s - max) / temperature);
      }
      scratch[i] = w;
      total += w;
    }
    double u = (rng.nextLong() >>> 11) * 0x1.0p-53 * total;
    double cumulative = 0;
    int last = best;
    for (int i = 0; i < length; i++) {
      if (scratch[i] > 0) {
        cumulative += scratch[i];
        last = i;
        if (u < cumulative) {
          return i;
        }
      }
    }
    return last; // u fell past the end by rounding
  }

  private static float score(float x, int index, boolean probability) {
    if (probability) {
      if (!(x >= 0) || x == Float.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("probability " + index + " is " + x);
      }
      return (float) Math.log(x);
    }
    if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("logit " + index + " is " + x);
    }
    return x;
  }

  /** The k-th largest of {@code a[0, n)} (k in [1, n)), reordering {@code a}: quickselect, median-of-three pivot. */
  static float kthLargest(float[] a, int n, int k) {
    int target = k - 1; // index in descending order
    int lo = 0;
    int hi = n - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      float pivot = median(a[lo], a[mid], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] > pivot) {
          i++;
        }
        while (a[j] < pivot) {
          j--;
        }
        if (i <= j) {
          float t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      // a[lo..j] >= pivot, a[i..hi] <= pivot, a[j+1..i-1] == pivot
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return pivot;
      }
    }
    return a[target];
  }

  private static float median(float a, float b, float c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
}
