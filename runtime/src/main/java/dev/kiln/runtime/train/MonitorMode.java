package dev.kiln.runtime.train;

import java.util.Locale;

/** Whether a monitored metric improves by going down or up. */
public enum MonitorMode {
  /** Lower is better (losses). */
  MIN,

  /** Higher is better (accuracies). */
  MAX;

  /** {@link #MAX} for metrics whose name contains "acc", {@link #MIN} otherwise. */
  public static MonitorMode inferFrom(String metric) {
    return metric.toLowerCase(Locale.ROOT).contains("acc") ? MAX : MIN;
  }

  /** Whether {@code value} beats {@code best} by more than {@code minDelta}; NaN never does. */
  boolean improves(double value, double best, double minDelta) {
    if (Double.isNaN(value)) {
      return false;
    }
    if (Double.isNaN(best)) {
      return true;
    }
    return this == MIN ? value < best - minDelta : value > best + minDelta;
  }
}
