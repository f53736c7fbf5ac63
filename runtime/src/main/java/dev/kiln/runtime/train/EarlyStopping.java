package dev.kiln.runtime.train;

import java.util.Locale;

/**
 * Stops training when a monitored metric has not improved for {@code patience} epochs.
 *
 * <pre>{@code
 * new EarlyStopping("val_loss", 5).withMinDelta(1e-4).restoringBestWeights()
 * }</pre>
 *
 * <p>The mode (lower or higher is better) is inferred from the metric's name ({@link
 * MonitorMode#inferFrom}) unless set. An improvement must beat the best value by more than
 * {@code minDelta}. With {@link #restoringBestWeights()} the weights of the best epoch are put back
 * when training ends, whether it stopped early or ran all its epochs.
 */
public final class EarlyStopping implements Callback {
  private final String monitor;
  private final int patience;
  private MonitorMode mode;
  private double minDelta;
  private boolean restoreBestWeights;

  private double best = Double.NaN;
  private int bestEpoch;
  private int wait;
  private int stoppedEpoch;
  private float[] bestWeights;

  /**
   * @param monitor a metric name: loss, accuracy, val_loss, val_accuracy
   * @param patience epochs without improvement before stopping (at least 1)
   */
  public EarlyStopping(String monitor, int patience) {
    this.monitor = EpochStats.canonicalMetric(monitor);
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be at least 1, got " + patience);
    }
    this.patience = patience;
    this.mode = MonitorMode.inferFrom(this.monitor);
  }

  /** Sets the smallest change that counts as an improvement (default 0). */
  public EarlyStopping withMinDelta(double delta) {
    if (!(delta >= 0)) {
      throw new IllegalArgumentException("minDelta must be at least 0, got " + delta);
    }
    this.minDelta = delta;
    return this;
  }

  /** Overrides the inferred mode. */
  public EarlyStopping withMode(MonitorMode m) {
    this.mode = java.util.Objects.requireNonNull(m, "mode");
    return this;
  }

  /** Puts the best epoch's weights back when training ends. */
  public EarlyStopping restoringBestWeights() {
    this.restoreBestWeights = true;
    return this;
  }

  /** The best value seen (NaN before the first epoch). */
  public double best() {
    return best;
  }

  /** The epoch of the best value (0 if none). */
  public int bestEpoch() {
    return bestEpoch;
  }

  /** The epoch after which training was stopped, or 0 if it was not. */
  public int stoppedEpoch() {
    return stoppedEpoch;
  }

  @Override
  public void onTrainBegin(TrainingContext c) {
    c.requireMetric(monitor, "EarlyStopping");
    best = Double.NaN;
    bestEpoch = 0;
    wait = 0;
    stoppedEpoch = 0;
    bestWeights = null;
  }

  @Override
  public void onEpochEnd(TrainingContext c) {
    double value = c.metric(monitor);
    if (mode.improves(value, best, minDelta)) {
      best = value;
      bestEpoch = c.epoch();
      wait = 0;
      if (restoreBestWeights) {
        bestWeights = c.copyWeights();
      }
      return;
    }
    wait++;
    if (wait >= patience) {
      stoppedEpoch = c.epoch();
      c.requestStop(
          String.format(
              Locale.ROOT,
              "early stopping after epoch %d: %s has not improved on %.4f (epoch %d) for %d epochs",
              c.epoch(), monitor, best, bestEpoch, wait));
    }
  }

  @Override
  public void onTrainEnd(TrainingContext c) {
    if (restoreBestWeights
        && bestWeights != null
        && c.history().size() > 0
        && bestEpoch != c.history().last().epoch()) {
      c.setWeights(bestWeights);
      c.log("restored the weights of epoch " + bestEpoch + " (best " + monitor + ")");
    }
  }

  @Override
  public String stateKey() {
    return "early_stopping";
  }

  @Override
  public void saveState(CallbackState s) {
    s.putDouble("best", best).putLong("best_epoch", bestEpoch).putLong("wait", wait);
    if (bestWeights != null) {
      s.putFloats("best_weights", bestWeights);
    }
  }

  @Override
  public void restoreState(CallbackState s) {
    best = s.getDouble("best", Double.NaN);
    bestEpoch = (int) s.getLong("best_epoch", 0);
    wait = (int) s.getLong("wait", 0);
    bestWeights = restoreBestWeights ? s.getFloats("best_weights") : null;
  }
}
