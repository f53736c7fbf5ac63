package dev.kiln.runtime.train;

import java.util.function.IntToDoubleFunction;

/**
 * Sets the learning rate from the epoch (or, for cosine decay, the step) as a pure function of the
 * network's declared learning rate ({@link TrainingContext#baseLearningRate()}), so a resumed run
 * continues the schedule exactly without saved state.
 *
 * <pre>{@code
 * LearningRateSchedule.stepDecay(10, 0.5)        // halve every 10 epochs
 * LearningRateSchedule.exponential(0.95)         // × 0.95 per epoch
 * LearningRateSchedule.cosine(200, 1e-5)         // 200 warm-up steps, then cosine to 1e-5
 * }</pre>
 */
public final class LearningRateSchedule implements Callback {
  private enum Kind {
    STEP,
    EXPONENTIAL,
    COSINE,
    FUNCTION
  }

  private final Kind kind;
  private final int everyEpochs;
  private final double gamma;
  private final int warmupSteps;
  private final double minLearningRate;
  private final IntToDoubleFunction function;

  private LearningRateSchedule(
      Kind kind, int everyEpochs, double gamma, int warmupSteps, double minLr, IntToDoubleFunction f) {
    this.kind = kind;
    this.everyEpochs = everyEpochs;
    this.gamma = gamma;
    this.warmupSteps = warmupSteps;
    this.minLearningRate = minLr;
    this.function = f;
  }

  /** {@code lr = base · gamma^floor((epoch - 1) / everyEpochs)} (PyTorch's {@code StepLR}). */
  public static LearningRateSchedule stepDecay(int everyEpochs, double gamma) {
    if (everyEpochs < 1) {
      throw new IllegalArgumentException("everyEpochs must be at least 1, got " + everyEpochs);
    }
    checkGamma(gamma);
    return new LearningRateSchedule(Kind.STEP, everyEpochs, gamma, 0, 0, null);
  }

  /** {@code lr = base · gamma^(epoch - 1)} (PyTorch's {@code ExponentialLR}). */
  public static LearningRateSchedule exponential(double gamma) {
    checkGamma(gamma);
    return new LearningRateSchedule(Kind.EXPONENTIAL, 1, gamma, 0, 0, null);
  }

  /**
   * Linear warm-up over the first {@code warmupSteps} steps (batches) from {@code base/warmupSteps}
   * to {@code base}, then cosine decay to {@code minLearningRate} at the last step of the last
   * epoch; set before every step.
   */
  public static LearningRateSchedule cosine(int warmupSteps, double minLearningRate) {
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmupSteps must be at least 0, got " + warmupSteps);
    }
    if (!(minLearningRate >= 0)) {
      throw new IllegalArgumentException("minLearningRate must be at least 0, got " + minLearningRate);
    }
    return new LearningRateSchedule(Kind.COSINE, 1, 1, warmupSteps, minLearningRate, null);
  }

  /** {@code lr = lrForEpoch(epoch)}, epoch 1-based; the function must not depend on other state. */
  public static LearningRateSchedule perEpoch(IntToDoubleFunction lrForEpoch) {
    return new LearningRateSchedule(
        Kind.FUNCTION, 1, 1, 0, 0, java.util.Objects.requireNonNull(lrForEpoch, "lrForEpoch"));
  }

  private static void checkGamma(double gamma) {
    if (!(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("gamma must be in (0, 1], got " + gamma);
    }
  }

  /** The learning rate of {@code epoch} (1-based) for the per-epoch kinds. */
  double forEpoch(double base, int epoch) {
    return switch (kind) {
      case STEP -> base * Math.pow(gamma, (epoch - 1) / everyEpochs);
      case EXPONENTIAL -> base * Math.pow(gamma, epoch - 1);
      case FUNCTION -> function.applyAsDouble(epoch);
      case COSINE -> throw new IllegalStateException("cosine is per step");
    };
  }

  /** The cosine schedule's learning rate before step {@code step} (0-based) of {@code total}. */
  double forStep(double base, long step, long total) {
    if (step < warmupSteps) {
      return base * (step + 1) / warmupSteps;
    }
    long decaySteps = Math.max(total - warmupSteps - 1, 1);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
    return minLearningRate + (base - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }

  @Override
  public void onEpochBegin(TrainingContext c) {
    if (kind != Kind.COSINE) {
      c.setLearningRate((float) forEpoch(c.baseLearningRate(), c.epoch()));
    }
  }

  @Override
  public void onBatchBegin(TrainingContext c) {
    if (kind == Kind.COSINE) {
      long total = (long) c.epochs() * c.batches();
      c.setLearningRate((float) forStep(c.baseLearningRate(), c.globalStep(), total));
    }
  }
}
