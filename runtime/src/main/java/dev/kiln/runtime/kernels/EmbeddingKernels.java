package dev.kiln.runtime.kernels;

/**
 * Embedding lookup ({@code torch.nn.Embedding}): token ids in an int array pick rows of a
 * {@code [vocabulary, dim]} table.
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
    throw new UnsupportedOperationException("not built yet");
  }

  /**
   * {@code g[ids[i]] += dy[i]} (scatter-add), except for {@code paddingIndex} (-1: none), whose row
   * gets no gradient.
   */
  public static void backward(int count, int vocabulary, int dim, int[] ids, int idsOff, float[] dy, int dyOff,
      float[] g, int gOff, int paddingIndex) {
    throw new UnsupportedOperationException("not built yet");
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
    throw new UnsupportedOperationException("not built yet");
  }
}
