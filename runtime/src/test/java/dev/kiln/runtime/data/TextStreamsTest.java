package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TextStreamsTest {
  private static int[] range(int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
    }
    return ids;
  }

  @Test
  void contiguousRowsContinueFromBatchToBatch() {
    // 26 ids, 3 streams of S = 25 / 3 = 8 positions, 2 windows of 3 steps each (2 positions per stream unused)
    Dataset d = TextStreams.contiguous("lm", range(26), 26, 3, 3);
    assertEquals(6, d.rows());
    assertEquals(3, d.cols());
    assertEquals(3, d.labelsPerRow());
    // batch 0: streams start at 0, 8, 16; batch 1 continues each
    assertArrayEquals(new float[] {0, 1, 2, 8, 9, 10, 16, 17, 18, 3, 4, 5, 11, 12, 13, 19, 20, 21}, d.features());
    assertArrayEquals(new int[] {1, 2, 3, 9, 10, 11, 17, 18, 19, 4, 5, 6, 12, 13, 14, 20, 21, 22}, d.labels());
  }

  @Test
  void contiguousContinuityHoldsThroughUnshuffledBatchesOfARealText() {
    String text = "First Citizen: Before we proceed any further, hear me speak. All: Speak, speak.".repeat(20);
    Vocabulary v = Vocabulary.ofCharacters(text);
    int[] ids = v.characterIds(text);
    int batch = 4;
    int steps = 7;
    Dataset d = TextStreams.contiguous("c", ids, v.size(), batch, steps);
    assertEquals(0, d.rows() % batch);
    int[] order = range(d.rows());
    float[] xb = new float[batch * steps];
    int[] yb = new int[batch * steps];
    int[] lastLabel = new int[batch];
    int[] position = new int[batch];
    int stream = (ids.length - 1) / batch;
    for (int k = 0; k < d.rows() / batch; k++) {
      EpochOrder.gather(d, order, k * batch, batch, xb, 0, yb, null);
      for (int r = 0; r < batch; r++) {
        if (k > 0) {
          assertEquals(lastLabel[r], (int) xb[r * steps], "row " + r + " of batch " + k + " continues the stream");
        }
        for (int t = 0; t < steps; t++) {
          assertEquals(ids[r * stream + position[r] + t], (int) xb[r * steps + t]);
          assertEquals(ids[r * stream + position[r] + t + 1], yb[r * steps + t]);
        }
        position[r] += steps;
        lastLabel[r] = yb[r * steps + steps - 1];
      }
    }
  }

  @Test
  void contiguousNeedsOneWindowPerStream() {
    assertEquals(2, TextStreams.contiguous("lm", range(7), 7, 2, 3).rows());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TextStreams.contiguous("lm", range(6), 6, 2, 3));
    assertTrue(e.getMessage().contains("6 ids are too few") && e.getMessage().contains("at least 7"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TextStreams.contiguous("lm", new int[0], 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> TextStreams.contiguous("lm", range(10), 10, 0, 3));
  }

  @Test
  void windowsAreNonOverlappingOrStrided() {
    Dataset d = TextStreams.windows("w", range(10), 10, 3, 3);
    assertEquals(3, d.rows()); // starts 0, 3, 6 (6 + 3 + 1 = 10)
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, d.features());
    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, d.labels());
    Dataset s = TextStreams.windows("w", range(10), 10, 4, 2);
    assertEquals(3, s.rows()); // starts 0, 2, 4
    assertArrayEquals(new float[] {4, 5, 6, 7}, Arrays.copyOfRange(s.features(), 8, 12));
    assertEquals(1, TextStreams.windows("w", range(4), 4, 3, 100).rows());
    assertThrows(IllegalArgumentException.class, () -> TextStreams.windows("w", range(3), 3, 3, 1));
    assertThrows(IllegalArgumentException.class, () -> TextStreams.windows("w", new int[0], 3, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> TextStreams.windows("w", range(10), 10, 0, 1));
  }

  @Test
  void tinyShakespeareHasSixtyFiveCharacters() throws java.io.IOException {
    String text = java.nio.file.Files.readString(SharedData.file("tinyshakespeare.txt"));
    Vocabulary chars = Vocabulary.ofCharacters(text);
    assertEquals(65, chars.size());
    int[] ids = chars.characterIds(text);
    assertEquals(1_115_394, ids.length);
    Dataset d = TextStreams.contiguous("shakespeare", ids, chars.size(), 32, 100);
    assertEquals(32 * ((1_115_393 / 32) / 100), d.rows());
    assertEquals(65, d.classes());
    assertEquals("First Citizen", chars.characters(ids, 0, 13));
    assertEquals(ids[1], d.label(0, 0));
  }

  @Test
  void idOutOfRangeNamesItsPosition() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TextStreams.windows("w", new int[] {0, 1, 5, 2}, 5, 2, 1));
    assertTrue(e.getMessage().contains("position 2 is 5"), e.getMessage());
  }
}
