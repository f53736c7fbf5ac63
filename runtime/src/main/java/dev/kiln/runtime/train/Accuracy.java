package dev.kiln.runtime.train;

import dev.kiln.runtime.kernels.Losses;

/**
 * The fraction of samples (of labelled steps, for sequence outputs) whose predicted class is their label: the class of largest output, or
 * for a single output (binary cross-entropy) class 1 iff the output is at least 0.5. Measured for
 * every classification network (the history's {@code accuracy} and {@code val_accuracy}).
 */
public final class Accuracy implements Metric {
  private long correct;
  private long count;

  @Override
  public String name() {
    return "accuracy";
  }

  @Override
  public void reset() {
    correct = 0;
    count = 0;
  }

  @Override
  public void accumulate(float[] outputs, int offset, int rows, int width, int[] labels, float[] targets) {
    if (labels == null) {
      throw new IllegalArgumentException("accuracy needs class labels; the network is a regression network");
    }
    for (int i = 0; i < rows; i++) {
      if (labels[i] == Losses.IGNORED) {
        continue;
      }
      if (predictedClass(outputs, offset + i * width, width) == labels[i]) {
        correct++;
      }
      count++;
    }
  }

  @Override
  public double result() {
    return count == 0 ? Double.NaN : (double) correct / count;
  }

  /** Correct predictions since the last {@link #reset()}. */
  /** Continues from counts saved in a checkpoint taken inside an epoch. */
  void restore(long correct, long count) {
    this.correct = correct;
    this.count = count;
  }

  public long correct() {
    return correct;
  }

  /** Samples accumulated since the last {@link #reset()}. */
  public long count() {
    return count;
  }

  /**
   * The class predicted from the {@code width} outputs at {@code outputs[offset]}: the index of the
   * largest (the first of equal ones), or for one output 1 iff it is at least 0.5.
   */
  public static int predictedClass(float[] outputs, int offset, int width) {
    if (width == 1) {
      return outputs[offset] >= 0.5f ? 1 : 0;
    }
    int best = 0;
    for (int j = 1; j < width; j++) {
      if (outputs[offset + j] > outputs[offset + best]) {
        best = j;
      }
    }
    return best;
  }
}
