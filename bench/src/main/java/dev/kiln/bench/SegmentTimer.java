package dev.kiln.bench;

import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.TrainingContext;

/**
 * Times a training run in segments of a fixed number of batches: segment s runs from the beginning
 * of batch {@code s·batches} to the end of batch {@code (s+1)·batches - 1} (the step, the metrics and
 * the loop's bookkeeping between its batches).
 */
final class SegmentTimer implements Callback {
  private final int batches;
  private final double[] seconds;
  private int batch;
  private long begin;

  SegmentTimer(int segments, int batches) {
    this.batches = batches;
    this.seconds = new double[segments];
  }

  @Override
  public void onBatchBegin(TrainingContext context) {
    if (batch % batches == 0) {
      begin = System.nanoTime();
    }
  }

  @Override
  public void onBatchEnd(TrainingContext context) {
    int segment = batch / batches;
    if (batch % batches == batches - 1 && segment < seconds.length) {
      seconds[segment] = (System.nanoTime() - begin) / 1e9;
    }
    batch++;
  }

  /** Samples/s of each segment of {@code batchSize}-sample batches. */
  double[] samplesPerSecond(int batchSize) {
    double[] rates = new double[seconds.length];
    for (int s = 0; s < rates.length; s++) {
      rates[s] = (double) batches * batchSize / seconds[s];
    }
    return rates;
  }
}
