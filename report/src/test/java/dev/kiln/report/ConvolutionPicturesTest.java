package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvolutionPicturesTest {
  @TempDir Path tmp;

  private static final int CELL = 5;
  private static final int GAP = 2; // ConvolutionPictures.GAP: the border is twice this

  /** 1x6x6 images: class 1 has a bright vertical bar, class 0 a horizontal one, plus noise. */
  private static Dataset bars(int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * 36];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = i % 2;
      int line = r.nextInt(6);
      for (int p = 0; p < 36; p++) {
        boolean on = y[i] == 1 ? p % 6 == line : p / 6 == line;
        x[i * 36 + p] = (on ? 1f : 0f) + (float) (r.nextDouble() * 0.1);
      }
    }
    return Dataset.classification("bars", x, rows, 36, y, 2);
  }

  private static TinyCnnModel trained() {
    TinyCnnModel model = new TinyCnnModel();
    model.train(bars(64, 1), TrainOptions.epochs(3).quiet());
    return model;
  }

  @Test
  void filterTilesShowEachWeightsSignOnOneScale() {
    TinyCnnModel model = trained();
    ParamSpec k = model.spec().parameters().stream().filter(p -> p.name().equals("conv.kernel")).findFirst().orElseThrow();
    float[] w = Arrays.copyOfRange(model.parameters(), k.offset(), k.offset() + k.length());
    BufferedImage img = ConvolutionPictures.of(model, "conv", bars(1, 2).row(0)).filters(CELL);
    // 4 filters in one row, 3x3 cells each, a border of 2·GAP around every tile.
    assertEquals(4 * 3 * CELL + 5 * 2 * GAP, img.getWidth());
    assertEquals(3 * CELL + 2 * 2 * GAP, img.getHeight());
    float max = 0;
    for (float v : w) {
      max = Math.max(max, Math.abs(v));
    }
    boolean sawFull = false;
    for (int f = 0; f < 4; f++) {
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          float v = w[f * 9 + i * 3 + j];
          int x = 2 * GAP + f * (3 * CELL + 2 * GAP) + j * CELL + CELL / 2;
          int y = 2 * GAP + i * CELL + CELL / 2;
          int rgb = img.getRGB(x, y) & 0xFFFFFF;
          assertEquals(ConvolutionPictures.diverging(v / max), rgb, "filter " + f + " cell " + i + "," + j + " = " + v);
          int red = rgb >> 16 & 0xFF;
          int blue = rgb & 0xFF;
          assertTrue(v > 0 ? red == 255 && blue < 255 : v < 0 ? blue == 255 && red < 255 : rgb == 0xFFFFFF,
              "weight " + v + " drawn as " + Integer.toHexString(rgb));
          sawFull |= rgb == 0xFF0000 || rgb == 0x0000FF;
        }
      }
    }
    assertTrue(sawFull, "the largest weight is drawn in full colour");
  }

  @Test
  void featureMapsAreTheLayersOutputScaledFromBlackToWhite() {
    TinyCnnModel model = trained();
    float[] sample = bars(2, 3).row(1);
    BufferedImage img = ConvolutionPictures.of(model, "conv", sample, "conv").maps(3).featureMaps("conv", CELL);
    float[] out = model.layerOutput("conv", sample); // [4, 4, 4]
    assertEquals(3 * 4 * CELL + 4 * 2 * GAP, img.getWidth(), "three of the four maps");
    for (int ch = 0; ch < 3; ch++) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int p = 0; p < 16; p++) {
        lo = Math.min(lo, out[ch * 16 + p]);
        hi = Math.max(hi, out[ch * 16 + p]);
      }
      for (int p = 0; p < 16; p++) {
        int x = 2 * GAP + ch * (4 * CELL + 2 * GAP) + (p % 4) * CELL + CELL / 2;
        int y = 2 * GAP + (p / 4) * CELL + CELL / 2;
        int grey = img.getRGB(x, y) & 0xFF;
        int expected = hi > lo ? Math.round((out[ch * 16 + p] - lo) / (hi - lo) * 255) : 0;
        assertEquals(expected, grey, "map " + ch + " pixel " + p);
        assertEquals(grey, img.getRGB(x, y) >> 16 & 0xFF, "grey, not coloured");
      }
    }
  }

  @Test
  void sectionWritesItsPicturesIntoTheTrainingReport() throws Exception {
    Path dir = tmp.resolve("cnn");
    TrainingReport report = TrainingReport.to(dir).title("Tiny CNN");
    TinyCnnModel model = new TinyCnnModel();
    Dataset train = bars(64, 1);
    Dataset test = bars(20, 4);
    TrainOptions options = TrainOptions.epochs(2).quiet();
    History history = model.train(train, options);
    report.section(ConvolutionPictures.of(model, "conv", test.row(0), "conv", "pool").sampleLabel("vertical <bar>"));
    Path html = report.write(model, history, options, train, test);
    String text = Files.readString(html, StandardCharsets.UTF_8);
    assertTrue(text.contains("<h2>Filters and feature maps</h2>"), "section heading");
    for (String name : new String[] {"filters-conv", "sample", "maps-conv", "maps-pool"}) {
      assertTrue(text.contains("<figure id=\"fig-" + name + "\">"), name + " figure");
      Pictures.assertPngNotBlank(Files.readAllBytes(dir.resolve(name + ".png")), name, 2, 0.05);
    }
    assertTrue(text.contains("vertical &lt;bar&gt;"), "label escaped");
    assertTrue(text.indexOf("Filters and feature maps") < text.indexOf("<h2>Training history</h2>"), "after the pictures");
  }

  @Test
  void refusesLayersThatAreNotConvolutionsOrImages() {
    TinyCnnModel model = new TinyCnnModel();
    float[] sample = new float[36];
    IllegalArgumentException noKernel =
        assertThrows(IllegalArgumentException.class, () -> ConvolutionPictures.of(model, "output", sample));
    assertTrue(noKernel.getMessage().contains("output.kernel") && noKernel.getMessage().contains("conv.kernel"),
        noKernel.getMessage());
    IllegalArgumentException flat =
        assertThrows(IllegalArgumentException.class, () -> ConvolutionPictures.of(model, "conv", sample, "flat"));
    assertTrue(flat.getMessage().contains("'flat'"), flat.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConvolutionPictures.of(model, "conv", new float[35]));
    assertThrows(IllegalArgumentException.class, () -> ConvolutionPictures.of(model, "conv", sample, "nope"));
  }
}
