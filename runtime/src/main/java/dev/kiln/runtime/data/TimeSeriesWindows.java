package dev.kiln.runtime.data;

import java.util.Objects;

/**
 * Regression data sets of sliding windows over one time series: each row holds {@code lookback}
 * consecutive values as inputs and the {@code horizon} values that follow as targets. Window
 * {@code i} has inputs {@code series[i, i + lookback)} and targets {@code series[i + lookback, i +
 * lookback + horizon)}; windows slide by one.
 *
 * <pre>{@code
 * float[] sunspots = CsvReader.builder().header(true).regression(1).build()
 *     .read(Path.of("sunspots.csv")).targets();                       // the SUNACTIVITY column
 * TimeSeriesSplit s = TimeSeriesWindows.split("sunspots", sunspots, 20, 1, 40, SeriesScaler.Method.STANDARD);
 * model.train(s.train(), options);
 * float next = s.scaler().inverse(model.predict(s.inputBefore(s.testStart()))[0]);
 * }</pre>
 */
public final class TimeSeriesWindows {
  private TimeSeriesWindows() {
  }

  /**
   * Every window of the series, unscaled: {@code n - lookback - horizon + 1} rows.
   *
   * @throws IllegalArgumentException if a bound is below 1, a value is not finite (naming its
   *                                  index), or the series is shorter than {@code lookback + horizon}
   */
  public static Dataset of(String name, float[] series, int lookback, int horizon) {
    check(name, series, lookback, horizon);
    if (series.length < (long) lookback + horizon) {
      throw new IllegalArgumentException("dataset '" + name + "': a series of " + series.length
          + " values has no window of " + lookback + " inputs and " + horizon + " targets: need at least "
          + ((long) lookback + horizon) + " values");
    }
    return windows(name, series, 0, series.length - lookback - horizon + 1, lookback, horizon);
  }

  /**
   * Splits by time: the last {@code testSize} values are the test span, the rest the training span.
   * A {@link SeriesScaler} is fitted on the training span only and scales the whole series. Training
   * windows have all their targets in the training span ({@code n - testSize - lookback - horizon +
   * 1} rows); test windows have all their targets in the test span ({@code testSize - horizon + 1}
   * rows) and take their inputs from the real values before them, the training span included. With
   * {@code horizon > 1} the {@code horizon - 1} windows whose targets straddle the boundary are in
   * neither part. Parts are named {@code name + "/train"} and {@code name + "/test"}.
   *
   * @throws IllegalArgumentException if a bound is below 1, a value is not finite, {@code testSize <
   *                                  horizon} (no test window), or the training span is shorter
   *                                  than {@code lookback + horizon} (no training window)
   */
  public static TimeSeriesSplit split(String name, float[] series, int lookback, int horizon, int testSize,
      SeriesScaler.Method scaling) {
    check(name, series, lookback, horizon);
    Objects.requireNonNull(scaling, "scaling");
    if (testSize < horizon || testSize > series.length) {
      throw new IllegalArgumentException("dataset '" + name + "': testSize must be in [horizon, n] = [" + horizon
          + ", " + series.length + "] so the test span holds a window's targets, got " + testSize);
    }
    int testStart = series.length - testSize;
    if (testStart < (long) lookback + horizon) {
      throw new IllegalArgumentException("dataset '" + name + "': the training span of " + testStart
          + " values (" + series.length + " minus " + testSize + " for test) has no window of " + lookback
          + " inputs and " + horizon + " targets: need at least " + ((long) lookback + horizon));
    }
    SeriesScaler scaler = SeriesScaler.fit(scaling, series, 0, testStart);
    float[] scaled = scaler.transform(series);
    Dataset train = windows(name + "/train", scaled, 0, testStart - lookback - horizon + 1, lookback, horizon);
    Dataset test = windows(name + "/test", scaled, testStart - lookback, testSize - horizon + 1, lookback, horizon);
    return new TimeSeriesSplit(train, test, scaler, testStart, scaled, lookback);
  }

  private static Dataset windows(String name, float[] series, int first, int rows, int lookback, int horizon) {
    float[] x = new float[Math.multiplyExact(rows, lookback)];
    float[] y = new float[Math.multiplyExact(rows, horizon)];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(series, first + r, x, r * lookback, lookback);
      System.arraycopy(series, first + r + lookback, y, r * horizon, horizon);
    }
    return Dataset.regression(name, x, rows, lookback, y, horizon);
  }

  private static void check(String name, float[] series, int lookback, int horizon) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(series, "series");
    if (lookback < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': lookback must be >= 1, got " + lookback);
    }
    if (horizon < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': horizon must be >= 1, got " + horizon);
    }
    for (int i = 0; i < series.length; i++) {
      if (!Float.isFinite(series[i])) {
        throw new IllegalArgumentException("dataset '" + name + "': series value at index " + i + " is " + series[i]);
      }
    }
  }
}
