package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.util.Arrays;

/** Times each training step from batch begin to batch end (the step, the metrics, the loss bookkeeping). */
final class StepTimer implements Callback {
  private final long[] times;
  private int count;
  private long begin;

  StepTimer(int capacity) {
    times = new long[capacity];
  }

  @Override
  public void onBatchBegin(TrainingContext context) {
    begin = System.nanoTime();
  }

  @Override
  public void onBatchEnd(TrainingContext context) {
    if (count < times.length) {
      times[count++] = System.nanoTime() - begin;
    }
  }

  /** What {@link #timeTraining} measured: the median epoch's samples/s and the step's median and p90 in ms. */
  record Training(double samplesPerSecond, double medianStepMs, double p90StepMs) {
    /** Milliseconds per batch of {@code batch} samples at {@link #samplesPerSecond}. */
    double msPerBatch(int batch) {
      return 1e3 * batch / samplesPerSecond;
    }
  }

  /**
   * The whole step inside {@code train()}, as the phase tools print it first: one epoch on
   * {@code warmUp}, then two epochs on {@code data} with every step timed from batch begin to batch
   * end.
   */
  static Training timeTraining(Model model, Dataset warmUp, Dataset data, int batch) {
    model.train(warmUp, TrainOptions.epochs(1).quiet());
    StepTimer timer = new StepTimer(data.rows() / batch * 2 + 2);
    History h = model.train(data, TrainOptions.epochs(2).quiet().withCallbacks(timer));
    double rate = EndToEnd.median(h.epochs().stream().mapToDouble(EpochStats::samplesPerSecond).toArray());
    return new Training(rate, timer.quantile(0.5) / 1e6, timer.quantile(0.9) / 1e6);
  }

  double quantile(double q) {
    long[] s = Arrays.copyOf(times, count);
    Arrays.sort(s);
    return s[Math.min(count - 1, (int) (q * count))];
  }
}
