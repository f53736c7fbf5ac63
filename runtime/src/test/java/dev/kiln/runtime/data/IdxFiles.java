package dev.kiln.runtime.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {
  private IdxFiles() {
  }

  /** IDX bytes: header for {@code typeCode} and {@code dims}, then {@code data} as given (already big-endian). */
  static byte[] idx(int typeCode, int[] dims, byte[] data) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(0);
    out.writeByte(0);
    out.writeByte(typeCode);
    out.writeByte(dims.length);
    for (int d : dims) {
      out.writeInt(d);
    }
    out.write(data);
    out.flush();
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(plain);
    }
    return bytes.toByteArray();
  }

  static Path write(Path dir, String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  /** {@code n} images of {@code h × w} unsigned bytes where pixel k of image i is {@code (i * 7 + k) % 256}. */
  static byte[] images(int n, int h, int w) throws IOException {
    byte[] data = new byte[n * h * w];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < h * w; k++) {
        data[i * h * w + k] = (byte) ((i * 7 + k) % 256);
      }
    }
    return idx(0x08, new int[] {n, h, w}, data);
  }

  static byte[] labels(int... labels) throws IOException {
    byte[] data = new byte[labels.length];
    for (int i = 0; i < labels.length; i++) {
      data[i] = (byte) labels[i];
    }
    return idx(0x08, new int[] {labels.length}, data);
  }
}
