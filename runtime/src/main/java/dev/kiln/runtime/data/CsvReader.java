package dev.kiln.runtime.data;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.ZipException;

/**
 * Reads numeric CSV tables into a {@link Dataset}: every field a number, one row per line.
 * By default the last column is an integer class label and the others are features.
 *
 * <pre>{@code
 * Dataset digits = CsvReader.builder().build().read(Path.of("digits.csv.gz"));
 * Dataset cancer = CsvReader.builder().header(true).build().read(Path.of("breast_cancer.csv"));
 * Dataset house  = CsvReader.builder().header(true).regression(-1).build().read(in, "housing.csv");
 * }</pre>
 *
 * <p>Gzip input is recognised by its first two bytes. Fields are trimmed and may be wrapped in
 * double quotes; blank lines at the end are ignored. Errors are {@link DataException}s naming the
 * file, the 1-based line, the 0-based data row and the 0-based column, e.g.
 * {@code "digits.csv: line 12: expected 65 fields, found 64"} or
 * {@code "x.csv: line 40 (row 38): column 3 is NaN"}.
 */
public final class CsvReader {
  private final char delimiter;
  private final int skipLines;
  private final int labelColumn;
  private final int classes;            // 0 = infer as max label + 1
  private final int[] targetColumns;    // null = classification
  private final String name;            // null = from the file name

  private CsvReader(Builder b) {
    this.delimiter = b.delimiter;
    this.skipLines = b.skipLines + (b.header ? 1 : 0);
    this.labelColumn = b.labelColumn;
    this.classes = b.classes;
    this.targetColumns = b.targetColumns;
    this.name = b.name;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Reads a file, plain or gzip. */
  public Dataset read(Path path) throws DataException {
    Objects.requireNonNull(path, "path");
    String source = path.toString();
    try (InputStream in = SourceStreams.open(path)) {
      return parse(in, source, datasetName(path.getFileName() == null ? source : path.getFileName().toString()));
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(source + ": " + e, e); // only close() can get here
    }
  }

  /**
   * Reads a stream, plain or gzip (e.g. a classpath resource); {@code sourceName} appears in
   * error messages and, without extensions, as the data set name. Does not close {@code in}.
   */
  public Dataset read(InputStream in, String sourceName) throws DataException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(sourceName, "sourceName");
    return parse(SourceStreams.gunzipIfCompressed(in, sourceName), sourceName, datasetName(sourceName));
  }

  private String datasetName(String fileName) {
    if (name != null) {
      return name;
    }
    String n = fileName.substring(fileName.lastIndexOf('/') + 1);
    if (n.endsWith(".gz")) {
      n = n.substring(0, n.length() - 3);
    }
    if (n.endsWith(".csv")) {
      n = n.substring(0, n.length() - 4);
    }
    return n;
  }

  /**
   * Reads a data set whose features and targets are in two files with one line per sample each,
   * such as scikit-learn's {@code X.csv} and {@code y.csv}: every column of {@code features} is a
   * feature; with {@link Builder#regression regression()} every column of {@code targets} is a
   * target, otherwise {@code targets} has one column, the class label. Header and skipped lines
   * apply to both files; the column choices of {@code labelColumn} and {@code regression(columns)}
   * apply only to one-file reads. The data set is named after {@code features}.
   *
   * @throws DataException as {@link #read(Path)} does, or naming both files if their row counts differ
   */
  public Dataset read(Path features, Path targets) throws DataException {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(targets, "targets");
    Table x = table(features, Part.FEATURES);
    Table y = table(targets, Part.TARGETS);
    if (x.rows != y.rows) {
      throw new DataException(features + " has " + x.rows + " data rows but " + targets + " has " + y.rows
          + "; each line of one must belong to the same line of the other");
    }
    String datasetName = datasetName(features.getFileName() == null ? features.toString()
        : features.getFileName().toString());
    float[] fx = Arrays.copyOf(x.x, x.rows * x.cols);
    if (targetColumns == null) {
      return Dataset.classification(datasetName, fx, x.rows, x.cols, Arrays.copyOf(y.labels, y.rows),
          classes > 0 ? classes : y.maxLabel + 1);
    }
    return Dataset.regression(datasetName, fx, x.rows, x.cols, Arrays.copyOf(y.targets, y.rows * y.targetCount),
        y.targetCount);
  }

  private Table table(Path path, Part part) throws DataException {
    String source = path.toString();
    try (InputStream in = SourceStreams.open(path)) {
      return parseTable(in, source, part);
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(source + ": " + e, e); // only close() can get here
    }
  }

  /** What a file holds: whole rows (the usual one-file case), or one side of a two-file data set. */
  private enum Part { ROWS, FEATURES, TARGETS }

  private Dataset parse(InputStream in, String source, String datasetName) throws DataException {
    return parseTable(in, source, Part.ROWS).toDataset(datasetName);
  }

  private Table parseTable(InputStream in, String source, Part part) throws DataException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    Table t = new Table(source, part);
    int lineNo = 0;
    int firstBlank = 0;
    String line;
    while ((line = readLine(reader, source, lineNo)) != null) {
      lineNo++;
      if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
        line = line.substring(1); // byte-order mark written by some spreadsheet exports
      }
      if (lineNo <= skipLines) {
        continue;
      }
      if (line.isBlank()) {
        if (firstBlank == 0) {
          firstBlank = lineNo;
        }
        continue;
      }
      if (firstBlank != 0) {
        throw new DataException(source + ": line " + firstBlank + ": blank line inside the data"
            + " (more data follows at line " + lineNo + ")");
      }
      t.addRow(line, lineNo);
    }
    if (lineNo == 0) {
      throw new DataException(source + ": empty file");
    }
    if (t.rows == 0) {
      throw new DataException(source + ": no data rows" + (skipLines > 0
          ? " after skipping " + skipLines + " line(s) (" + lineNo + " line(s) in the file)" : ""));
    }
    return t;
  }

  private static String readLine(BufferedReader reader, String source, int linesRead) throws DataException {
    try {
      return reader.readLine();
    } catch (EOFException | ZipException e) {
      throw new DataException(source + ": truncated or corrupt gzip data after line " + linesRead
          + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new DataException(source + ": read failed after line " + linesRead + ": " + e, e);
    }
  }

  /** Rows accumulated while parsing; the layout is fixed by the first data row. */
  private final class Table {
    private final String source;
    private final Part part;
    int fields = -1;
    int cols;
    int label = -1;       // resolved label column (classification)
    boolean[] isTarget;   // resolved target columns (regression)
    int targetCount;
    int rows;
    float[] x = new float[1024];
    int[] labels;
    float[] targets;
    int maxLabel = -1;

    Table(String source, Part part) {
      this.source = source;
      this.part = part;
    }

    void addRow(String line, int lineNo) throws DataException {
      String[] f = split(line);
      if (fields < 0) {
        layout(f.length, lineNo, line);
      } else if (f.length != fields) {
        throw new DataException(source + ": line " + lineNo + ": expected " + fields + " fields, found "
            + f.length);
      }
      int row = rows;
      ensureCapacity();
      int xi = row * cols;
      int ti = row * targetCount;
      for (int c = 0; c < fields; c++) {
        String s = unquote(f[c].trim());
        if (c == label) {
          labels[row] = parseLabel(s, lineNo, row, c);
        } else if (isTarget != null && isTarget[c]) {
          targets[ti++] = parseNumber(s, lineNo, row, c);
        } else {
          x[xi++] = parseNumber(s, lineNo, row, c);
        }
      }
      rows++;
    }

    private void layout(int n, int lineNo, String line) throws DataException {
      fields = n;
      if (part == Part.FEATURES) {
        cols = n;
        x = new float[256 * cols];
        return;
      }
      if (part == Part.TARGETS) {
        cols = 0;
        x = new float[0];
        if (targetColumns != null) {
          isTarget = new boolean[n];
          Arrays.fill(isTarget, true);
          targetCount = n;
          targets = new float[256 * n];
        } else if (n == 1) {
          label = 0;
          labels = new int[256];
        } else {
          throw new DataException(source + ": line " + lineNo + ": a label file must have one column,"
              + " found " + n + " fields; for regression targets use regression()");
        }
        return;
      }
      if (targetColumns == null) {
        label = resolve(labelColumn, n, lineNo, "label column");
        targetCount = 0;
        labels = new int[256];
      } else {
        isTarget = new boolean[n];
        int[] spec = targetColumns.length == 0 ? new int[] {-1} : targetColumns;
        for (int tc : spec) {
          int c = resolve(tc, n, lineNo, "target column");
          if (isTarget[c]) {
            throw new DataException(source + ": target column " + tc + " names column " + c
                + " twice in " + Arrays.toString(spec));
          }
          isTarget[c] = true;
        }
        targetCount = spec.length;
        targets = new float[256 * targetCount];
      }
      cols = n - (targetColumns == null ? 1 : targetCount);
      if (cols < 1) {
        throw new DataException(source + ": line " + lineNo + ": no feature columns left among " + n
            + " field" + (n == 1 ? "" : "s") + hint(line));
      }
      x = new float[256 * cols];
    }

    /** Why a first row may have too few fields: another delimiter, or a file of targets only. */
    private String hint(String line) {
      String other = otherDelimiter(line);
      if (other != null) {
        return "; the line has no " + describe(delimiter) + " but contains " + other;
      }
      return "; for a file that holds only targets or labels, read it with its features file:"
          + " read(featuresFile, targetsFile)";
    }

    /** {@code "spaces: use delimiter(' ')"} if {@code text} holds a likely delimiter other than ours. */
    private String otherDelimiter(String text) {
      for (char d : new char[] {';', '\t', ' ', ',', '|'}) {
        if (d != delimiter && text.trim().indexOf(d) >= 0) {
          String shown = d == '\t' ? "'\\t'" : "'" + d + "'";
          return describe(d) + ": use delimiter(" + shown + ")";
        }
      }
      return null;
    }

    private static String describe(char c) {
      return switch (c) {
        case '\t' -> "tabs";
        case ' ' -> "spaces";
        default -> "'" + c + "'";
      };
    }

    private int resolve(int column, int n, int lineNo, String what) throws DataException {
      int c = column < 0 ? n + column : column;
      if (c < 0 || c >= n) {
        throw new DataException(source + ": line " + lineNo + ": " + what + " " + column
            + " is outside the " + n + " fields of the first data row");
      }
      return c;
    }

    private void ensureCapacity() {
      if ((long) (rows + 1) * cols > x.length) {
        x = Arrays.copyOf(x, Math.max(x.length * 2, (rows + 1) * cols));
      }
      if (labels != null && rows == labels.length) {
        labels = Arrays.copyOf(labels, labels.length * 2);
      }
      if (targets != null && (rows + 1) * targetCount > targets.length) {
        targets = Arrays.copyOf(targets, targets.length * 2);
      }
    }

    private String[] split(String line) {
      int n = 1;
      for (int i = 0; i < line.length(); i++) {
        if (line.charAt(i) == delimiter) {
          n++;
        }
      }
      String[] out = new String[n];
      int start = 0;
      for (int k = 0; k < n; k++) {
        int end = k == n - 1 ? line.length() : line.indexOf(delimiter, start);
        out[k] = line.substring(start, end);
        start = end + 1;
      }
      return out;
    }

    private String unquote(String s) {
      return s.length() >= 2 && s.charAt(0) == '"' && s.charAt(s.length() - 1) == '"'
          ? s.substring(1, s.length() - 1).trim() : s;
    }

    private String where(int lineNo, int row) {
      return source + ": line " + lineNo + " (row " + row + "): ";
    }

    private float parseNumber(String s, int lineNo, int row, int c) throws DataException {
      if (s.isEmpty()) {
        throw new DataException(where(lineNo, row) + "column " + c + " is empty");
      }
      float v;
      try {
        // parseFloat also takes Java suffixes ("1f", "2d"); a data file should not.
        char last = s.charAt(s.length() - 1);
        if (Character.isLetter(last) && !s.endsWith("NaN") && !s.endsWith("Infinity")) {
          throw new NumberFormatException(s);
        }
        v = Float.parseFloat(s);
      } catch (NumberFormatException e) {
        String other = row == 0 ? otherDelimiter(s) : null;
        throw new DataException(where(lineNo, row) + "column " + c + " is not a number: '" + s + "'"
            + (other != null ? " (it contains " + other + ")"
              : row == 0 ? " (if this line is a header, use header(true))" : ""));
      }
      if (Float.isNaN(v)) {
        throw new DataException(where(lineNo, row) + "column " + c + " is NaN");
      }
      if (Float.isInfinite(v)) {
        throw new DataException(where(lineNo, row) + "column " + c + " is " + v
            + (s.contains("Infinity") ? "" : " ('" + s + "' overflows a float)"));
      }
      return v;
    }

    private int parseLabel(String s, int lineNo, int row, int c) throws DataException {
      int v;
      try {
        v = Integer.parseInt(s);
      } catch (NumberFormatException e) {
        // Accept integral floats such as "3.0", as written by tools that store labels as doubles.
        double d;
        try {
          d = Double.parseDouble(s);
        } catch (NumberFormatException e2) {
          d = Double.NaN;
        }
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE
            || Character.isLetter(s.isEmpty() ? ' ' : s.charAt(s.length() - 1))) {
          throw new DataException(where(lineNo, row) + "label column " + c + " is not an integer: '"
              + s + "'");
        }
        v = (int) d;
      }
      if (v < 0) {
        throw new DataException(where(lineNo, row) + "label column " + c + " is negative: " + v);
      }
      if (classes > 0 && v >= classes) {
        throw new DataException(where(lineNo, row) + "label column " + c + " is " + v + ", outside [0, "
            + classes + ")");
      }
      maxLabel = Math.max(maxLabel, v);
      return v;
    }

    Dataset toDataset(String datasetName) {
      float[] fx = Arrays.copyOf(x, rows * cols);
      if (targetColumns == null) {
        return Dataset.classification(datasetName, fx, rows, cols, Arrays.copyOf(labels, rows),
            classes > 0 ? classes : maxLabel + 1);
      }
      return Dataset.regression(datasetName, fx, rows, cols, Arrays.copyOf(targets, rows * targetCount),
          targetCount);
    }
  }

  /** Options for a {@link CsvReader}. Defaults: ',' delimiter, no header, last column an integer class label. */
  public static final class Builder {
    private char delimiter = ',';
    private int skipLines;
    private boolean header;
    private int labelColumn = -1;
    private int classes;
    private int[] targetColumns;
    private String name;

    private Builder() {
    }

    public Builder delimiter(char delimiter) {
      if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
        throw new IllegalArgumentException("delimiter cannot be " + (int) delimiter);
      }
      this.delimiter = delimiter;
      return this;
    }

    /** Lines to skip at the start of the file (before the header, if any). */
    public Builder skipLines(int lines) {
      if (lines < 0) {
        throw new IllegalArgumentException("skipLines must be >= 0, got " + lines);
      }
      this.skipLines = lines;
      return this;
    }

    /** Whether the first line (after {@link #skipLines}) is a header; it is skipped, not parsed. */
    public Builder header(boolean header) {
      this.header = header;
      return this;
    }

    /** The class label column, 0-based; negative counts from the end ({@code -1}, the default, is the last). */
    public Builder labelColumn(int column) {
      this.labelColumn = column;
      return this;
    }

    /** The number of classes; labels must lie in [0, classes). Default: the largest label + 1. */
    public Builder classes(int classes) {
      if (classes < 1) {
        throw new IllegalArgumentException("classes must be >= 1, got " + classes);
      }
      this.classes = classes;
      return this;
    }

    /**
     * Reads a regression table instead: the given columns (0-based, negative from the end; none
     * means the last column) are float targets, in this order, and the rest are features.
     */
    public Builder regression(int... targetColumns) {
      this.targetColumns = targetColumns.clone();
      return this;
    }

    /** The data set name; default: the file name without {@code .csv} / {@code .gz}. */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public CsvReader build() {
      if (targetColumns != null && classes > 0) {
        throw new IllegalStateException("classes(" + classes + ") applies to classification, but regression("
            + Arrays.toString(targetColumns) + ") was chosen");
      }
      return new CsvReader(this);
    }
  }
}
