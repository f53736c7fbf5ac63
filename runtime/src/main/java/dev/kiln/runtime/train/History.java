package dev.kiln.runtime.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Per-epoch metrics of a training run, in order. */
public final class History {
  private final List<EpochStats> epochs = new ArrayList<>();

  /** Appends one epoch's metrics. */
  public void add(EpochStats stats) {
    epochs.add(stats);
  }

  /** All epochs so far (unmodifiable view). */
  public List<EpochStats> epochs() {
    return Collections.unmodifiableList(epochs);
  }

  /** The last epoch's metrics. */
  public EpochStats last() {
    if (epochs.isEmpty()) {
      throw new IllegalStateException("no epoch has finished");
    }
    return epochs.get(epochs.size() - 1);
  }

  /** Number of finished epochs. */
  public int size() {
    return epochs.size();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (EpochStats e : epochs) {
      s.append(e.format(epochs.size())).append('\n');
    }
    return s.toString();
  }
}
