package dev.kiln.processor.ir;

import java.util.Arrays;

/**
 * A per-sample tensor shape: the batch is the leading run-time dimension and is not part of it.
 * Rank 1 for feature vectors, rank 3 ({@code [C, H, W]}) for images.
 */
public record Shape(int[] dims) {
  public Shape {
    dims = dims.clone();
  }

  public static Shape of(int... dims) {
    return new Shape(dims);
  }

  public static Shape vector(int n) {
    return new Shape(new int[] {n});
  }

  @Override
  public int[] dims() {
    return dims.clone();
  }

  public int dim(int i) {
    return dims[i];
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

  /** The dims joined with commas, e.g. {@code 1,28,28}. */
  public String compact() {
    StringBuilder s = new StringBuilder();
    for (int d : dims) {
      s.append(s.isEmpty() ? "" : ",").append(d);
    }
    return s.toString();
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
