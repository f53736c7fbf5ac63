package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TimeSeriesWindowsTest {
  private static float[] ramp(int n) {
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      s[i] = i;
    }
    return s;
  }

  @Test
  void windowsSlideByOneWithNextValuesAsTargets() {
    Dataset d = TimeSeriesWindows.of("s", ramp(6), 3, 2);
    assertEquals(2, d.rows()); // 6 - 3 - 2 + 1
    assertArrayEquals(new float[] {0, 1, 2, 1, 2, 3}, d.features());
    assertArrayEquals(new float[] {3, 4, 4, 5}, d.targets());
    assertEquals(2, d.targetCols());
    assertEquals(1, TimeSeriesWindows.of("s", ramp(5), 3, 2).rows());
  }

  @Test
  void horizonBeyondTheSeriesAndBadValuesAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TimeSeriesWindows.of("s", ramp(4), 3, 2));
    assertTrue(e.getMessage().contains("4 values has no window of 3 inputs and 2 targets"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TimeSeriesWindows.of("s", new float[0], 1, 1));
    assertThrows(IllegalArgumentException.class, () -> TimeSeriesWindows.of("s", ramp(5), 0, 1));
    assertThrows(IllegalArgumentException.class, () -> TimeSeriesWindows.of("s", ramp(5), 1, 0));
    e = assertThrows(IllegalArgumentException.class,
        () -> TimeSeriesWindows.of("s", new float[] {1, 2, Float.NaN, 4}, 1, 1));
    assertTrue(e.getMessage().contains("index 2 is NaN"), e.getMessage());
  }

  @Test
  void splitByTimeFitsTheScalerOnTheTrainingSpanOnly() {
    float[] s = ramp(20);
    TimeSeriesSplit split = TimeSeriesWindows.split("s", s, 4, 1, 5, SeriesScaler.Method.MIN_MAX);
    assertEquals(15, split.testStart());
    assertEquals(0f, split.scaler().shift());
    assertEquals(14f, split.scaler().scale()); // training span 0..14
    assertEquals(11, split.train().rows()); // 15 - 4 - 1 + 1
    assertEquals(5, split.test().rows());
    // the last training target is index 14, the first test target index 15, with inputs 11..14
    assertEquals(1f, split.train().targets()[10], 1e-6f);
    assertArrayEquals(new float[] {11 / 14f, 12 / 14f, 13 / 14f, 1f}, split.test().row(0), 1e-6f);
    assertEquals(15f, split.scaler().inverse(split.test().targets()[0]), 1e-5f);
    assertEquals(19f, split.scaler().inverse(split.test().targets()[4]), 1e-5f);
    assertArrayEquals(split.test().row(0), split.inputBefore(15));
    assertArrayEquals(new float[] {16 / 14f, 17 / 14f, 18 / 14f, 19 / 14f}, split.inputBefore(20), 1e-6f);
    assertThrows(IndexOutOfBoundsException.class, () -> split.inputBefore(21));
    assertEquals("s/train", split.train().name());
  }

  @Test
  void multiStepTargetsStraddlingTheBoundaryAreInNeitherPart() {
    TimeSeriesSplit split = TimeSeriesWindows.split("s", ramp(20), 3, 3, 6, SeriesScaler.Method.NONE);
    assertEquals(9, split.train().rows()); // 14 - 3 - 3 + 1: the last row's targets are 11..13
    assertArrayEquals(new float[] {11, 12, 13}, Arrays.copyOfRange(split.train().targets(), 24, 27));
    assertEquals(4, split.test().rows()); // first targets at 14..17
    assertArrayEquals(new float[] {14, 15, 16}, Arrays.copyOfRange(split.test().targets(), 0, 3));
    assertArrayEquals(new float[] {11, 12, 13}, split.test().row(0));
  }

  @Test
  void splitNeedsATrainingAndATestWindow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TimeSeriesWindows.split("s", ramp(10), 3, 2, 1, SeriesScaler.Method.NONE));
    assertTrue(e.getMessage().contains("testSize must be in [horizon, n]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TimeSeriesWindows.split("s", ramp(10), 5, 1, 5, SeriesScaler.Method.NONE));
    assertTrue(e.getMessage().contains("training span of 5 values"), e.getMessage());
    assertEquals(1, TimeSeriesWindows.split("s", ramp(10), 5, 1, 4, SeriesScaler.Method.NONE).train().rows());
  }

  @Test
  void standardScalerUsesThePopulationStdAndInvertsInPlace() {
    SeriesScaler sc = SeriesScaler.fit(SeriesScaler.Method.STANDARD, new float[] {99, 1, 2, 3, 4, -99}, 1, 5);
    assertEquals(2.5f, sc.shift(), 1e-6f);
    assertEquals((float) Math.sqrt(1.25), sc.scale(), 1e-6f);
    float[] p = {sc.transform(1f), sc.transform(10f)};
    sc.inverse(p, p);
    assertArrayEquals(new float[] {1f, 10f}, p, 1e-5f);
    assertEquals(1f, SeriesScaler.fit(SeriesScaler.Method.STANDARD, new float[] {3, 3}, 0, 2).scale());
    assertEquals(1f, SeriesScaler.fit(SeriesScaler.Method.MIN_MAX, new float[] {3, 3}, 0, 2).scale());
    assertThrows(IllegalArgumentException.class, () -> SeriesScaler.fit(SeriesScaler.Method.NONE, new float[2], 1, 1));
  }

  @Test
  void sunspotsLastFortyYearsAsTest() throws IOException {
    Dataset table = CsvReader.builder().header(true).regression(1).build().read(SharedData.file("sunspots.csv"));
    float[] series = table.targets();
    assertEquals(309, series.length);
    assertEquals(5f, series[0]); // 1700
    assertEquals(1700f, table.features()[0]);
    TimeSeriesSplit s = TimeSeriesWindows.split("sunspots", series, 20, 1, 40, SeriesScaler.Method.STANDARD);
    assertEquals(269, s.testStart());
    assertEquals(249, s.train().rows());
    assertEquals(40, s.test().rows());
    assertEquals(series[269], s.scaler().inverse(s.test().targets()[0]), 1e-3f);
    assertEquals(series[308], s.scaler().inverse(s.test().targets()[39]), 1e-3f);
    // the scaler saw the first 269 years only
    double mean = 0;
    for (int i = 0; i < 269; i++) {
      mean += series[i];
    }
    assertEquals(mean / 269, s.scaler().shift(), 1e-3);
  }
}
