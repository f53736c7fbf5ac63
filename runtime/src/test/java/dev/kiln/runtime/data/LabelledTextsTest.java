package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledTextsTest {
  @TempDir
  Path dir;

  private static LabelledTexts read(String tsv) throws DataException {
    return LabelledTexts.readTsv(new ByteArrayInputStream(tsv.getBytes(StandardCharsets.UTF_8)), "mem.tsv", "text", "label");
  }

  private static String failure(String tsv) {
    return assertThrows(DataException.class, () -> read(tsv)).getMessage();
  }

  @Test
  void readsColumnsByHeaderName() throws DataException {
    LabelledTexts t = read("\uFEFFlabel\ttext\tsource\n1\tGreat \"food\".\ty\n0\t\tz\n\n");
    assertEquals(2, t.size());
    assertEquals("Great \"food\".", t.text(0));
    assertEquals("", t.text(1), "an empty text is kept");
    assertEquals(1, t.label(0));
    assertEquals(2, t.classes());
  }

  @Test
  void badContentNamesLineAndRow() {
    assertEquals("mem.tsv: line 3 (row 1): expected 2 tab-separated fields [text, label], found 3",
        failure("text\tlabel\na\t1\nb\tc\t1\n"));
    assertEquals("mem.tsv: line 2 (row 0): label \"pos\" is not an integer >= 0", failure("text\tlabel\na\tpos\n"));
    assertEquals("mem.tsv: line 2 (row 0): label \"-1\" is not an integer >= 0", failure("text\tlabel\na\t-1\n"));
    assertTrue(failure("txt\tlabel\n").contains("line 1: the header has no column \"text\""));
    assertEquals("mem.tsv: empty file, expected a header line naming the columns", failure(""));
    assertEquals("mem.tsv: no data rows after the header", failure("text\tlabel\n"));
    assertTrue(failure("text\tlabel\na\t1\n\nb\t0\n").contains("line 3: blank line inside the data"));
    byte[] latin1 = "text\tlabel\ncaf\u00e9\t1\n".getBytes(StandardCharsets.ISO_8859_1);
    DataException e = assertThrows(DataException.class,
        () -> LabelledTexts.readTsv(new ByteArrayInputStream(latin1), "l.tsv", "text", "label"));
    assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() {
    DataException e = assertThrows(DataException.class,
        () -> LabelledTexts.readTsv(dir.resolve("none.tsv"), "text", "label"));
    assertTrue(e.getMessage().contains("none.tsv: no such file"), e.getMessage());
  }

  @Test
  void splitIsStratifiedDisjointAndAgreesWithDatasetSplit() {
    List<String> texts = new java.util.ArrayList<>();
    int[] labels = new int[100];
    for (int i = 0; i < 100; i++) {
      texts.add("text " + i);
      labels[i] = i < 30 ? 0 : 1;
    }
    LabelledTexts all = LabelledTexts.of(texts, labels, 2);
    LabelledTexts.Parts p = all.split(11, 0.8, 0.1);
    assertEquals(80, p.train().size());
    assertEquals(10, p.validation().size());
    assertEquals(24, Arrays.stream(p.train().labels()).filter(l -> l == 0).count());
    assertEquals(3, Arrays.stream(p.test().labels()).filter(l -> l == 0).count());
    Set<String> seen = new HashSet<>();
    for (LabelledTexts part : List.of(p.train(), p.validation(), p.test())) {
      for (int i = 0; i < part.size(); i++) {
        assertTrue(seen.add(part.text(i)));
        assertEquals(Integer.parseInt(part.text(i).substring(5)) < 30 ? 0 : 1, part.label(i));
      }
    }
    assertEquals(100, seen.size());
  }

  @Test
  void sentimentSentencesSplitEncodeAndKeepTheClassBalance() throws IOException {
    LabelledTexts all = LabelledTexts.readTsv(SharedData.file("sentiment_sentences.tsv"), "text", "label");
    assertEquals(3000, all.size());
    assertEquals(2, all.classes());
    assertEquals("A very, very, very slow-moving, aimless movie about a distressed, drifting young man.", all.text(0));
    LabelledTexts.Parts p = all.split(7, 0.8, 0.1);
    assertEquals(2400, p.train().size());
    assertEquals(300, p.validation().size());
    assertEquals(300, p.test().size());
    assertEquals(150, Arrays.stream(p.test().labels()).sum());
    SequenceEncoder enc = SequenceEncoder.fit(p.train().texts(), 2, 5000, 32);
    Dataset train = p.train().encode(enc, "sentiment/train");
    assertEquals(2400, train.rows());
    assertEquals(32, train.cols());
    Dataset test = p.test().encode(enc, "sentiment/test");
    long oov = 0;
    for (float id : test.features()) {
      oov += id == Vocabulary.OOV ? 1 : 0;
    }
    assertTrue(oov > 0, "words seen once in training or never are OOV in the test part");
    assertEquals(Vocabulary.PAD, (int) enc.encode("Great.")[1]);
    // the encoder's vocabulary survives a save/load round trip and encodes the same
    Path f = dir.resolve("vocab.json");
    enc.vocabulary().save(f);
    SequenceEncoder again = new SequenceEncoder(Vocabulary.load(f), 32);
    assertTrue(Arrays.equals(test.features(), p.test().encode(again, "t").features()));
    assertTrue(Files.size(f) > 1000);
  }
}
