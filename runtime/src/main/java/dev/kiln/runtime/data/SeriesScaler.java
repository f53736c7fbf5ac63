package dev.kiln.runtime.data;

import java.util.Objects;

/**
 * Scales the values of one time series as {@code (v - shift) / scale}, with statistics fitted on a
 * span of it (the training span only, so nothing leaks from the test span), and maps a model's
 * predictions back with {@link #inverse}. Immutable.
 *
 * <p>{@link Method#STANDARD}: shift the mean, scale the population standard deviation.
 * {@link Method#MIN_MAX}: shift the minimum, scale {@code max - min}, so the span maps onto [0, 1]
 * (later values may fall outside; they are not clipped). {@link Method#NONE}: shift 0, scale 1. A
 * constant span has scale 1.
 */
public final class SeriesScaler {
  /** How the statistics are chosen. */
  public enum Method { STANDARD, MIN_MAX, NONE }

  private final Method method;
  private final float shift;
  private final float scale;

  private SeriesScaler(Method method, float shift, float scale) {
    this.method = method;
    this.shift = shift;
    this.scale = scale;
  }

  /**
   * Fits on {@code series[from, to)}.
   *
   * @throws IllegalArgumentException for an empty span or a non-finite value in it (naming its index)
   */
  public static SeriesScaler fit(Method method, float[] series, int from, int to) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(series, "series");
    Objects.checkFromToIndex(from, to, series.length);
    if (from == to) {
      throw new IllegalArgumentException("cannot fit a SeriesScaler on an empty span [" + from + ", " + to + ")");
    }
    for (int i = from; i < to; i++) {
      if (!Float.isFinite(series[i])) {
        throw new IllegalArgumentException("series value at index " + i + " is " + series[i]);
      }
    }
    return switch (method) {
      case NONE -> new SeriesScaler(method, 0f, 1f);
      case STANDARD -> {
        double sum = 0;
        for (int i = from; i < to; i++) {
          sum += series[i];
        }
        double mean = sum / (to - from);
        double sq = 0;
        for (int i = from; i < to; i++) {
          double d = series[i] - mean;
          sq += d * d;
        }
        float std = (float) Math.sqrt(sq / (to - from));
        yield new SeriesScaler(method, (float) mean, std > 0 ? std : 1f);
      }
      case MIN_MAX -> {
        float min = series[from];
        float max = series[from];
        for (int i = from; i < to; i++) {
          min = Math.min(min, series[i]);
          max = Math.max(max, series[i]);
        }
        float range = max - min;
        yield new SeriesScaler(method, min, range > 0 && Float.isFinite(range) ? range : 1f);
      }
    };
  }

  public Method method() {
    return method;
  }

  /** The value subtracted: the mean, the minimum, or 0. */
  public float shift() {
    return shift;
  }

  /** The divisor: the standard deviation, {@code max - min}, or 1 (also for a constant span). */
  public float scale() {
    return scale;
  }

  /** One scaled value. */
  public float transform(float v) {
    return (v - shift) / scale;
  }

  /** A scaled copy of {@code series}. */
  public float[] transform(float[] series) {
    float[] out = new float[series.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = transform(series[i]);
    }
    return out;
  }

  /** One value back in the series' units: {@code v * scale + shift}. */
  public float inverse(float v) {
    return v * scale + shift;
  }

  /** Maps {@code in} (e.g. a model's prediction) back into {@code out}, which may be {@code in}; allocates nothing. */
  public void inverse(float[] in, float[] out) {
    if (in.length != out.length) {
      throw new IllegalArgumentException("inverse of " + in.length + " values into a buffer of " + out.length);
    }
    for (int i = 0; i < in.length; i++) {
      out[i] = inverse(in[i]);
    }
  }

  @Override
  public String toString() {
    return "SeriesScaler[" + method + ", shift " + shift + ", scale " + scale + "]";
  }
}
