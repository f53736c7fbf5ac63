package dev.kiln.runtime.data;

import java.util.Objects;

/**
 * Language-model data sets cut from one long sequence of token ids (e.g. {@link
 * Vocabulary#characterIds} of a whole book): each row holds {@code steps} input ids and, as
 * {@link Dataset#labelsPerRow() per-step labels}, the id that follows each of them, so the model
 * learns to predict the next token at every step.
 *
 * <p>{@link #contiguous} lays the rows out for stateful truncated backpropagation through time:
 * with batch size {@code batchSize} and no shuffling, row {@code r} of batch {@code k + 1}
 * continues exactly where row {@code r} of batch {@code k} stopped, so a recurrent network may carry
 * its hidden state from one batch to the next (PyTorch's {@code word_language_model} "batchify").
 * {@link #windows} makes independent windows for shuffled training with the state reset per batch.
 *
 * <pre>{@code
 * String text = Files.readString(Path.of("tinyshakespeare.txt"));
 * Vocabulary chars = Vocabulary.ofCharacters(text);
 * int[] ids = chars.characterIds(text);
 * Dataset stateful = TextStreams.contiguous("shakespeare", ids, chars.size(), 32, 100); // train with batch 32, shuffle off
 * Dataset shuffled = TextStreams.windows("shakespeare", ids, chars.size(), 100, 100);  // non-overlapping windows
 * }</pre>
 */
public final class TextStreams {
  private TextStreams() {
  }

  /**
   * Rows for stateful training with batch size {@code batchSize}. The ids (all but the last, which
   * has no next token) are cut into {@code batchSize} streams of equal length {@code S = (n - 1) /
   * batchSize}, stream {@code r} starting at id {@code r * S}; each stream is cut into {@code W = S /
   * steps} windows. Row {@code k * batchSize + r} is window {@code k} of stream {@code r}: inputs
   * {@code ids[r*S + k*steps + t]} and labels {@code ids[r*S + k*steps + t + 1]}, {@code t < steps}.
   * Every batch is full; the up to {@code S mod steps} ids at the end of each stream, and the
   * {@code (n - 1) mod batchSize} last ones, are not used as inputs.
   *
   * @param classes the vocabulary size; every id must be in {@code [0, classes)}
   * @throws IllegalArgumentException if a bound is below 1, an id is out of range (naming its
   *                                  position), or there are fewer than {@code batchSize * steps + 1}
   *                                  ids (naming both counts)
   */
  public static Dataset contiguous(String name, int[] ids, int classes, int batchSize, int steps) {
    check(name, ids, classes, steps);
    if (batchSize < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': batchSize must be >= 1, got " + batchSize);
    }
    long needed = (long) batchSize * steps + 1;
    if (ids.length < needed) {
      throw new IllegalArgumentException("dataset '" + name + "': " + ids.length + " ids are too few for "
          + batchSize + " streams of at least one window of " + steps + " steps: need at least " + needed);
    }
    int streamLength = (ids.length - 1) / batchSize;
    int windowsPerStream = streamLength / steps;
    int rows = Math.multiplyExact(windowsPerStream, batchSize);
    float[] x = new float[Math.multiplyExact(rows, steps)];
    int[] labels = new int[x.length];
    for (int k = 0; k < windowsPerStream; k++) {
      for (int r = 0; r < batchSize; r++) {
        copyWindow(ids, r * streamLength + k * steps, steps, x, labels, (k * batchSize + r) * steps);
      }
    }
    return Dataset.sequenceClassification(name, x, rows, steps, labels, steps, classes);
  }

  /**
   * Independent windows of {@code steps} inputs and their next ids, starting at ids {@code 0,
   * stride, 2 * stride, ...} while a whole window and its last label fit: {@code (n - steps - 1) /
   * stride + 1} rows. {@code stride == steps} gives non-overlapping windows; a smaller stride
   * overlaps them. Meant for shuffled training.
   *
   * @throws IllegalArgumentException if a bound is below 1, an id is out of range (naming its
   *                                  position), or there are fewer than {@code steps + 1} ids
   */
  public static Dataset windows(String name, int[] ids, int classes, int steps, int stride) {
    check(name, ids, classes, steps);
    if (stride < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': stride must be >= 1, got " + stride);
    }
    if (ids.length < (long) steps + 1) {
      throw new IllegalArgumentException("dataset '" + name + "': " + ids.length + " ids are too few for one window of "
          + steps + " steps and its next id: need at least " + (steps + 1L));
    }
    int rows = (ids.length - steps - 1) / stride + 1;
    float[] x = new float[Math.multiplyExact(rows, steps)];
    int[] labels = new int[x.length];
    for (int r = 0; r < rows; r++) {
      copyWindow(ids, r * stride, steps, x, labels, r * steps);
    }
    return Dataset.sequenceClassification(name, x, rows, steps, labels, steps, classes);
  }

  private static void copyWindow(int[] ids, int start, int steps, float[] x, int[] labels, int off) {
    for (int t = 0; t < steps; t++) {
      x[off + t] = ids[start + t];
      labels[off + t] = ids[start + t + 1];
    }
  }

  private static void check(String name, int[] ids, int classes, int steps) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(ids, "ids");
    if (classes < 1 || classes > SequenceEncoder.MAX_EXACT_ID) {
      throw new IllegalArgumentException("dataset '" + name + "': classes must be in [1, " + SequenceEncoder.MAX_EXACT_ID
          + "] (float ids are exact up to 2^24), got " + classes);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': steps must be >= 1, got " + steps);
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= classes) {
        throw new IllegalArgumentException("dataset '" + name + "': id at position " + i + " is " + ids[i]
            + ", outside [0, " + classes + ")");
      }
    }
  }
}
