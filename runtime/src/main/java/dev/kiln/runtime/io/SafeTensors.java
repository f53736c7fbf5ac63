package dev.kiln.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON describing each tensor's
 * dtype, shape and byte range, then the raw little-endian tensor data.
 */
public final class SafeTensors {

  /** The header key that holds string-to-string metadata instead of a tensor. */
  public static final String METADATA_KEY = "__metadata__";

  /** Headers beyond this are refused: real ones are kilobytes, and a corrupt length must not allocate gigabytes. */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  /** Chunk for streaming floats to and from disk without materializing a whole tensor's bytes. */
  static final int IO_CHUNK_BYTES = 1 << 16;

  private SafeTensors() {
  }

  /**
   * Writes {@code tensors} (dtype F32, in the given order, contiguous) and {@code metadata} to {@code file},
   * atomically: the data goes to a temporary file in the same directory, is forced to disk, then renamed
   * over {@code file}. On any failure the temporary file is removed and an existing {@code file} is left
   * as it was. Missing parent directories are created.
   *
   * @throws IllegalArgumentException if two tensors share a name (checked before anything is written)
   * @throws IOException              if writing or renaming fails
   */
  public static void write(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(tensors, "tensors");
    byte[] header = header(metadata, tensors);

    Path target = file.toAbsolutePath();
    Path dir = AtomicFiles.createParentDirectories(file);
    Path temp = null;
    try {
      temp = createTemp(dir, target.getFileName().toString());
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        writeFully(ch, prefix.flip());
        writeFully(ch, ByteBuffer.wrap(header));
        ByteBuffer chunk = ByteBuffer.allocateDirect(IO_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors) {
          writeFloats(ch, chunk, t);
        }
        // Without this a crash after the rename could leave a complete-looking name over missing data.
        ch.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // The original failure is what the caller needs to see.
        }
      }
    }
    forceDirectory(dir);
  }

  /**
   * Opens {@code file} and validates its header and layout. Tensor data is read on demand from the
   * returned object, which holds the file open until closed.
   *
   * @throws java.nio.file.NoSuchFileException if the file does not exist
   * @throws SafeTensorsFormatException        if the file is not valid safetensors (message names file and offset)
   */
  public static SafeTensorsFile read(Path file) throws IOException {
    return SafeTensorsFile.open(file);
  }

  /** The JSON header, padded with spaces so the data section starts 8-byte aligned (as the reference writer does). */
  static byte[] header(Map<String, String> metadata, List<Tensor> tensors) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      json.append(Json.quote(METADATA_KEY)).append(":{");
      boolean first = true;
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        Objects.requireNonNull(e.getKey(), "metadata key");
        Objects.requireNonNull(e.getValue(), () -> "metadata value for " + e.getKey());
        json.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
        first = false;
      }
      json.append('}');
    }
    Set<String> names = new HashSet<>();
    long begin = 0;
    for (Tensor t : tensors) {
      Objects.requireNonNull(t, "tensor");
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
      }
      long end = begin + t.byteSize();
      if (json.length() > 1) {
        json.append(',');
      }
      json.append(Json.quote(t.name())).append(":{\"dtype\":\"F32\",\"shape\":[");
      int[] shape = t.shape();
      for (int i = 0; i < shape.length; i++) {
        json.append(i == 0 ? "" : ",").append(shape[i]);
      }
      json.append("],\"data_offsets\":[").append(begin).append(',').append(end).append("]}");
      begin = end;
    }
    json.append('}');
    byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
    if (raw.length > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("header of " + raw.length + " bytes exceeds " + MAX_HEADER_BYTES);
    }
    int padded = (raw.length + 7) & ~7;
    byte[] header = new byte[padded];
    System.arraycopy(raw, 0, header, 0, raw.length);
    for (int i = raw.length; i < padded; i++) {
      header[i] = ' ';
    }
    return header;
  }

  /**
   * Creates the temporary file with default permissions (unlike {@link Files#createTempFile}, which makes it
   * owner-only, and the rename would carry that over to the weights file). A leading dot keeps it out of
   * directory listings; the random part avoids clashing with a concurrent writer.
   */
  private static Path createTemp(Path dir, String fileName) throws IOException {
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
      Path temp = dir.resolve("." + fileName + "." + suffix + ".tmp");
      try {
        Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return temp;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }

  private static void writeFloats(FileChannel ch, ByteBuffer chunk, Tensor t) throws IOException {
    float[] data = t.data();
    int perChunk = chunk.capacity() / Float.BYTES;
    for (int done = 0; done < t.length(); ) {
      int n = Math.min(perChunk, t.length() - done);
      chunk.clear();
      chunk.asFloatBuffer().put(data, t.offset() + done, n);
      chunk.limit(n * Float.BYTES);
      writeFully(ch, chunk);
      done += n;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Makes the rename itself durable; best effort, since some platforms cannot open a directory for this. */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows and some file systems refuse; the file itself is already on disk.
    }
  }
}
