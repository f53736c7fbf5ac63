package dev.kiln.runtime.data;

import java.io.IOException;

/**
 * A data file is missing, unreadable or malformed. The message names the file and, where the
 * format allows, the line, column or byte offset at which reading failed and what was expected.
 */
public final class DataException extends IOException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
