package dev.kiln.runtime.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Opening data files: a missing file names its path, and gzip is recognised by content, not name. */
final class SourceStreams {
  private SourceStreams() {
  }

  /** Opens {@code path}, gunzipping if it starts with the gzip magic {@code 1f 8b}. */
  static InputStream open(Path path) throws DataException {
    if (Files.isDirectory(path)) {
      throw new DataException(path + ": is a directory, expected a file");
    }
    try {
      return gunzipIfCompressed(Files.newInputStream(path), path.toString());
    } catch (NoSuchFileException e) {
      throw new DataException(path + ": no such file", e);
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(path + ": cannot read: " + e, e);
    }
  }

  /** Wraps {@code in} so it yields plain bytes, gunzipping if it starts with {@code 1f 8b}. */
  static InputStream gunzipIfCompressed(InputStream in, String name) throws DataException {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    try {
      buffered.mark(2);
      int b0 = buffered.read();
      int b1 = buffered.read();
      buffered.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
      }
      return buffered;
    } catch (IOException e) {
      closeQuietly(buffered);
      throw new DataException(name + ": cannot read gzip header: " + e, e);
    }
  }

  static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // already reporting a more useful error
    }
  }
}
