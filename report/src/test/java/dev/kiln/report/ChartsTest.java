package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.internal.chartpart.Chart;

class ChartsTest {
  @TempDir Path dir;

  static History history(boolean classification, boolean validation) {
    History h = new History();
    for (int e = 1; e <= 12; e++) {
      double loss = 1.5 / e;
      h.add(new EpochStats(e, loss, classification ? 1 - loss / 2 : Double.NaN,
          validation ? loss * 1.2 : Double.NaN,
          validation && classification ? 0.95 - loss / 2 : Double.NaN, 0.1, 1000));
    }
    return h;
  }

  private static ClassificationReport binaryReport() {
    float[] p = new float[200];
    int[] labels = new int[200];
    for (int i = 0; i < 200; i++) {
      labels[i] = i % 2;
      p[i] = (float) Math.clamp(0.5 + (labels[i] == 1 ? 0.25 : -0.25) + 0.4 * Math.sin(i * 1.7), 0, 1);
    }
    return ClassificationReport.fromProbabilities(p, 1, labels, 10);
  }

  private void assertWritten(Chart<?, ?> chart, String name) throws Exception {
    List<Path> files = Charts.write(chart, dir, name);
    assertEquals(List.of(dir.resolve(name + ".png"), dir.resolve(name + ".svg")), files);
    BufferedImage image = Pictures.assertPngNotBlank(files.get(0));
    assertEquals(chart.getWidth(), image.getWidth());
    Pictures.assertSvg(files.get(1));
  }

  @Test
  void everyChartIsWrittenAsADecodablePngAndAnSvg() throws Exception {
    ClassificationReport binary = binaryReport();
    assertWritten(Charts.lossCurve(history(true, true)), "loss");
    assertWritten(Charts.accuracyCurve(history(true, true)), "accuracy");
    assertWritten(Charts.confusionMatrix(binary), "confusion");
    assertWritten(Charts.reliabilityDiagram(binary), "reliability");
    assertWritten(Charts.rocCurve(binary), "roc");
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(10, names.size(), "only the ten pictures, no temporary files: " + names);
    }
  }

  @Test
  void curvesLeaveOutMissingSeries() {
    assertEquals(List.of("training"), List.copyOf(Charts.lossCurve(history(false, false)).getSeriesMap().keySet()));
    assertEquals(List.of("training", "validation"),
        List.copyOf(Charts.lossCurve(history(true, true)).getSeriesMap().keySet()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Charts.accuracyCurve(history(false, true)));
    assertTrue(e.getMessage().contains("no accuracy"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Charts.lossCurve(new History()));
  }

  @Test
  void confusionHeatMapOfTenClassesIsWritten() throws Exception {
    // 10 classes with a strong diagonal and a few off-diagonal errors.
    int n = 1000;
    float[] p = new float[n * 10];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 10;
      int predicted = i % 17 == 0 ? (labels[i] + 1) % 10 : labels[i];
      for (int j = 0; j < 10; j++) {
        p[i * 10 + j] = j == predicted ? 0.91f : 0.01f;
      }
    }
    ClassificationReport r = ClassificationReport.fromProbabilities(p, 10, labels, 15);
    assertWritten(Charts.confusionMatrix(r), "confusion10");
  }

  @Test
  void rocNeedsBothClasses() {
    ClassificationReport one = ClassificationReport.fromProbabilities(new float[] {0.3f, 0.8f}, 1, new int[] {1, 1}, 15);
    assertThrows(IllegalStateException.class, () -> Charts.rocCurve(one));
  }

  @Test
  void writeRefusesAPathAsBaseName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Charts.write(Charts.lossCurve(history(true, false)), dir, "../x"));
    assertTrue(e.getMessage().contains("../x"), e.getMessage());
  }
}
