package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NormalizerTest {
  /** Column 0: 1, 2, 3, 6 (mean 3, population variance 14/4 = 3.5); column 1 constant 5. */
  private static final Dataset TRAIN = Dataset.classification("train",
      new float[] {1, 5, 2, 5, 3, 5, 6, 5}, 4, 2, new int[] {0, 1, 0, 1}, 2);
  private static final Dataset TEST = Dataset.classification("test",
      new float[] {9, 7, 3, 5}, 2, 2, new int[] {1, 0}, 2);
  private static final float STD0 = (float) Math.sqrt(3.5);

  @Test
  void standardizerFitsMeanAndPopulationStdOnTrain() {
    Standardizer s = Standardizer.fit(TRAIN);
    assertArrayEquals(new float[] {3, 5}, s.mean(), 1e-6f);
    assertArrayEquals(new float[] {STD0, 1}, s.std(), 1e-6f, "constant column divides by 1");
    assertEquals(2, s.cols());
    Dataset t = s.transform(TRAIN);
    assertArrayEquals(new float[] {-2 / STD0, 0, -1 / STD0, 0, 0, 0, 3 / STD0, 0}, t.features(), 1e-6f);
    assertSame(TRAIN.labels(), t.labels());
    assertEquals("train", t.name());
  }

  @Test
  void standardizerTransformsTestWithTrainStatistics() {
    Standardizer s = Standardizer.fit(TRAIN);
    Dataset t = s.transform(TEST);
    // (9 - 3) / sqrt(3.5) and (7 - 5) / 1: the test set's own mean/std play no part
    assertArrayEquals(new float[] {6 / STD0, 2, 0, 0}, t.features(), 1e-6f);
    assertArrayEquals(new float[] {9, 7, 3, 5}, TEST.features(), "input untouched");
  }

  @Test
  void minMaxScalesTrainToUnitIntervalAndTestByTrainRange() {
    MinMaxScaler m = MinMaxScaler.fit(TRAIN);
    assertArrayEquals(new float[] {1, 5}, m.min());
    assertArrayEquals(new float[] {5, 1}, m.range());
    assertArrayEquals(new float[] {0, 0, 0.2f, 0, 0.4f, 0, 1, 0}, m.transform(TRAIN).features(), 1e-6f);
    // not clipped: 9 is beyond the training max
    assertArrayEquals(new float[] {1.6f, 2, 0.4f, 0}, m.transform(TEST).features(), 1e-6f);
  }

  @Test
  void transformRowMatchesTransformAndWorksInPlace() {
    for (Normalizer n : new Normalizer[] {Standardizer.fit(TRAIN), MinMaxScaler.fit(TRAIN)}) {
      float[] expected = n.transform(TEST).row(0);
      float[] out = new float[2];
      n.transformRow(TEST.row(0), out);
      assertArrayEquals(expected, out);
      float[] inPlace = TEST.row(0);
      n.transformRow(inPlace, inPlace);
      assertArrayEquals(expected, inPlace);
    }
  }

  @Test
  void columnCountMismatchNamesBothCounts() {
    Standardizer s = Standardizer.fit(TRAIN);
    Dataset three = Dataset.classification("three", new float[3], 1, 3, new int[] {0}, 1);
    var e = assertThrows(IllegalArgumentException.class, () -> s.transform(three));
    assertTrue(e.getMessage().contains("fitted on 2 columns") && e.getMessage().contains("has 3"), e.getMessage());
    var r = assertThrows(IllegalArgumentException.class, () -> MinMaxScaler.fit(TRAIN).transformRow(new float[3], new float[3]));
    assertTrue(r.getMessage().contains("2 columns") && r.getMessage().contains("row of 3"), r.getMessage());
  }

  @Test
  void fittingOnNoRowsIsRejected() {
    Dataset empty = TRAIN.subset(0, 0);
    var e = assertThrows(IllegalArgumentException.class, () -> Standardizer.fit(empty));
    assertTrue(e.getMessage().contains("no rows"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> MinMaxScaler.fit(empty));
  }

  @Test
  void accessorsReturnCopies() {
    Standardizer s = Standardizer.fit(TRAIN);
    s.mean()[0] = 100;
    assertEquals(3, s.mean()[0]);
  }
}
