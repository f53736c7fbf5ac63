package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DatasetTest {
  private static Dataset small() {
    float[] x = {0, 1, 10, 11, 20, 21};
    return Dataset.classification("small", x, 3, 2, new int[] {0, 1, 2}, 3);
  }

  @Test
  void nanFeatureNamesRowAndColumn() {
    float[] x = {0, 1, 2, 3, 4, Float.NaN};
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("d", x, 3, 2, new int[] {0, 0, 0}, 1));
    assertTrue(e.getMessage().contains("row 2, column 1 is NaN"), e.getMessage());
  }

  @Test
  void infiniteTargetNamesRowAndColumn() {
    float[] t = {0, 0, 0, Float.NEGATIVE_INFINITY};
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.regression("d", new float[] {1, 2}, 2, 1, t, 2));
    assertTrue(e.getMessage().contains("target at row 1, column 1 is -Infinity"), e.getMessage());
  }

  @Test
  void labelOutOfRangeNamesRowAndLabel() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("d", new float[3], 3, 1, new int[] {0, 1, 3}, 3));
    assertTrue(e.getMessage().contains("label at row 2 is 3"), e.getMessage());
    var neg = assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("d", new float[3], 3, 1, new int[] {-1, 1, 0}, 3));
    assertTrue(neg.getMessage().contains("row 0 is -1"), neg.getMessage());
  }

  @Test
  void sizeMismatchNamesExpectedAndActual() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("d", new float[5], 3, 2, new int[3], 2));
    assertTrue(e.getMessage().contains("expected 6, got 5"), e.getMessage());
    var l = assertThrows(IllegalArgumentException.class,
        () -> Dataset.classification("d", new float[6], 3, 2, new int[2], 2));
    assertTrue(l.getMessage().contains("expected 3, got 2"), l.getMessage());
    var t = assertThrows(IllegalArgumentException.class,
        () -> Dataset.regression("d", new float[6], 3, 2, new float[5], 2));
    assertTrue(t.getMessage().contains("expected 6, got 5"), t.getMessage());
  }

  @Test
  void accessorsShareArraysAndRowCopies() {
    float[] x = {0, 1, 10, 11, 20, 21};
    int[] y = {0, 1, 2};
    Dataset d = Dataset.classification("small", x, 3, 2, y, 3);
    assertSame(x, d.features());
    assertSame(y, d.labels());
    assertEquals(3, d.rows());
    assertEquals(2, d.cols());
    assertEquals(3, d.classes());
    assertTrue(d.isClassification());
    float[] r = d.row(1);
    assertArrayEquals(new float[] {10, 11}, r);
    r[0] = 99;
    assertEquals(10, x[2], "row() must copy");
    assertThrows(IllegalStateException.class, d::targets);
    assertThrows(IllegalStateException.class, d::targetCols);
  }

  @Test
  void regressionAccessors() {
    Dataset d = Dataset.regression("r", new float[] {1, 2, 3}, 3, 1, new float[] {1, 2, 3, 4, 5, 6}, 2);
    assertFalse(d.isClassification());
    assertEquals(2, d.targetCols());
    assertThrows(IllegalStateException.class, d::labels);
    assertThrows(IllegalStateException.class, d::classes);
    Dataset s = d.subset(new int[] {2, 0});
    assertArrayEquals(new float[] {3, 1}, s.features());
    assertArrayEquals(new float[] {5, 6, 1, 2}, s.targets());
  }

  @Test
  void subsetByIndicesAndRange() {
    Dataset d = small();
    Dataset s = d.subset(new int[] {2, 0, 2});
    assertArrayEquals(new float[] {20, 21, 0, 1, 20, 21}, s.features());
    assertArrayEquals(new int[] {2, 0, 2}, s.labels());
    assertEquals(3, s.classes());
    Dataset r = d.subset(1, 3);
    assertArrayEquals(new float[] {10, 11, 20, 21}, r.features());
    assertArrayEquals(new int[] {1, 2}, r.labels());
    assertEquals(0, d.subset(1, 1).rows());
    var e = assertThrows(IndexOutOfBoundsException.class, () -> d.subset(new int[] {0, 3}));
    assertTrue(e.getMessage().contains("row 3"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> d.subset(2, 4));
  }

  @Test
  void withNameSharesData() {
    Dataset d = small();
    Dataset n = d.withName("other");
    assertEquals("other", n.name());
    assertNotSame(d, n);
    assertSame(d.features(), n.features());
  }

  private static Dataset tenRowsFourClasses() {
    // Row r has features {r, -r} and label r % 4.
    float[] x = new float[20];
    int[] y = new int[10];
    for (int r = 0; r < 10; r++) {
      x[2 * r] = r;
      x[2 * r + 1] = -r;
      y[r] = r % 4;
    }
    return Dataset.classification("ten", x, 10, 2, y, 4);
  }

  @Test
  void selectClassesKeepsOrderAndRelabelsByPosition() {
    Dataset d = tenRowsFourClasses().selectClasses(3, 1);
    assertEquals(2, d.classes());
    assertEquals(5, d.rows());
    // Rows 1, 3, 5, 7, 9 (classes 1, 3, 1, 3, 1): class 3 becomes 0, class 1 becomes 1.
    assertArrayEquals(new float[] {1, -1, 3, -3, 5, -5, 7, -7, 9, -9}, d.features());
    assertArrayEquals(new int[] {1, 0, 1, 0, 1}, d.labels());
    assertEquals("ten", d.name());
  }

  @Test
  void selectClassesRejectsUnknownRepeatedOrNoClassesAndRegression() {
    Dataset d = tenRowsFourClasses();
    var out = assertThrows(IllegalArgumentException.class, () -> d.selectClasses(1, 4));
    assertTrue(out.getMessage().contains("class 4 is outside [0, 4)"), out.getMessage());
    var twice = assertThrows(IllegalArgumentException.class, () -> d.selectClasses(2, 2));
    assertTrue(twice.getMessage().contains("class 2 is selected twice"), twice.getMessage());
    assertThrows(IllegalArgumentException.class, () -> d.selectClasses());
    Dataset r = Dataset.regression("r", new float[] {1, 2}, 2, 1, new float[] {0, 1}, 1);
    assertThrows(IllegalStateException.class, () -> r.selectClasses(0));
  }

  @Test
  void samplePerClassIsBalancedDrawnFromTheDataAndDeterministic() {
    Dataset d = tenRowsFourClasses();
    Dataset s = d.samplePerClass(2, 42);
    assertEquals(8, s.rows());
    int[] perClass = new int[4];
    java.util.Set<Integer> rowsSeen = new java.util.HashSet<>();
    for (int i = 0; i < s.rows(); i++) {
      int original = (int) s.features()[2 * i];
      assertEquals(original % 4, s.label(i), "label travels with its row");
      assertTrue(rowsSeen.add(original), "row " + original + " drawn twice");
      perClass[s.label(i)]++;
    }
    assertArrayEquals(new int[] {2, 2, 2, 2}, perClass);
    assertArrayEquals(s.features(), d.samplePerClass(2, 42).features(), "same seed, same rows");
    boolean differs = false;
    for (long seed = 0; seed < 10 && !differs; seed++) {
      differs = !java.util.Arrays.equals(s.features(), d.samplePerClass(2, seed).features());
    }
    assertTrue(differs, "other seeds draw other rows");
  }

  @Test
  void samplePerClassNamesAClassWithTooFewRows() {
    // Classes 0 and 1 have 3 rows each, classes 2 and 3 have 2.
    var e = assertThrows(IllegalArgumentException.class, () -> tenRowsFourClasses().samplePerClass(3, 1));
    assertTrue(e.getMessage().contains("class 2 has 2 rows, fewer than the 3 per class requested"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> tenRowsFourClasses().samplePerClass(0, 1));
  }
}
