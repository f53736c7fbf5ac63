package dev.kiln.runtime.model;

import java.util.Arrays;
import java.util.List;

/**
 * The recurrent states a stateful network carries from one batch to the next (layers declared
 * {@code @LSTM(stateful = true)} and the like): one arena, per stateful layer a block of
 * {@code [rows, units]} h followed, for the LSTM, by {@code [rows, units]} c, the layers' blocks in
 * declaration order. Layer {@code l}'s block starts at {@code rows · offsetPerRow(l)}.
 *
 * <p>The states belong to a number of batch rows: {@link #forRows} with another number starts from
 * zeros for that many rows (the last partial batch of a data set, or a single sample after training
 * with batches of 32). The arena only grows, so alternating between two sizes allocates once.
 */
final class CarriedStates {
  private final int[] offsetPerRow;
  private final int floatsPerRow;
  private float[] values = new float[0];
  private int rows;

  CarriedStates(ModelSpec spec) {
    List<LayerSpec> layers = spec.layers();
    offsetPerRow = new int[layers.size()];
    int total = 0;
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      offsetPerRow[i] = -1;
      if (stateful(l)) {
        offsetPerRow[i] = total;
        int units = ((Number) l.attributes().get("units")).intValue();
        total = Math.addExact(total, "LSTM".equals(l.type()) ? 2 * units : units);
      }
    }
    floatsPerRow = total;
  }

  /** Whether a layer was declared stateful. */
  static boolean stateful(LayerSpec l) {
    return Boolean.TRUE.equals(l.attributes().get("stateful"));
  }

  /** Whether the network has any stateful layer. */
  boolean any() {
    return floatsPerRow > 0;
  }

  /** Floats of state per batch row, all stateful layers together. */
  int floatsPerRow() {
    return floatsPerRow;
  }

  /** The rows the current states belong to (0 before the first batch or after a reset). */
  int rows() {
    return rows;
  }

  /**
   * The arena for a batch of {@code n} rows: the carried states if they belong to {@code n} rows,
   * else zeros for {@code n} rows. Allocates only when {@code n} rows need more room than ever before.
   */
  float[] forRows(int n) {
    if (n != rows) {
      int size = Math.multiplyExact(n, floatsPerRow);
      if (values.length < size) {
        values = new float[size];
      } else {
        Arrays.fill(values, 0, size, 0f);
      }
      rows = n;
    }
    return values;
  }

  /** Where layer {@code layer}'s block starts for a batch of {@code n} rows. */
  int offset(int layer, int n) {
    int perRow = offsetPerRow[layer];
    if (perRow < 0) {
      throw new IllegalArgumentException("layer " + layer + " is not stateful");
    }
    return n * perRow;
  }

  /** Back to zeros; the next batch of any size starts from them. */
  void reset() {
    Arrays.fill(values, 0f);
    rows = 0;
  }

  /** A copy of the current states ({@code rows · floatsPerRow} floats). */
  float[] snapshot() {
    return Arrays.copyOf(values, rows * floatsPerRow);
  }

  /** Restores a {@link #snapshot} taken for {@code n} rows. */
  void restore(float[] snapshot, int n) {
    if (snapshot.length != (long) n * floatsPerRow) {
      throw new IllegalArgumentException(
          "carried states of " + n + " rows need " + (long) n * floatsPerRow + " floats, got " + snapshot.length);
    }
    forRows(n);
    System.arraycopy(snapshot, 0, values, 0, snapshot.length);
  }
}
