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
}
