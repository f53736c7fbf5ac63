package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DatasetSequenceLabelsTest {
  /** Row r has features (r, r) and labels (10r, 10r+1, 10r+2) mod 50, except row 2 position 2 ignored. */
  private static Dataset sample(int rows) {
    float[] x = new float[rows * 2];
    int[] y = new int[rows * 3];
    for (int r = 0; r < rows; r++) {
      x[2 * r] = r;
      x[2 * r + 1] = r;
      for (int j = 0; j < 3; j++) {
        y[3 * r + j] = (10 * r + j) % 50;
      }
    }
    if (rows > 2) {
      y[3 * 2 + 2] = Dataset.IGNORED_LABEL;
    }
    return Dataset.sequenceClassification("seq", x, rows, 2, y, 3, 50);
  }

  @Test
  void oneLabelPerRowByDefault() {
    Dataset d = Dataset.classification("c", new float[] {1, 2}, 2, 1, new int[] {0, 1}, 2);
    assertEquals(1, d.labelsPerRow());
    assertEquals(1, d.label(1));
    assertEquals(1, d.label(1, 0));
  }

  @Test
  void labelsAreRowMajorWithIgnoredPositions() {
    Dataset d = sample(4);
    assertEquals(3, d.labelsPerRow());
    assertEquals(12, d.labels().length);
    assertEquals(31, d.label(3, 1));
    assertEquals(-1, d.label(2, 2));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.label(0));
    assertTrue(e.getMessage().contains("3 labels per row"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> d.label(0, 3));
    assertTrue(d.toString().contains("3 labels per row"), d.toString());
  }

  @Test
  void outOfRangeLabelNamesRowAndPosition() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.sequenceClassification("s", new float[4], 2, 2, new int[] {0, 1, 1, 5}, 2, 5));
    assertTrue(e.getMessage().contains("row 1, position 1 is 5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.sequenceClassification("s", new float[4], 2, 2, new int[] {0, -2, 1, 1}, 2, 5));
    assertTrue(e.getMessage().contains("row 0, position 1 is -2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.sequenceClassification("s", new float[4], 2, 2, new int[] {0, 1, 1}, 2, 5));
    assertTrue(e.getMessage().contains("expected 4, got 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.sequenceClassification("s", new float[4], 2, 2, new int[0], 0, 5));
    assertTrue(e.getMessage().contains("labelsPerRow must be >= 1"), e.getMessage());
  }

  @Test
  void plainClassificationStillRejectsIgnoredLabel() {
    assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("c", new float[] {1, 2}, 2, 1, new int[] {0, -1}, 2));
  }

  @Test
  void subsetsAndCopiesCarryAllLabelsOfARow() {
    Dataset d = sample(5);
    Dataset s = d.subset(new int[] {4, 2, 2});
    assertEquals(3, s.labelsPerRow());
    assertArrayEquals(new int[] {40, 41, 42, 20, 21, -1, 20, 21, -1}, s.labels());
    Dataset r = d.subset(1, 3);
    assertArrayEquals(new int[] {10, 11, 12, 20, 21, -1}, r.labels());
    assertEquals(3, d.withName("n").labelsPerRow());
    assertEquals(3, d.withSampleShape(2, 1).labelsPerRow());
    assertEquals(3, Standardizer.fit(d).transform(d).labelsPerRow());
  }

  @Test
  void splitKeepsEachRowsLabelsTogether() {
    Dataset d = sample(20);
    Split parts = d.split(3, 0.8, 0.1);
    assertEquals(20, parts.train().rows() + parts.validation().rows() + parts.test().rows());
    for (Dataset p : new Dataset[] {parts.train(), parts.validation(), parts.test()}) {
      assertEquals(3, p.labelsPerRow());
      for (int i = 0; i < p.rows(); i++) {
        int r = (int) p.features()[2 * i];
        assertEquals((10 * r) % 50, p.label(i, 0));
        assertEquals((10 * r + 1) % 50, p.label(i, 1));
      }
    }
  }

  @Test
  void oneLabelPerRowWithIgnoredRowsSplitsStratifiedWithIgnoredAsAGroup() {
    int rows = 100;
    int[] y = new int[rows];
    for (int r = 0; r < rows; r++) {
      y[r] = r < 20 ? Dataset.IGNORED_LABEL : r % 2;
    }
    Dataset d = Dataset.sequenceClassification("i", new float[rows], rows, 1, y, 1, 2);
    Split s = d.split(1, 0.5, 0.25);
    assertEquals(10, Arrays.stream(s.train().labels()).filter(l -> l == -1).count());
    assertEquals(5, Arrays.stream(s.test().labels()).filter(l -> l == -1).count());
    assertEquals(20, Arrays.stream(s.train().labels()).filter(l -> l == 1).count());
  }

  @Test
  void classSelectionNeedsOneRealLabelPerRow() {
    Dataset d = sample(4);
    assertThrows(IllegalStateException.class, () -> d.selectClasses(0, 1));
    assertThrows(IllegalStateException.class, () -> d.samplePerClass(1, 0));
    Dataset ignored = Dataset.sequenceClassification("i", new float[2], 2, 1, new int[] {0, -1}, 1, 2);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ignored.selectClasses(0));
    assertTrue(e.getMessage().contains("row 1"), e.getMessage());
  }

  @Test
  void gatherCopiesEveryLabelOfEachRow() {
    Dataset d = sample(5);
    int[] order = {3, 0, 2, 4, 1};
    float[] xb = new float[2 * 2];
    int[] yb = new int[2 * 3];
    EpochOrder.gather(d, order, 2, 2, xb, 0, yb, null);
    assertArrayEquals(new float[] {2, 2, 4, 4}, xb);
    assertArrayEquals(new int[] {20, 21, -1, 40, 41, 42}, yb);
    assertThrows(IndexOutOfBoundsException.class,
        () -> EpochOrder.gather(d, order, 0, 2, xb, 0, new int[5], null));
  }

  @Test
  void parallelGatherOfALargeBatchMatchesRowByRow() {
    int rows = 600;
    int cols = 128; // 600 * 128 floats: above the single-thread threshold
    int lpr = 7;
    float[] x = new float[rows * cols];
    int[] y = new int[rows * lpr];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 1000;
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 11;
    }
    Dataset d = Dataset.sequenceClassification("big", x, rows, cols, y, lpr, 11);
    int[] order = EpochOrder.permutation(9, 0, rows);
    float[] xb = new float[rows * cols];
    int[] yb = new int[rows * lpr];
    EpochOrder.gather(d, order, 0, rows, xb, 0, yb, null);
    for (int k = 0; k < rows; k++) {
      int r = order[k];
      assertArrayEquals(Arrays.copyOfRange(y, r * lpr, (r + 1) * lpr), Arrays.copyOfRange(yb, k * lpr, (k + 1) * lpr));
      assertEquals(x[r * cols + 5], xb[k * cols + 5]);
    }
  }
}
