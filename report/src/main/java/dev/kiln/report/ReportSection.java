package dev.kiln.report;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An extra section of a {@link TrainingReport}, added with {@link TrainingReport#section}: it
 * writes its own files (pictures) into the report's directory and returns the HTML of its body,
 * which the report places under its heading after the standard pictures.
 */
public interface ReportSection {
  /** The section's heading (plain text; the report escapes it). */
  String heading();

  /**
   * Writes the section's files into {@code dir} (the report's directory) and returns the section's
   * HTML body, already escaped, without its heading.
   *
   * @throws IOException naming the file that could not be written
   */
  String write(Path dir) throws IOException;
}
