package dev.kiln.runtime.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named F32 tensor to be written: a view of {@code length} floats of {@code data} starting at
 * {@code offset}, in row-major order with the given shape. The floats are not copied, so a model can
 * hand out slices of its flat parameter arena; they must not change until the write returns.
 *
 * @param name   tensor name, non-empty and not {@code __metadata__}
 * @param shape  dimensions, each {@code >= 0}; an empty shape is a scalar (one element)
 * @param data   backing array, usually a parameter arena
 * @param offset index of the first element in {@code data}
 * @param length element count; must equal the product of {@code shape}
 */
public record Tensor(String name, int[] shape, float[] data, int offset, int length) {

  /** Validates eagerly so that a bad slice fails where it is built, not halfway through a write. */
  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("tensor name must not be empty");
    }
    if (name.equals(SafeTensors.METADATA_KEY)) {
      throw new IllegalArgumentException("tensor name " + SafeTensors.METADATA_KEY + " is reserved");
    }
    shape = shape.clone();
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
      }
    }
    long elements = elementCount(shape);
    if (elements != length) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
          + " has " + (elements == Long.MAX_VALUE ? "more than 2^63-1" : String.valueOf(elements))
          + " elements but length is " + length);
    }
    Objects.checkFromIndexSize(offset, length, data.length);
  }

  /** A tensor over the whole of {@code data}. */
  public static Tensor of(String name, float[] data, int... shape) {
    return new Tensor(name, shape, data, 0, data.length);
  }

  /** A tensor over {@code length} floats of {@code data} from {@code offset}, with that length implied by {@code shape}. */
  public static Tensor slice(String name, float[] data, int offset, int... shape) {
    long n = elementCount(shape);
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
          + " has more elements than a Java array holds");
    }
    return new Tensor(name, shape, data, offset, (int) n);
  }

  /** Product of the dimensions (1 for a scalar), saturating at {@link Long#MAX_VALUE}. */
  static long elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d == 0) {
        return 0; // checked first so that a zero after huge dimensions still gives 0
      }
    }
    for (int d : shape) {
      try {
        n = Math.multiplyExact(n, (long) d);
      } catch (ArithmeticException overflow) {
        return Long.MAX_VALUE;
      }
    }
    return n;
  }

  /** The shape (a copy: records expose arrays by reference otherwise). */
  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Number of bytes this tensor occupies in the file. */
  long byteSize() {
    return (long) length * Float.BYTES;
  }

  @Override
  public String toString() {
    return "Tensor[" + name + " " + Arrays.toString(shape) + " @" + offset + "+" + length + "]";
  }
}
