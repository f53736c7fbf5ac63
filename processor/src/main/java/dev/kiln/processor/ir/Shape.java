package dev.kiln.processor.ir;

import java.util.Arrays;

/**
 * A per-sample tensor shape: the batch is the leading run-time dimension and is not part of it.
 * Rank 1 (features) today; rank up to 4 (channels, height, width) and a time axis are planned.
 */
public record Shape(int[] dims) {
  public Shape {
    dims = dims.clone();
  }

  public static Shape vector(int n) {
    return new Shape(new int[] {n});
  }

  @Override
  public int[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  /** Number of floats per sample. */
  public int size() {
    int n = 1;
    for (int d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("[B");
    for (int d : dims) {
      s.append(", ").append(d);
    }
    return s.append(']').toString();
  }
}
