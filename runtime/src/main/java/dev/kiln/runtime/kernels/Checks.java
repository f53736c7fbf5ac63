package dev.kiln.runtime.kernels;

import java.util.Objects;

/** Argument checks shared by the public facades: fail fast with the shape in the message, before any write. */
final class Checks {
  private Checks() {}

  // Fixed arities: a varargs array would be an allocation per kernel call.
  static void dims(int a) {
    if (a < 0) {
      throw new IllegalArgumentException("negative dimension " + a);
    }
  }

  static void dims(int a, int b) {
    dims(a);
    dims(b);
  }

  static void dims(int a, int b, int c) {
    dims(a);
    dims(b);
    dims(c);
  }

  /** array[off, off + rows·cols) must exist. */
  static void range(String name, float[] array, int off, int rows, int cols) {
    Objects.requireNonNull(array, name);
    long size = (long) rows * cols;
    if (off < 0 || off + size > array.length) {
      throw new IndexOutOfBoundsException(name + "[" + rows + "," + cols + "] at offset " + off
          + " does not fit in an array of length " + array.length);
    }
  }

  /** array[off, off + rows·cols) must exist. */
  static void range(String name, int[] array, int off, int rows, int cols) {
    Objects.requireNonNull(array, name);
    long size = (long) rows * cols;
    if (off < 0 || off + size > array.length) {
      throw new IndexOutOfBoundsException(name + "[" + rows + "," + cols + "] at offset " + off
          + " does not fit in an array of length " + array.length);
    }
  }

  static void optionalRange(String name, int[] array, int off, int rows, int cols) {
    if (array != null) {
      range(name, array, off, rows, cols);
    }
  }

  static void optionalRange(String name, float[] array, int off, int rows, int cols) {
    if (array != null) {
      range(name, array, off, rows, cols);
    }
  }
}
