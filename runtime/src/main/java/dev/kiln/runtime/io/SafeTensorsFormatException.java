package dev.kiln.runtime.io;

import java.io.IOException;
import java.nio.file.Path;

/** A file is not a valid safetensors file; the message names the file and what is wrong where. */
public final class SafeTensorsFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;

  SafeTensorsFormatException(Path file, String detail) {
    super(file + ": " + detail);
    this.file = file;
  }

  /** The offending file. */
  public Path file() {
    return file;
  }
}
