package dev.kiln.bench;

import dev.kiln.runtime.train.Callback;
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

  double quantile(double q) {
    long[] s = Arrays.copyOf(times, count);
    Arrays.sort(s);
    return s[Math.min(count - 1, (int) (q * count))];
  }
}
