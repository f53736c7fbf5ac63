package dev.kiln.runtime.model;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file cannot be used as a training checkpoint: it is truncated, corrupt (its checksum does not
 * match), or not a checkpoint at all. The message names the file and what is wrong.
 */
public final class CheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  CheckpointException(Path file, String detail, Throwable cause) {
    super(file + ": " + detail, cause);
    this.file = file;
  }

  /** The offending file. */
  public Path file() {
    return file;
  }
}
