package dev.kiln.runtime.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Texts with one class label each, such as sentiment sentences, before they are encoded into a
 * {@link Dataset} by a {@link SequenceEncoder}. Split them first, then fit the encoder's vocabulary
 * on the training part only, so held-out words count as unknown as they would in use:
 *
 * <pre>{@code
 * LabelledTexts all = LabelledTexts.readTsv(Path.of("sentiment_sentences.tsv"), "text", "label");
 * LabelledTexts.Parts parts = all.split(7, 0.8, 0.1);                      // stratified 80/10/10
 * SequenceEncoder enc = SequenceEncoder.fit(parts.train().texts(), 1, 5000, 32);
 * Dataset train = parts.train().encode(enc, "sentiment/train");
 * }</pre>
 *
 * Immutable.
 */
public final class LabelledTexts {
  private final List<String> texts;
  private final int[] labels;
  private final int classes;

  private LabelledTexts(List<String> texts, int[] labels, int classes) {
    this.texts = texts;
    this.labels = labels;
    this.classes = classes;
  }

  /**
   * Texts and their labels (copied).
   *
   * @throws IllegalArgumentException if the counts differ, {@code classes < 1}, or a label is outside
   *                                  {@code [0, classes)} (naming its row)
   */
  public static LabelledTexts of(List<String> texts, int[] labels, int classes) {
    Objects.requireNonNull(texts, "texts");
    Objects.requireNonNull(labels, "labels");
    if (texts.size() != labels.length) {
      throw new IllegalArgumentException(texts.size() + " texts but " + labels.length + " labels");
    }
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be >= 1, got " + classes);
    }
    for (int r = 0; r < labels.length; r++) {
      if (labels[r] < 0 || labels[r] >= classes) {
        throw new IllegalArgumentException("label at row " + r + " is " + labels[r] + ", outside [0, " + classes + ")");
      }
    }
    return new LabelledTexts(List.copyOf(texts), labels.clone(), classes);
  }

  /**
   * Reads a tab-separated file (UTF-8, optionally gzip) whose first line names the columns, e.g.
   * {@code source<TAB>label<TAB>text}. Fields are split at every tab and taken verbatim (no quoting;
   * a text cannot hold a tab). Labels are integers {@code >= 0}; the number of classes is the largest
   * label + 1. Blank lines at the end are ignored.
   *
   * @throws DataException naming the file and, for bad content, the 1-based line and 0-based row: a
   *                       missing column, a line with another number of fields, a label that is not
   *                       a non-negative integer, no data rows, or bytes that are not UTF-8 (named by
   *                       the last good line, as the decoder reads ahead)
   */
  public static LabelledTexts readTsv(Path file, String textColumn, String labelColumn) throws DataException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(textColumn, "textColumn");
    Objects.requireNonNull(labelColumn, "labelColumn");
    try (InputStream in = SourceStreams.open(file)) {
      return parseTsv(in, file.toString(), textColumn, labelColumn);
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(file + ": " + e, e); // only close() can get here
    }
  }

  /** {@link #readTsv(Path, String, String)} from a stream (not closed); {@code sourceName} appears in messages. */
  public static LabelledTexts readTsv(InputStream in, String sourceName, String textColumn, String labelColumn)
      throws DataException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(sourceName, "sourceName");
    return parseTsv(SourceStreams.gunzipIfCompressed(in, sourceName), sourceName, textColumn, labelColumn);
  }

  private static LabelledTexts parseTsv(InputStream in, String source, String textColumn, String labelColumn)
      throws DataException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
    List<String> texts = new ArrayList<>();
    int[] labels = new int[256];
    int maxLabel = -1;
    int lineNo = 0;
    int firstBlank = 0;
    String[] header = null;
    int textAt = -1;
    int labelAt = -1;
    try {
      String line;
      while ((line = reader.readLine()) != null) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (header == null) {
          header = line.split("\t", -1);
          textAt = Arrays.asList(header).indexOf(textColumn);
          labelAt = Arrays.asList(header).indexOf(labelColumn);
          if (textAt < 0 || labelAt < 0) {
            throw new DataException(source + ": line 1: the header has no column \""
                + (textAt < 0 ? textColumn : labelColumn) + "\"; its columns are " + Arrays.toString(header));
          }
          continue;
        }
        if (line.isEmpty()) {
          if (firstBlank == 0) {
            firstBlank = lineNo;
          }
          continue;
        }
        if (firstBlank != 0) {
          throw new DataException(source + ": line " + firstBlank + ": blank line inside the data (more data follows at line "
              + lineNo + ")");
        }
        int row = texts.size();
        String[] fields = line.split("\t", -1);
        if (fields.length != header.length) {
          throw new DataException(source + ": line " + lineNo + " (row " + row + "): expected " + header.length
              + " tab-separated fields " + Arrays.toString(header) + ", found " + fields.length);
        }
        int label;
        try {
          label = Integer.parseInt(fields[labelAt].trim());
        } catch (NumberFormatException e) {
          label = -1;
        }
        if (label < 0) {
          throw new DataException(source + ": line " + lineNo + " (row " + row + "): label \"" + fields[labelAt]
              + "\" is not an integer >= 0");
        }
        if (row == labels.length) {
          labels = Arrays.copyOf(labels, row * 2);
        }
        labels[row] = label;
        maxLabel = Math.max(maxLabel, label);
        texts.add(fields[textAt]);
      }
    } catch (CharacterCodingException e) {
      // The decoder reads ahead, so the bad bytes are somewhere after the last whole line read.
      throw new DataException(source + ": not UTF-8 text after line " + lineNo + ": " + e, e);
    } catch (DataException e) {
      throw e;
    } catch (IOException e) {
      throw new DataException(source + ": read failed after line " + lineNo + ": " + e, e);
    }
    if (header == null) {
      throw new DataException(source + ": empty file, expected a header line naming the columns");
    }
    if (texts.isEmpty()) {
      throw new DataException(source + ": no data rows after the header");
    }
    return new LabelledTexts(Collections.unmodifiableList(texts), Arrays.copyOf(labels, texts.size()), maxLabel + 1);
  }

  /** The number of texts. */
  public int size() {
    return texts.size();
  }

  /** The texts, unmodifiable. */
  public List<String> texts() {
    return texts;
  }

  /** A copy of the labels, one per text. */
  public int[] labels() {
    return labels.clone();
  }

  public String text(int row) {
    return texts.get(row);
  }

  public int label(int row) {
    return labels[Objects.checkIndex(row, labels.length)];
  }

  /** Labels lie in {@code [0, classes)}. */
  public int classes() {
    return classes;
  }

  /** The rows at {@code rows}, in that order (repeats allowed), with the same number of classes. */
  public LabelledTexts subset(int[] rows) {
    List<String> t = new ArrayList<>(rows.length);
    int[] l = new int[rows.length];
    for (int k = 0; k < rows.length; k++) {
      int r = Objects.checkIndex(rows[k], labels.length);
      t.add(texts.get(r));
      l[k] = labels[r];
    }
    return new LabelledTexts(Collections.unmodifiableList(t), l, classes);
  }

  /** The three parts of a {@link #split}. */
  public record Parts(LabelledTexts train, LabelledTexts validation, LabelledTexts test) {
    public Parts {
      Objects.requireNonNull(train, "train");
      Objects.requireNonNull(validation, "validation");
      Objects.requireNonNull(test, "test");
    }
  }

  /**
   * Splits exactly as {@link Dataset#split(long, double, double)} does (the same rows for the same
   * seed): seeded, stratified by label, each part shuffled.
   */
  public Parts split(long seed, double trainFraction, double validationFraction) {
    if (size() >= SequenceEncoder.MAX_EXACT_ID) {
      throw new IllegalArgumentException(size() + " texts are too many to split (at most " + SequenceEncoder.MAX_EXACT_ID + ")");
    }
    // Split the row numbers as a one-column data set, so the stratification is Dataset's own.
    float[] rowNumbers = new float[size()];
    for (int r = 0; r < rowNumbers.length; r++) {
      rowNumbers[r] = r;
    }
    Split s = Dataset.classification("rows", rowNumbers, size(), 1, labels, classes)
        .split(seed, trainFraction, validationFraction);
    return new Parts(rowsOf(s.train()), rowsOf(s.validation()), rowsOf(s.test()));
  }

  private LabelledTexts rowsOf(Dataset part) {
    float[] f = part.features();
    int[] rows = new int[f.length];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (int) f[i];
    }
    return subset(rows);
  }

  /** The texts encoded by {@code encoder} as a classification data set named {@code name}. */
  public Dataset encode(SequenceEncoder encoder, String name) {
    return encoder.classification(name, texts, labels, classes);
  }

  @Override
  public String toString() {
    return "LabelledTexts[" + size() + " texts, " + classes + " classes]";
  }
}
