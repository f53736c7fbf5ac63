package dev.kiln.runtime.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads IDX files (the MNIST format): two zero bytes, a type code (0x08 unsigned byte, 0x09
 * signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double), the rank, one big-endian int per
 * dimension, then the elements big-endian. A gzip-compressed file is recognised by its first two
 * bytes, whatever its name.
 *
 * <p>Errors are {@link DataException}s naming the file, the byte offset where reading failed
 * (counted in the decompressed data for gzip files) and what was expected there.
 */
public final class IdxReader {
  /** The largest array Java can allocate. */
  private static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;

  private IdxReader() {
  }

  /** Reads an IDX file, plain or gzip. */
  public static IdxArray read(Path path) throws DataException {
    Objects.requireNonNull(path, "path");
    try (InputStream in = SourceStreams.open(path)) {
      return parse(in, path.toString());
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(path + ": " + e, e); // only close() can get here
    }
  }

  /** Reads IDX data from a stream (plain or gzip); {@code name} appears in error messages. Does not close {@code in}. */
  public static IdxArray read(InputStream in, String name) throws DataException {
    return parse(SourceStreams.gunzipIfCompressed(in, name), name);
  }

  private static IdxArray parse(InputStream in, String name) throws DataException {
    Cursor c = new Cursor(in, name);
    byte[] head = c.read(4, "the 4-byte IDX header (00 00, type code, rank)");
    if (head[0] != 0 || head[1] != 0) {
      throw new DataException(name + ": bad magic at byte 0: expected 00 00 then a type code, found "
          + hex(head[0]) + " " + hex(head[1]) + " (not an IDX file)");
    }
    IdxArray.Type type = IdxArray.Type.ofCode(head[2] & 0xFF);
    if (type == null) {
      throw new DataException(name + ": unsupported type code 0x" + hex(head[2]) + " at byte 2: expected"
          + " 08 (unsigned byte), 09 (signed byte), 0B (short), 0C (int), 0D (float) or 0E (double)");
    }
    int rank = head[3] & 0xFF;
    if (rank == 0) {
      throw new DataException(name + ": rank 0 at byte 3: expected at least one dimension");
    }
    int[] dims = new int[rank];
    long elements = 1;
    for (int d = 0; d < rank; d++) {
      long at = c.position;
      byte[] b = c.read(4, "dimension " + d + " of " + rank + " (a 4-byte big-endian int)");
      dims[d] = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
      if (dims[d] < 0) {
        throw new DataException(name + ": dimension " + d + " at byte " + at + " is " + dims[d]
            + ": expected a non-negative size");
      }
      elements *= dims[d];
      if (elements * type.bytes() > MAX_DATA_BYTES) {
        throw new DataException(name + ": dimensions " + Arrays.toString(Arrays.copyOf(dims, d + 1))
            + (d + 1 < rank ? "..." : "") + " of " + type + " exceed the largest Java array ("
            + MAX_DATA_BYTES + " bytes)");
      }
    }
    int dataBytes = (int) (elements * type.bytes());
    byte[] data = c.read(dataBytes, dataBytes + " bytes of data for " + type + " " + Arrays.toString(dims));
    c.expectEnd(dataBytes);
    return new IdxArray(type, dims, data);
  }

  private static String hex(byte b) {
    return String.format("%02x", b & 0xFF);
  }

  /** Reads exactly, tracking the byte offset for messages. */
  private static final class Cursor {
    private static final int INITIAL_BUFFER = 1 << 16;

    private final InputStream in;
    private final String name;
    long position;

    Cursor(InputStream in, String name) {
      this.in = in;
      this.name = name;
    }

    /**
     * Reads {@code n} bytes. The buffer grows with the data that actually arrives rather than being
     * sized from {@code n} up front: {@code n} comes from the header, and a corrupt or hostile
     * header of a few bytes must not make us allocate gigabytes.
     */
    byte[] read(int n, String expected) throws DataException {
      byte[] buf = new byte[Math.min(n, INITIAL_BUFFER)];
      long start = position;
      int got = 0;
      try {
        while (got < n) {
          if (got == buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
          }
          // Small chunks: a buffered read that fails part-way loses its progress, so a cut gzip
          // stream would otherwise report "got 0"; this keeps the offset within 4 KiB.
          int r = in.read(buf, got, Math.min(Math.min(n - got, 4096), buf.length - got));
          if (r < 0) {
            break;
          }
          got += r;
          position += r;
        }
      } catch (EOFException e) {
        // GZIPInputStream signals a cut-off compressed stream this way
        throw new DataException(name + ": truncated gzip data at byte " + position + ": expected "
            + expected + ", got " + got + " (" + e.getMessage() + ")", e);
      } catch (IOException e) {
        throw new DataException(name + ": read failed at byte " + position + " while reading "
            + expected + ": " + e, e);
      }
      if (got < n) {
        throw new DataException(name + ": truncated at byte " + position + ": expected " + expected
            + (n > 4 ? " starting at byte " + start : "") + ", got " + got);
      }
      return buf;
    }

    void expectEnd(int dataBytes) throws DataException {
      try {
        if (in.read() >= 0) {
          throw new DataException(name + ": unexpected data at byte " + position
              + ": expected end of file after " + dataBytes + " bytes of data (wrong dimensions?)");
        }
      } catch (DataException e) {
        throw e;
      } catch (IOException e) {
        throw new DataException(name + ": corrupt data after byte " + position + ": " + e, e);
      }
    }
  }
}
