package dev.kiln.runtime.train;

import java.util.Locale;

/**
 * Multiplies the learning rate by {@code factor} when a monitored metric has not improved for
 * {@code patience} epochs (Keras' {@code ReduceLROnPlateau}): after a reduction it waits
 * {@code cooldown} epochs before counting again, and never goes below {@code minLearningRate}.
 */
public final class ReduceLearningRateOnPlateau implements Callback {
  private final String monitor;
  private final double factor;
  private final int patience;
  private MonitorMode mode;
  private double minDelta;
  private int cooldown;
  private double minLearningRate;

  private double best = Double.NaN;
  private int wait;
  private int cooldownLeft;

  /**
   * @param monitor a metric name: loss, accuracy, val_loss, val_accuracy
   * @param factor multiplier in (0, 1)
   * @param patience epochs without improvement before reducing (at least 1)
   */
  public ReduceLearningRateOnPlateau(String monitor, double factor, int patience) {
    this.monitor = EpochStats.canonicalMetric(monitor);
    if (!(factor > 0 && factor < 1)) {
      throw new IllegalArgumentException("factor must be in (0, 1), got " + factor);
    }
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be at least 1, got " + patience);
    }
    this.factor = factor;
    this.patience = patience;
    this.mode = MonitorMode.inferFrom(this.monitor);
  }

  /** Sets the smallest change that counts as an improvement (default 0). */
  public ReduceLearningRateOnPlateau withMinDelta(double delta) {
    if (!(delta >= 0)) {
      throw new IllegalArgumentException("minDelta must be at least 0, got " + delta);
    }
    this.minDelta = delta;
    return this;
  }

  /** Epochs to wait after a reduction before counting again (default 0). */
  public ReduceLearningRateOnPlateau withCooldown(int epochs) {
    if (epochs < 0) {
      throw new IllegalArgumentException("cooldown must be at least 0, got " + epochs);
    }
    this.cooldown = epochs;
    return this;
  }

  /** The floor of the learning rate (default 0). */
  public ReduceLearningRateOnPlateau withMinLearningRate(double lr) {
    if (!(lr >= 0)) {
      throw new IllegalArgumentException("minLearningRate must be at least 0, got " + lr);
    }
    this.minLearningRate = lr;
    return this;
  }

  /** Overrides the inferred mode. */
  public ReduceLearningRateOnPlateau withMode(MonitorMode m) {
    this.mode = java.util.Objects.requireNonNull(m, "mode");
    return this;
  }

  @Override
  public void onTrainBegin(TrainingContext c) {
    c.requireMetric(monitor, "ReduceLearningRateOnPlateau");
    best = Double.NaN;
    wait = 0;
    cooldownLeft = 0;
  }

  @Override
  public void onEpochEnd(TrainingContext c) {
    double value = c.metric(monitor);
    if (cooldownLeft > 0) {
      cooldownLeft--;
      wait = 0;
    }
    if (mode.improves(value, best, minDelta)) {
      best = value;
      wait = 0;
    } else if (cooldownLeft == 0 && ++wait >= patience) {
      float old = c.learningRate();
      if (old > minLearningRate) {
        float lr = (float) Math.max(old * factor, minLearningRate);
        c.setLearningRate(lr);
        c.log(
            String.format(
                Locale.ROOT,
                "epoch %d: %s has not improved for %d epochs, learning rate %.3g -> %.3g",
                c.epoch(), monitor, wait, old, lr));
      }
      cooldownLeft = cooldown;
      wait = 0;
    }
  }

  @Override
  public String stateKey() {
    return "reduce_lr_on_plateau";
  }

  @Override
  public void saveState(CallbackState s) {
    s.putDouble("best", best).putLong("wait", wait).putLong("cooldown_left", cooldownLeft);
  }

  @Override
  public void restoreState(CallbackState s) {
    best = s.getDouble("best", Double.NaN);
    wait = (int) s.getLong("wait", 0);
    cooldownLeft = (int) s.getLong("cooldown_left", 0);
  }
}
