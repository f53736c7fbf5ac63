package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.inspect.FeatureImportance;
import dev.kiln.runtime.inspect.RobustAccuracy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;

class TrustPicturesTest {
  @TempDir Path dir;

  @Test
  void robustAccuracyCurvesHoldOneSeriesPerModel() throws Exception {
    double[] eps = {0, 0.05, 0.1};
    Map<String, RobustAccuracy> curves = new LinkedHashMap<>();
    curves.put("clean training", new RobustAccuracy("PGD-10 L∞", eps, new long[] {90, 40, 5}, 90, 100));
    curves.put("adversarial training", new RobustAccuracy("PGD-10 L∞", eps, new long[] {85, 70, 50}, 85, 100));
    XYChart chart = TrustPictures.robustAccuracyCurve(curves);
    assertEquals(2, chart.getSeriesMap().size());
    double[] y = chart.getSeriesMap().get("adversarial training (clean 0.850)").getYData();
    assertEquals(0.7, y[1], 1e-12);
    List<Path> files = Charts.write(chart, dir, "robust");
    assertTrue(Files.size(files.get(0)) > 1000);
    assertThrows(IllegalArgumentException.class, () -> TrustPictures.robustAccuracyCurve(Map.of()));
  }

  @Test
  void featureAttributionsScaleEachMethodToItsLargest() {
    FeatureImportance imp = new FeatureImportance(0.9, 0.3, new double[] {0.2, 0.01}, new double[2],
        new double[] {0.5, 0.1}, new double[2], 5);
    CategoryChart chart = TrustPictures.featureAttributions(List.of("radius", "texture"), new float[] {-2f, 1f}, imp);
    assertEquals(2, chart.getSeriesMap().size());
    List<Double> ig = chart.getSeriesMap().values().iterator().next().getYData().stream()
        .map(Number::doubleValue).toList();
    assertEquals(List.of(-1.0, 0.5), ig);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrustPictures.featureAttributions(List.of("radius"), new float[] {1f, 2f}, imp));
    assertTrue(e.getMessage().contains("same features"), e.getMessage());
  }

  @Test
  void adversarialGridsDrawOriginalPerturbedAndChange() throws Exception {
    int[] shape = {1, 2, 3};
    float[] clean = {0, 0.5f, 1, 0, 0.5f, 1};
    float[] adv = {0.1f, 0.5f, 0.9f, 0, 0.5f, 1};
    BufferedImage img = TrustPictures.adversarialExamples(clean, adv, 1, shape, new String[] {"3"},
        new String[] {"8"}, 10);
    Path png = TrustPictures.writePng(img, dir, "adversarial");
    BufferedImage read = ImageIO.read(png.toFile());
    assertEquals(img.getWidth(), read.getWidth());
    // The change's first pixel is +0.1 of a largest change of 0.1: full red.
    int tileW = 110;
    int x = 3 * 4 + 2 * tileW + 5;
    int y = 4 + 16 + 5;
    assertEquals(0xFF0000, read.getRGB(x, y) & 0xFFFFFF);
    // The original's third pixel is white (1.0).
    assertEquals(0xFFFFFF, read.getRGB(4 + 25, y) & 0xFFFFFF);

    BufferedImage heat = TrustPictures.attributionHeatMaps(clean, new float[] {0, 0, -2, 0, 0, 1}, 1, shape,
        new String[] {"class 3"}, 10);
    assertEquals(0x0000FF, heat.getRGB(2 * 4 + tileW + 25, y) & 0xFFFFFF, "the largest negative is full blue");
  }
}
