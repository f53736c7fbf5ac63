package dev.kiln.runtime.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Windows of one time series split by time, made by {@link TimeSeriesWindows#split}: training
 * windows whose targets all lie in the training span {@code [0, testStart)}, test windows whose
 * targets all lie in the test span {@code [testStart, n)} (their inputs may reach back into the
 * training span: a forecast uses the real history before it), and the {@link SeriesScaler} fitted
 * on the training span that scaled both. Immutable.
 */
public final class TimeSeriesSplit {
  private final Dataset train;
  private final Dataset test;
  private final SeriesScaler scaler;
  private final int testStart;
  private final float[] scaled;
  private final int lookback;

  TimeSeriesSplit(Dataset train, Dataset test, SeriesScaler scaler, int testStart, float[] scaled, int lookback) {
    this.train = train;
    this.test = test;
    this.scaler = scaler;
    this.testStart = testStart;
    this.scaled = scaled;
    this.lookback = lookback;
  }

  /** Training windows, scaled: row {@code i} predicts from index {@code i + lookback} on. */
  public Dataset train() {
    return train;
  }

  /** Test windows, scaled: row {@code j}'s first target is series index {@code testStart() + j}. */
  public Dataset test() {
    return test;
  }

  /** Fitted on the training span only; {@link SeriesScaler#inverse} puts predictions back in the series' units. */
  public SeriesScaler scaler() {
    return scaler;
  }

  /** The index of the first value of the test span (= the length of the training span). */
  public int testStart() {
    return testStart;
  }

  /**
   * The scaled input window ending just before series index {@code index}: the {@code lookback}
   * values {@code [index - lookback, index)}, e.g. to predict the value at {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code lookback <= index <= n}
   */
  public float[] inputBefore(int index) {
    Objects.checkFromToIndex(index - lookback, index, scaled.length);
    return Arrays.copyOfRange(scaled, index - lookback, index);
  }

  @Override
  public String toString() {
    return "TimeSeriesSplit[" + train + ", " + test + ", test from index " + testStart + ", " + scaler + "]";
  }
}
