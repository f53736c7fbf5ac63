package dev.kiln.report;

import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.inspect.FeatureImportance;
import dev.kiln.runtime.inspect.RobustAccuracy;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Pictures of the trust tools ({@code dev.kiln.runtime.inspect}): robust accuracy against ε, a grid
 * of adversarial examples, attribution heat maps over images, and a feature-attribution bar chart
 * for tables. Charts are XChart objects (write them with {@link Charts#write}); image grids are
 * {@link BufferedImage}s (write them with {@link #writePng}).
 */
public final class TrustPictures {
  private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
      new Color(0x9467bd)};
  private static final int GAP = 4;
  private static final int LABEL_HEIGHT = 16;

  private TrustPictures() {}

  /**
   * Robust accuracy against ε, one curve per model (e.g. "clean training" and "adversarial
   * training"), in the map's order.
   *
   * @throws IllegalArgumentException if {@code curves} is empty
   */
  public static XYChart robustAccuracyCurve(Map<String, RobustAccuracy> curves) {
    Objects.requireNonNull(curves, "curves");
    if (curves.isEmpty()) {
      throw new IllegalArgumentException("no robust-accuracy curves to draw");
    }
    RobustAccuracy first = curves.values().iterator().next();
    XYChart chart = new XYChartBuilder().width(640).height(480)
        .title("Robust accuracy against ε (" + first.attack() + ")").xAxisTitle("ε").yAxisTitle("accuracy").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    int k = 0;
    for (Map.Entry<String, RobustAccuracy> e : curves.entrySet()) {
      RobustAccuracy r = e.getValue();
      XYSeries s = chart.addSeries(e.getKey() + String.format(" (clean %.3f)", r.cleanAccuracy()), r.epsilons(),
          r.robustAccuracies());
      s.setLineColor(SERIES[k % SERIES.length]);
      s.setMarkerColor(SERIES[k % SERIES.length]);
      s.setMarker(SeriesMarkers.CIRCLE);
      k++;
    }
    return chart;
  }

  /**
   * Integrated gradients and permutation importance of every feature side by side, each scaled so
   * its largest absolute value is 1 (their units differ: score units against loss rise).
   *
   * @param names the features' names, in column order
   * @param integratedGradients one attribution per feature (e.g. the mean over samples of the
   *     absolute integrated gradients)
   * @param importance the permutation importance of the same features
   * @throws IllegalArgumentException if the three do not have the same number of features
   */
  public static CategoryChart featureAttributions(
      List<String> names, float[] integratedGradients, FeatureImportance importance) {
    Objects.requireNonNull(names, "names");
    int n = names.size();
    if (integratedGradients.length != n || importance.features() != n) {
      throw new IllegalArgumentException("feature names (" + n + "), integrated gradients ("
          + integratedGradients.length + ") and permutation importance (" + importance.features()
          + ") must cover the same features");
    }
    List<Double> ig = new ArrayList<>();
    List<Double> perm = new ArrayList<>();
    double igMax = 0;
    double permMax = 0;
    for (int f = 0; f < n; f++) {
      igMax = Math.max(igMax, Math.abs(integratedGradients[f]));
      permMax = Math.max(permMax, Math.abs(importance.lossRise()[f]));
    }
    for (int f = 0; f < n; f++) {
      ig.add(igMax == 0 ? 0 : integratedGradients[f] / igMax);
      perm.add(permMax == 0 ? 0 : importance.lossRise()[f] / permMax);
    }
    CategoryChart chart = new CategoryChartBuilder().width(Math.max(640, 28 * n + 160)).height(520)
        .title("Feature attributions (each scaled to its largest)").xAxisTitle("feature")
        .yAxisTitle("relative attribution").build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setXAxisLabelRotation(60);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.addSeries(String.format("integrated gradients (max %.3g)", igMax), names, ig).setFillColor(SERIES[0]);
    chart.addSeries(String.format("permutation importance: loss rise (max %.3g, %d repeats)", permMax,
        importance.repeats()), names, perm).setFillColor(SERIES[1]);
    return chart;
  }

  /**
   * One row per sample: the original, the perturbed sample and the perturbation (red positive, blue
   * negative, scaled to the largest change in the grid), with the predicted classes above.
   *
   * @param clean {@code rows} samples of shape {@code [C, H, W]} (the first channel is drawn)
   * @param adversarial their perturbed versions
   * @param cleanLabels predicted class names of the originals
   * @param adversarialLabels predicted class names of the perturbed samples
   * @param cell pixels per input pixel
   */
  public static BufferedImage adversarialExamples(float[] clean, float[] adversarial, int rows, int[] shape,
      String[] cleanLabels, String[] adversarialLabels, int cell) {
    int h = shape[shape.length - 2];
    int w = shape[shape.length - 1];
    int size = sampleSize(shape);
    float maxChange = 0;
    for (int i = 0; i < rows * size; i++) {
      maxChange = Math.max(maxChange, Math.abs(adversarial[i] - clean[i]));
    }
    int tileW = Math.max(w * cell, 110);
    BufferedImage img = ConvolutionPictures.blank(3 * tileW + 4 * GAP, rows * (h * cell + LABEL_HEIGHT + GAP) + GAP);
    Graphics2D g = text(img);
    for (int r = 0; r < rows; r++) {
      int y0 = GAP + r * (h * cell + LABEL_HEIGHT + GAP);
      g.drawString("original: " + cleanLabels[r], GAP, y0 + LABEL_HEIGHT - 4);
      g.drawString("perturbed: " + adversarialLabels[r], 2 * GAP + tileW, y0 + LABEL_HEIGHT - 4);
      g.drawString(String.format("change (max %.3g)", maxChange), 3 * GAP + 2 * tileW, y0 + LABEL_HEIGHT - 4);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int i = r * size + y * w + x;
          int py = y0 + LABEL_HEIGHT + y * cell;
          ConvolutionPictures.fill(img, GAP + x * cell, py, cell, cell, grey(clean[i]));
          ConvolutionPictures.fill(img, 2 * GAP + tileW + x * cell, py, cell, cell, grey(adversarial[i]));
          float d = maxChange > 0 ? (adversarial[i] - clean[i]) / maxChange : 0;
          ConvolutionPictures.fill(img, 3 * GAP + 2 * tileW + x * cell, py, cell, cell, ConvolutionPictures.diverging(d));
        }
      }
    }
    g.dispose();
    return img;
  }

  /**
   * One row per sample: the sample in grey and its attributions (red positive, blue negative, each
   * sample scaled to its own largest absolute attribution), with a caption per row.
   *
   * @param samples {@code rows} samples of shape {@code [C, H, W]} (the first channel is drawn)
   * @param attributions one attribution per input value, same layout
   */
  public static BufferedImage attributionHeatMaps(float[] samples, float[] attributions, int rows, int[] shape,
      String[] captions, int cell) {
    int h = shape[shape.length - 2];
    int w = shape[shape.length - 1];
    int size = sampleSize(shape);
    int tileW = Math.max(w * cell, 110);
    BufferedImage img = ConvolutionPictures.blank(2 * tileW + 3 * GAP, rows * (h * cell + LABEL_HEIGHT + GAP) + GAP);
    Graphics2D g = text(img);
    for (int r = 0; r < rows; r++) {
      int y0 = GAP + r * (h * cell + LABEL_HEIGHT + GAP);
      float max = 0;
      for (int i = r * size; i < r * size + h * w; i++) {
        max = Math.max(max, Math.abs(attributions[i]));
      }
      g.drawString(captions[r], GAP, y0 + LABEL_HEIGHT - 4);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int i = r * size + y * w + x;
          int py = y0 + LABEL_HEIGHT + y * cell;
          ConvolutionPictures.fill(img, GAP + x * cell, py, cell, cell, grey(samples[i]));
          ConvolutionPictures.fill(img, 2 * GAP + tileW + x * cell, py, cell, cell,
              ConvolutionPictures.diverging(max > 0 ? attributions[i] / max : 0));
        }
      }
    }
    g.dispose();
    return img;
  }

  /** Writes {@code image} as PNG, atomically. */
  public static Path writePng(BufferedImage image, Path dir, String baseName) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(baseName + ".png");
    try {
      AtomicFiles.write(file, ConvolutionPictures.png(image));
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + e, e);
    }
    return file;
  }

  private static int sampleSize(int[] shape) {
    int size = 1;
    for (int d : shape) {
      size *= d;
    }
    return size;
  }

  /** A value of [0, 1] as grey (clamped). */
  private static int grey(float v) {
    int g = Math.round(Math.min(1f, Math.max(0f, v)) * 255);
    return g << 16 | g << 8 | g;
  }

  private static Graphics2D text(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    return g;
  }
}
