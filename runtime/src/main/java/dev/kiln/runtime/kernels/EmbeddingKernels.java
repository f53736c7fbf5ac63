package dev.kiln.runtime.kernels;

/**
 * Embedding lookup ({@code torch.nn.Embedding}): token ids in an int array pick rows of a
 * {@code [vocabulary, dim]} table. Both directions check every id before writing anything. Row copies
 * and row sums are plain loops for both backends (System.arraycopy and C2's own vectorization).
 */
public final class EmbeddingKernels {
  private EmbeddingKernels() {}

  /**
   * {@code y[i] = table[ids[i]]} for {@code count} ids.
   *
   * @throws IllegalArgumentException naming the position when an id is outside {@code [0, vocabulary)}
   */
  public static void forward(int count, int vocabulary, int dim, int[] ids, int idsOff, float[] table, int tOff,
      float[] y, int yOff) {
    checkIds(count, vocabulary, dim, ids, idsOff, table, tOff);
    Checks.range("y", y, yOff, count, dim);
    for (int i = 0; i < count; i++) {
      System.arraycopy(table, tOff + ids[idsOff + i] * dim, y, yOff + i * dim, dim);
    }
  }

  /**
   * {@code g[ids[i]] += dy[i]} (scatter-add), except for {@code paddingIndex} (-1: none), whose row
   * gets no gradient.
   *
   * @throws IllegalArgumentException naming the position when an id is outside {@code [0, vocabulary)}
   */
  public static void backward(int count, int vocabulary, int dim, int[] ids, int idsOff, float[] dy, int dyOff,
      float[] g, int gOff, int paddingIndex) {
    checkIds(count, vocabulary, dim, ids, idsOff, g, gOff);
    Checks.range("dy", dy, dyOff, count, dim);
    for (int i = 0; i < count; i++) {
      int id = ids[idsOff + i];
      if (id == paddingIndex) {
        continue;
      }
      // A plain loop: C2 vectorizes it, and rows are short.
      int src = dyOff + i * dim, dst = gOff + id * dim;
      for (int j = 0; j < dim; j++) {
        g[dst + j] += dy[src + j];
      }
    }
  }

  /** Zeroes row {@code row} of a {@code [*, dim]} table (the padding id's row, after initialisation). */
  public static void zeroRow(int dim, int row, float[] table, int tOff) {
    java.util.Arrays.fill(table, tOff + row * dim, tOff + (row + 1) * dim, 0f);
  }

  /**
   * Per sample of {@code [n, steps]} ids, the number of real steps: the position of the first
   * {@code paddingIndex} (sequences are padded at the end), or {@code steps} when there is none.
   */
  public static void lengths(int n, int steps, int[] ids, int idsOff, int paddingIndex, int[] lengths, int lOff) {
    Checks.dims(n, steps);
    Checks.range("ids", ids, idsOff, n, steps);
    Checks.range("lengths", lengths, lOff, 1, n);
    for (int b = 0; b < n; b++) {
      int len = 0;
      int row = idsOff + b * steps;
      while (len < steps && ids[row + len] != paddingIndex) {
        len++;
      }
      lengths[lOff + b] = len;
    }
  }

  /** Every id in range, before anything is written. */
  private static void checkIds(int count, int vocabulary, int dim, int[] ids, int idsOff, float[] table, int tOff) {
    Checks.dims(count, vocabulary, dim);
    Checks.range("ids", ids, idsOff, 1, count);
    Checks.range("table", table, tOff, vocabulary, dim);
    for (int i = 0; i < count; i++) {
      int id = ids[idsOff + i];
      if (id < 0 || id >= vocabulary) {
        throw new IllegalArgumentException("embedding: id " + id + " at position " + i
            + " is outside the vocabulary [0, " + vocabulary + ")");
      }
    }
  }
}
