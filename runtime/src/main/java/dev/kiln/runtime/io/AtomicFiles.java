package dev.kiln.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes whole files so that a reader sees either the old file or the complete new one: the bytes go
 * to a hidden temporary file beside the target, are forced to disk, and the temporary file is renamed
 * over the target. On any failure the temporary file is removed and the old file is untouched. Used
 * by every writer of Kiln and its modules (weights, checkpoints, CSV logs, reports, ONNX models).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes {@code bytes} to {@code file} atomically, creating missing parent directories.
   *
   * @throws IOException naming {@code file} and the reason (a parent that is not a directory, a target
   *     that is a directory, a directory that cannot be created or written)
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = createParentDirectories(file);
    Path temp = null;
    try {
      temp = createTemp(dir, target.getFileName().toString());
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        // Refused (EISDIR) when the target is a directory; the temp file is then removed below.
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        if (Files.isDirectory(target)) {
          throw new IOException("target is a directory", e);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temp = null;
    } catch (IOException e) {
      String reason = Files.isDirectory(target) ? "it is a directory" : e.toString();
      throw new IOException("cannot write " + file + ": " + reason, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // The original failure is what the caller needs to see.
        }
      }
    }
  }

  /**
   * Creates the missing parent directories of {@code file} and returns its absolute parent.
   *
   * @throws IOException naming {@code file} and the ancestor that is a regular file, or why a
   *     directory cannot be created (instead of a bare {@code FileAlreadyExistsException})
   */
  static Path createParentDirectories(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new IOException("cannot write " + file + ": " + p + " is not a directory");
      }
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": cannot create directory " + dir + ": " + e, e);
    }
    return dir;
  }

  /**
   * Creates {@code dir/.name.<random>.tmp} with default permissions ({@link Files#createTempFile}
   * would make it owner-only, and the rename would carry that over to the target).
   */
  private static Path createTemp(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
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
}
