package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DatasetSplitTest {
  /** Row i has feature i (so rows can be identified after the split); class sizes 100, 50, 20. */
  private static Dataset imbalanced() {
    int rows = 170;
    float[] x = new float[rows];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      x[i] = i;
      y[i] = i < 100 ? 0 : i < 150 ? 1 : 2;
    }
    return Dataset.classification("imb", x, rows, 1, y, 3);
  }

  private static int[] classCounts(Dataset d) {
    int[] n = new int[d.classes()];
    for (int label : d.labels()) {
      n[label]++;
    }
    return n;
  }

  @Test
  void stratifiedSplitKeepsClassProportions() {
    Split s = imbalanced().split(7, 0.6, 0.2);
    assertArrayEquals(new int[] {60, 30, 12}, classCounts(s.train()));
    assertArrayEquals(new int[] {20, 10, 4}, classCounts(s.validation()));
    assertArrayEquals(new int[] {20, 10, 4}, classCounts(s.test()));
    assertEquals("imb/train", s.train().name());
    assertEquals("imb/validation", s.validation().name());
    assertEquals("imb/test", s.test().name());
  }

  @Test
  void partsAreDisjointAndComplete() {
    Split s = imbalanced().split(3, 0.7, 0.15);
    boolean[] seen = new boolean[170];
    for (Dataset part : new Dataset[] {s.train(), s.validation(), s.test()}) {
      for (int r = 0; r < part.rows(); r++) {
        int id = (int) part.features()[r];
        assertFalse(seen[id], "row " + id + " appears twice");
        seen[id] = true;
        // each row keeps its own label
        assertEquals(id < 100 ? 0 : id < 150 ? 1 : 2, part.label(r));
      }
    }
    for (int i = 0; i < seen.length; i++) {
      assertTrue(seen[i], "row " + i + " is missing");
    }
  }

  @Test
  void sameSeedSameSplitOtherSeedDiffers() {
    Dataset d = imbalanced();
    Split a = d.split(42, 0.6, 0.2);
    Split b = d.split(42, 0.6, 0.2);
    Split c = d.split(43, 0.6, 0.2);
    assertArrayEquals(a.train().features(), b.train().features());
    assertArrayEquals(a.test().features(), b.test().features());
    assertFalse(Arrays.equals(a.train().features(), c.train().features()));
  }

  @Test
  void partsAreShuffledNotGroupedByClass() {
    int[] labels = imbalanced().split(1, 0.8, 0).train().labels();
    int changes = 0;
    for (int i = 1; i < labels.length; i++) {
      changes += labels[i] != labels[i - 1] ? 1 : 0;
    }
    assertTrue(changes > 10, "train labels look grouped: " + changes + " changes");
  }

  @Test
  void trainTestSplitHasEmptyValidation() {
    Split s = imbalanced().trainTestSplit(5, 0.8);
    assertEquals(0, s.validation().rows());
    assertFalse(s.hasValidation());
    assertArrayEquals(new int[] {80, 40, 16}, classCounts(s.train()));
    assertArrayEquals(new int[] {20, 10, 4}, classCounts(s.test()));
  }

  @Test
  void regressionSplitUsesPlainShuffle() {
    float[] x = new float[10];
    for (int i = 0; i < 10; i++) {
      x[i] = i;
    }
    Dataset d = Dataset.regression("r", x, 10, 1, x.clone(), 1);
    Split s = d.split(9, 0.5, 0.3);
    assertEquals(5, s.train().rows());
    assertEquals(3, s.validation().rows());
    assertEquals(2, s.test().rows());
    // features and targets stay paired
    assertArrayEquals(s.train().features(), s.train().targets());
  }

  @Test
  void badFractionsAreRejectedWithTheValue() {
    Dataset d = imbalanced();
    var e = assertThrows(IllegalArgumentException.class, () -> d.split(1, 0.8, 0.3));
    assertTrue(e.getMessage().contains("0.8 + 0.3"), e.getMessage());
    var z = assertThrows(IllegalArgumentException.class, () -> d.split(1, 0, 0.1));
    assertTrue(z.getMessage().contains("trainFraction must be in (0, 1], got 0.0"), z.getMessage());
    assertThrows(IllegalArgumentException.class, () -> d.split(1, Double.NaN, 0.1));
    assertThrows(IllegalArgumentException.class, () -> d.split(1, 0.5, -0.1));
    assertThrows(IllegalArgumentException.class, () -> d.trainTestSplit(1, 1.5));
    // 0.7 + 0.3 is 1.0000000000000002 in binary and must still be accepted
    Split s = d.split(1, 0.7, 0.3);
    assertEquals(0, s.test().rows());
  }
}
