package dev.kiln.runtime.data;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The contents of an IDX file: its element type, dimensions and data. The data is kept as the
 * file's raw big-endian bytes, because the common unsigned-byte images would take four times the
 * memory as floats; convert with {@link #toFloats(float)} or read elements one at a time.
 */
public final class IdxArray {
  /** IDX element types, by the type code in the file's third byte. */
  public enum Type {
    UNSIGNED_BYTE(0x08, 1), SIGNED_BYTE(0x09, 1), SHORT(0x0B, 2), INT(0x0C, 4), FLOAT(0x0D, 4), DOUBLE(0x0E, 8);

    private final int code;
    private final int bytes;

    Type(int code, int bytes) {
      this.code = code;
      this.bytes = bytes;
    }

    /** The type code as written in the file. */
    public int code() {
      return code;
    }

    /** Bytes per element. */
    public int bytes() {
      return bytes;
    }

    /** Whether elements are integers (and {@link IdxArray#getInt} is allowed). */
    public boolean isIntegral() {
      return this != FLOAT && this != DOUBLE;
    }

    /** The type for a code, or null if the code is not an IDX type. */
    static Type ofCode(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }

  private static final VarHandle SHORT_BE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle FLOAT_BE = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle DOUBLE_BE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

  private final Type type;
  private final int[] dims;
  private final int size;
  private final byte[] data;

  /** @param data big-endian elements, {@code product(dims) * type.bytes()} long */
  public IdxArray(Type type, int[] dims, byte[] data) {
    this.type = Objects.requireNonNull(type, "type");
    this.dims = dims.clone();
    long n = 1;
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
      }
      n *= d;
    }
    if (n * type.bytes != data.length) {
      throw new IllegalArgumentException("data length: expected " + n * type.bytes + " bytes for "
          + type + " " + Arrays.toString(dims) + ", got " + data.length);
    }
    this.size = (int) n;
    this.data = data;
  }

  public Type type() {
    return type;
  }

  /** A copy of the dimensions, outermost first. */
  public int[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int axis) {
    return dims[axis];
  }

  /** Number of elements: the product of the dimensions. */
  public int size() {
    return size;
  }

  /** Element {@code i} (flat, row-major) as a double; exact for every type. */
  public double getDouble(int i) {
    Objects.checkIndex(i, size);
    return switch (type) {
      case UNSIGNED_BYTE -> data[i] & 0xFF;
      case SIGNED_BYTE -> data[i];
      case SHORT -> (short) SHORT_BE.get(data, i * 2);
      case INT -> (int) INT_BE.get(data, i * 4);
      case FLOAT -> (float) FLOAT_BE.get(data, i * 4);
      case DOUBLE -> (double) DOUBLE_BE.get(data, i * 8);
    };
  }

  /** Element {@code i} of an integral type. @throws IllegalStateException for FLOAT and DOUBLE */
  public int getInt(int i) {
    if (!type.isIntegral()) {
      throw new IllegalStateException("IDX elements are " + type + ", not integers");
    }
    return (int) getDouble(i);
  }

  /** All elements times {@code scale}, as floats (e.g. {@code 1/255f} for pixels). */
  public float[] toFloats(float scale) {
    float[] out = new float[size];
    if (type == Type.UNSIGNED_BYTE) { // the common case: skip the per-element switch
      for (int i = 0; i < size; i++) {
        out[i] = (data[i] & 0xFF) * scale;
      }
    } else {
      for (int i = 0; i < size; i++) {
        out[i] = (float) (getDouble(i) * scale);
      }
    }
    return out;
  }

  /** All elements of an integral type as ints. @throws IllegalStateException for FLOAT and DOUBLE */
  public int[] toInts() {
    int[] out = new int[size];
    for (int i = 0; i < size; i++) {
      out[i] = getInt(i);
    }
    return out;
  }

  @Override
  public String toString() {
    return "IdxArray[" + type + " " + Arrays.toString(dims) + "]";
  }
}
