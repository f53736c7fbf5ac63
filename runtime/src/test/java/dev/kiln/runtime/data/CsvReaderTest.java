package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {
  @TempDir
  Path dir;

  /** /work/shared/data from the runtime module dir or from the repo root; null if neither. */
  private static Path sharedData() {
    for (String candidate : new String[] {"../../shared/data", "../shared/data"}) {
      Path p = Path.of(candidate);
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    return null;
  }

  private static Path sharedFile(String name) {
    Path data = sharedData();
    assumeTrue(data != null && Files.isRegularFile(data.resolve(name)), "shared data " + name + " not found");
    return data.resolve(name);
  }

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  private static Dataset read(CsvReader reader, String text) throws DataException {
    return reader.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "mem.csv");
  }

  private static String message(Path p, CsvReader r) {
    return assertThrows(DataException.class, () -> r.read(p)).getMessage();
  }

  @Test
  void readsRealDigitsGzip() throws IOException {
    Dataset d = CsvReader.builder().build().read(sharedFile("digits.csv.gz"));
    assertEquals("digits", d.name());
    assertEquals(1797, d.rows());
    assertEquals(64, d.cols());
    assertEquals(10, d.classes());
    // first row of the file: 0,0,5,13,9,1,0,0,... label 0
    assertArrayEquals(new float[] {0, 0, 5, 13, 9, 1, 0, 0}, Arrays.copyOf(d.row(0), 8));
    assertEquals(0, d.label(0));
    for (float v : d.features()) {
      assertTrue(v >= 0 && v <= 16, "pixel counts are 0..16");
    }
  }

  @Test
  void readsRealBreastCancerWithHeader() throws IOException {
    Dataset d = CsvReader.builder().header(true).build().read(sharedFile("breast_cancer.csv"));
    assertEquals(569, d.rows());
    assertEquals(30, d.cols());
    assertEquals(2, d.classes());
    assertEquals(17.99f, d.features()[0]);
    assertEquals(0, d.label(0));
    int benign = Arrays.stream(d.labels()).sum();
    assertEquals(357, benign, "Wisconsin diagnostic: 212 malignant, 357 benign");
  }

  @Test
  void classificationOptionsAndFormatting() throws DataException {
    String text = "ignored title\nh1;h2;h3\n 2 ; \"1.5\" ; 7\n0;-2.5e1;8\n\n\n";
    Dataset d = read(CsvReader.builder().skipLines(1).header(true).delimiter(';').labelColumn(0).classes(4)
        .name("opts").build(), text);
    assertEquals("opts", d.name());
    assertEquals(2, d.rows());
    assertEquals(2, d.cols());
    assertEquals(4, d.classes());
    assertArrayEquals(new float[] {1.5f, 7, -25, 8}, d.features());
    assertArrayEquals(new int[] {2, 0}, d.labels());
  }

  @Test
  void labelsWrittenAsIntegralFloatsAreAccepted() throws DataException {
    Dataset d = read(CsvReader.builder().build(), "1,3.0\n2,1\n");
    assertArrayEquals(new int[] {3, 1}, d.labels());
    assertEquals(4, d.classes());
  }

  @Test
  void regressionWithTargetColumns() throws DataException {
    Dataset d = read(CsvReader.builder().regression(0, -1).build(), "10,1,2,100\n20,3,4,200\n");
    assertEquals(2, d.cols());
    assertEquals(2, d.targetCols());
    assertArrayEquals(new float[] {1, 2, 3, 4}, d.features());
    assertArrayEquals(new float[] {10, 100, 20, 200}, d.targets());
    Dataset last = read(CsvReader.builder().regression().build(), "1,2,0.5\n");
    assertArrayEquals(new float[] {0.5f}, last.targets());
  }

  @Test
  void wrongFieldCountNamesLine() throws IOException {
    Path p = write("short.csv", "h\n1,2,0\n3,4,1\n5,1\n");
    String m = message(p, CsvReader.builder().header(true).build());
    assertTrue(m.contains(p.toString()), m);
    assertTrue(m.contains("line 4: expected 3 fields, found 2"), m);
  }

  @Test
  void nonNumericValueIsQuoted() throws IOException {
    String m = message(write("word.csv", "1,2,0\n3,abc,1\n"), CsvReader.builder().build());
    assertTrue(m.contains("line 2 (row 1): column 1 is not a number: 'abc'"), m);
    String suffix = message(write("suffix.csv", "1,2f,0\n"), CsvReader.builder().build());
    assertTrue(suffix.contains("'2f'"), suffix);
    String empty = message(write("empty-field.csv", "1,,0\n"), CsvReader.builder().build());
    assertTrue(empty.contains("column 1 is empty"), empty);
  }

  @Test
  void headerReadAsDataSuggestsHeaderOption() throws IOException {
    String m = message(write("hdr.csv", "150,4,setosa,versicolor\n5.1,3.5,1.4,0\n"), CsvReader.builder().build());
    assertTrue(m.contains("line 1 (row 0): column 2 is not a number: 'setosa'"), m);
    assertTrue(m.contains("header(true)"), m);
  }

  @Test
  void nanAndInfinityNameLineRowAndColumn() throws IOException {
    String nan = message(write("nan.csv", "a,b,c,d,y\n1,2,3,4,0\n1,2,3,NaN,1\n"),
        CsvReader.builder().header(true).build());
    assertTrue(nan.contains("line 3 (row 1): column 3 is NaN"), nan);
    String inf = message(write("inf.csv", "1,-Infinity,0\n"), CsvReader.builder().build());
    assertTrue(inf.contains("line 1 (row 0): column 1 is -Infinity"), inf);
    String big = message(write("big.csv", "1e50,1,0\n"), CsvReader.builder().build());
    assertTrue(big.contains("column 0 is Infinity ('1e50' overflows a float)"), big);
  }

  @Test
  void badLabelsAreReported() throws IOException {
    String frac = message(write("frac.csv", "1,2.5\n"), CsvReader.builder().build());
    assertTrue(frac.contains("line 1 (row 0): label column 1 is not an integer: '2.5'"), frac);
    String neg = message(write("neg.csv", "1,0\n1,-1\n"), CsvReader.builder().build());
    assertTrue(neg.contains("line 2 (row 1): label column 1 is negative: -1"), neg);
    String range = message(write("range.csv", "1,0\n1,3\n"), CsvReader.builder().classes(3).build());
    assertTrue(range.contains("line 2 (row 1): label column 1 is 3, outside [0, 3)"), range);
    String word = message(write("word-label.csv", "1,cat\n"), CsvReader.builder().build());
    assertTrue(word.contains("not an integer: 'cat'"), word);
  }

  @Test
  void emptyFileAndHeaderOnly() throws IOException {
    Path empty = write("empty.csv", "");
    String m = message(empty, CsvReader.builder().build());
    assertTrue(m.contains(empty.toString()) && m.contains("empty file"), m);
    String h = message(write("header.csv", "a,b\n"), CsvReader.builder().header(true).build());
    assertTrue(h.contains("no data rows after skipping 1 line(s)"), h);
  }

  @Test
  void blankLineInsideDataIsAnErrorButTrailingBlanksAreNot() throws IOException {
    String m = message(write("gap.csv", "1,0\n\n2,1\n"), CsvReader.builder().build());
    assertTrue(m.contains("line 2: blank line inside the data"), m);
    assertEquals(2, CsvReader.builder().build().read(write("tail.csv", "1,0\n2,1\n  \n\n")).rows());
  }

  @Test
  void gzipDetectedByMagicAndTruncatedGzipReported() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      text.append(i).append(',').append(i * 0.5).append(',').append(i % 3).append('\n');
    }
    byte[] gz = IdxFiles.gzip(text.toString().getBytes(StandardCharsets.UTF_8));
    Path p = dir.resolve("plain-name.csv"); // gzip content under a non-.gz name
    Files.write(p, gz);
    assertEquals(2000, CsvReader.builder().build().read(p).rows());

    Path cut = dir.resolve("cut.csv.gz");
    Files.write(cut, Arrays.copyOf(gz, gz.length / 2));
    String m = message(cut, CsvReader.builder().build());
    assertTrue(m.contains(cut.toString()) && m.contains("truncated or corrupt gzip data after line"), m);
  }

  @Test
  void missingFileNamesPath() {
    Path p = dir.resolve("absent.csv");
    String m = message(p, CsvReader.builder().build());
    assertTrue(m.contains(p.toString()) && m.contains("no such file"), m);
  }

  @Test
  void labelColumnOutsideFieldsIsReported() throws IOException {
    String m = message(write("col.csv", "1,2,0\n"), CsvReader.builder().labelColumn(5).build());
    assertTrue(m.contains("label column 5 is outside the 3 fields"), m);
  }

  @Test
  void fieldsSeparatedByAnotherDelimiterSuggestDelimiter() throws IOException {
    String spaces = message(write("s.csv", "1.5 2.5 0\n3 4 1\n"), CsvReader.builder().build());
    assertEquals(dir.resolve("s.csv") + ": line 1: no feature columns left among 1 field; the line has no ','"
        + " but contains spaces: use delimiter(' ')", spaces);
    String semicolons = message(write("c.csv", "1;2;0\n"), CsvReader.builder().build());
    assertTrue(semicolons.endsWith("the line has no ',' but contains ';': use delimiter(';')"), semicolons);
    // Decimal commas split the fields into pieces that are not numbers: the hint comes with that error.
    String european = message(write("e.csv", "1,5;2,5;0\n"), CsvReader.builder().build());
    assertTrue(european.endsWith("column 1 is not a number: '5;2' (it contains ';': use delimiter(';'))"), european);
    String tabs = message(write("t.csv", "1\t2\t0\n"), CsvReader.builder().delimiter(';').build());
    assertTrue(tabs.endsWith("the line has no ';' but contains tabs: use delimiter('\\t')"), tabs);
    // With the suggested delimiter the file reads.
    Dataset d = CsvReader.builder().delimiter(' ').build().read(dir.resolve("s.csv"));
    assertArrayEquals(new float[] {1.5f, 2.5f, 3, 4}, d.features());
  }

  @Test
  void singleColumnFileWithoutOtherDelimiterPointsAtTwoFileReads() throws IOException {
    String m = message(write("y.csv", "1.5\n2.5\n"), CsvReader.builder().regression().build());
    assertTrue(m.endsWith("no feature columns left among 1 field; for a file that holds only targets or labels,"
        + " read it with its features file: read(featuresFile, targetsFile)"), m);
  }

  @Test
  void featuresAndTargetOnlyFilesReadTogether() throws IOException {
    Path x = write("X.csv", "a,b\n1,2\n3,4\n5,6\n");
    Path y = write("y.csv", "target\n0.5\n1.5\n2.5\n");
    Dataset d = CsvReader.builder().header(true).regression().build().read(x, y);
    assertEquals("X", d.name());
    assertEquals(3, d.rows());
    assertEquals(2, d.cols());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, d.features());
    assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f}, d.targets());

    // A single feature column and two target columns.
    Dataset one = CsvReader.builder().regression().build()
        .read(write("x1.csv", "7\n8\n"), write("y2.csv", "1,2\n3,4\n"));
    assertEquals(1, one.cols());
    assertEquals(2, one.targetCols());
    assertArrayEquals(new float[] {1, 2, 3, 4}, one.targets());

    // Labels: one column.
    Dataset labelled = CsvReader.builder().build().read(write("x2.csv", "1,1\n2,2\n"), write("l.csv", "1\n0\n"));
    assertArrayEquals(new int[] {1, 0}, labelled.labels());
    assertEquals(2, labelled.classes());
  }

  @Test
  void twoFileReadsCheckRowCountsAndLabelWidth() throws IOException {
    Path x = write("X.csv", "1,2\n3,4\n");
    DataException rows = assertThrows(DataException.class,
        () -> CsvReader.builder().regression().build().read(x, write("y.csv", "1\n2\n3\n")));
    assertEquals(x + " has 2 data rows but " + dir.resolve("y.csv") + " has 3; each line of one must belong to"
        + " the same line of the other", rows.getMessage());
    DataException wide = assertThrows(DataException.class,
        () -> CsvReader.builder().build().read(x, write("l.csv", "1,0\n0,1\n")));
    assertTrue(wide.getMessage().endsWith("l.csv: line 1: a label file must have one column, found 2 fields;"
        + " for regression targets use regression()"), wide.getMessage());
    DataException badTarget = assertThrows(DataException.class,
        () -> CsvReader.builder().regression().build().read(x, write("y3.csv", "1\nNaN\n")));
    assertTrue(badTarget.getMessage().endsWith("y3.csv: line 2 (row 1): column 0 is NaN"), badTarget.getMessage());
  }
}
