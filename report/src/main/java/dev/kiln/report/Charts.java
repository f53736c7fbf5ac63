package dev.kiln.report;

import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * XChart pictures of a training run and its evaluation, and a writer that saves any chart as PNG and
 * SVG. The charts are ordinary XChart objects, so callers may restyle them before writing.
 */
public final class Charts {
  /** Colour of training series. */
  private static final Color TRAIN = new Color(0x1f77b4);

  /** Colour of validation series and model curves. */
  private static final Color VALIDATION = new Color(0xd62728);

  private static final Color REFERENCE = new Color(0x7f7f7f);

  private Charts() {}

  /**
   * Training and (if recorded) validation loss per epoch.
   *
   * @throws IllegalArgumentException if the history has no epochs
   */
  public static XYChart lossCurve(History history) {
    return curve(history, "Loss", "loss", EpochStats::loss, EpochStats::validationLoss);
  }

  /**
   * Training and (if recorded) validation accuracy per epoch.
   *
   * @throws IllegalArgumentException if the history has no epochs or no accuracy (a regression run)
   */
  public static XYChart accuracyCurve(History history) {
    XYChart chart =
        curve(history, "Accuracy", "accuracy", EpochStats::accuracy, EpochStats::validationAccuracy);
    if (chart.getSeriesMap().isEmpty()) {
      throw new IllegalArgumentException("the history has no accuracy (a regression run?)");
    }
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE); // accuracy rises to the top right
    return chart;
  }

  private static XYChart curve(
      History history,
      String title,
      String yTitle,
      ToDoubleFunction<EpochStats> trainValue,
      ToDoubleFunction<EpochStats> validationValue) {
    Objects.requireNonNull(history, "history");
    if (history.size() == 0) {
      throw new IllegalArgumentException("the history has no epochs to plot");
    }
    XYChart chart =
        new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
    style(chart);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("0");
    addFinite(chart, "training", history.epochs(), trainValue, TRAIN);
    addFinite(chart, "validation", history.epochs(), validationValue, VALIDATION);
    return chart;
  }

  /** Adds the epochs whose value is finite; nothing if none is. */
  private static void addFinite(
      XYChart chart, String name, List<EpochStats> epochs, ToDoubleFunction<EpochStats> value, Color color) {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (EpochStats e : epochs) {
      double v = value.applyAsDouble(e);
      if (Double.isFinite(v)) {
        x.add((double) e.epoch());
        y.add(v);
      }
    }
    if (x.isEmpty()) {
      return;
    }
    XYSeries s = chart.addSeries(name, x, y);
    s.setLineColor(color);
    s.setMarkerColor(color);
    s.setMarker(epochs.size() <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
  }

  /**
   * Per layer, the mean gradient norm per epoch on a logarithmic axis (see
   * {@link dev.kiln.runtime.train.GradientNorms}): a layer far below the others has a vanishing
   * gradient.
   *
   * @throws IllegalStateException if the history recorded no gradient norms
   */
  public static XYChart gradientNorms(History history) {
    return perLayer(history, "Gradient norm per layer", "mean L2 norm of the gradient", false);
  }

  /**
   * Per layer, the mean update-to-weight ratio per epoch on a logarithmic axis, with the usual
   * 1e-3 dashed for reference.
   *
   * @throws IllegalStateException if the history recorded no gradient norms
   */
  public static XYChart updateRatios(History history) {
    XYChart chart = perLayer(history, "Update-to-weight ratio per layer", "‖Δw‖ / ‖w‖ per step", true);
    int epochs = history.size();
    XYSeries r = chart.addSeries("1e-3", new double[] {1, Math.max(epochs, 2)}, new double[] {1e-3, 1e-3});
    r.setLineStyle(SeriesLines.DASH_DASH);
    r.setLineColor(REFERENCE);
    r.setMarker(SeriesMarkers.NONE);
    return chart;
  }

  private static XYChart perLayer(History history, String title, String yTitle, boolean ratios) {
    Objects.requireNonNull(history, "history");
    List<EpochStats> epochs = history.epochs();
    dev.kiln.runtime.train.GradientNorms any = epochs.stream().map(EpochStats::gradientNorms)
        .filter(Objects::nonNull).findFirst()
        .orElseThrow(() -> new IllegalStateException(
            "no gradient norms were recorded; train with TrainOptions.withGradientNorms()"));
    XYChart chart =
        new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
    style(chart);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    for (String layer : (ratios ? any.updateRatios() : any.layers()).keySet()) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (EpochStats e : epochs) {
        dev.kiln.runtime.train.GradientNorms g = e.gradientNorms();
        Double v = g == null ? null : (ratios ? g.updateRatios() : g.layers()).get(layer);
        if (v != null && Double.isFinite(v) && v > 0) {
          x.add((double) e.epoch());
          y.add(v);
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(layer, x, y).setMarker(epochs.size() <= 40 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
      }
    }
    return chart;
  }

  /**
   * The confusion matrix as a heat map: true class down the side (first class at the top), predicted
   * class along the bottom, each cell labelled with its count.
   */
  public static HeatMapChart confusionMatrix(ClassificationReport report) {
    Objects.requireNonNull(report, "report");
    int k = report.classes();
    int[][] confusion = report.confusion();
    int size = Math.max(520, Math.min(1000, 160 + 56 * k));
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(size + 120)
            .height(size)
            .title("Confusion matrix (" + report.samples() + " samples)")
            .xAxisTitle("predicted class")
            .yAxisTitle("true class")
            .build();
    style(chart);
    chart.getStyler().setShowValue(true);
    chart.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, k > 12 ? 9 : 13));
    chart.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x9ecae1), new Color(0x4292c6)});
    chart.getStyler().setHeatMapValueDecimalPattern("0");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    List<String> names = report.classNames();
    int longest = names.stream().mapToInt(String::length).max().orElse(0);
    if (longest * k > 60) {
      chart.getStyler().setXAxisLabelRotation(40); // long names would overlap side by side
    }
    List<String> x = new ArrayList<>(names);
    // XChart draws the first y category at the bottom; list them in reverse so class 0 is on top.
    List<String> y = new ArrayList<>(names).reversed();
    List<Number[]> cells = new ArrayList<>();
    int max = 0;
    for (int actual = 0; actual < k; actual++) {
      for (int pred = 0; pred < k; pred++) {
        cells.add(new Number[] {pred, k - 1 - actual, confusion[actual][pred]});
        max = Math.max(max, confusion[actual][pred]);
      }
    }
    chart.getStyler().setMin(0);
    chart.getStyler().setMax(Math.max(1, max));
    chart.addSeries("count", x, y, cells);
    return chart;
  }

  /**
   * The reliability diagram: one bar per calibration bin, as wide as the bin and as high as the
   * accuracy of its samples, labelled with their number, beside the diagonal of perfect calibration.
   * Bars below the diagonal mean over-confidence; empty bins have no bar.
   */
  public static XYChart reliabilityDiagram(ClassificationReport report) {
    Objects.requireNonNull(report, "report");
    return reliabilityDiagram(report.calibration(), "Reliability diagram");
  }

  /**
   * The reliability diagram of {@code calibration}, titled {@code title} followed by the ECE (as
   * {@link #reliabilityDiagram(ClassificationReport)}).
   */
  public static XYChart reliabilityDiagram(Calibration calibration, String title) {
    Objects.requireNonNull(calibration, "calibration");
    int bins = calibration.bins().size();
    XYChart chart =
        new XYChartBuilder()
            .width(640)
            .height(600)
            .title(String.format("%s (ECE = %.4f)", title, calibration.expectedCalibrationError()))
            .xAxisTitle("confidence (probability of the predicted class)")
            .yAxisTitle("accuracy")
            .build();
    style(chart);
    unitSquare(chart);
    chart.getStyler().setYAxisMax(1.08); // room for the count labels above full bars
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    // The bars as one step outline, filled down to zero: (lower, acc) -> (upper, acc) per bin.
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    x.add(0.0);
    y.add(0.0);
    for (CalibrationBin b : calibration.bins()) {
      double height = b.isEmpty() ? 0 : b.accuracy();
      x.add(b.lower());
      y.add(height);
      x.add(b.upper());
      y.add(height);
      if (!b.isEmpty()) {
        AnnotationText label =
            new AnnotationText(Integer.toString(b.count()), (b.lower() + b.upper()) / 2, height + 0.03, false);
        chart.addAnnotation(label);
      }
    }
    x.add(1.0);
    y.add(0.0);
    XYSeries bars = chart.addSeries("accuracy per bin (" + bins + " bins, label = samples)", x, y);
    bars.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
    bars.setFillColor(new Color(31, 119, 180, 150));
    bars.setLineColor(TRAIN);
    bars.setMarker(SeriesMarkers.NONE);
    diagonal(chart, "perfect calibration");
    chart.getStyler().setAnnotationTextFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    return chart;
  }

  /**
   * The ROC curve of a binary classifier, with its AUC in the title.
   *
   * @throws IllegalStateException if the report is not binary or holds only one class
   */
  public static XYChart rocCurve(ClassificationReport report) {
    Objects.requireNonNull(report, "report");
    return rocCurve(report.roc(), "ROC curve", "false positive rate", "true positive rate");
  }

  /**
   * The curve {@code roc} with its AUC after {@code title}, and the axes' titles.
   *
   * @throws IllegalStateException if the curve has no points (one class missing)
   */
  public static XYChart rocCurve(RocCurve roc, String title, String xTitle, String yTitle) {
    Objects.requireNonNull(roc, "roc");
    if (roc.size() == 0) {
      throw new IllegalStateException("the ROC curve needs samples of both classes");
    }
    XYChart chart =
        new XYChartBuilder()
            .width(640)
            .height(600)
            .title(String.format("%s (AUC = %.4f)", title, roc.auc()))
            .xAxisTitle(xTitle)
            .yAxisTitle(yTitle)
            .build();
    style(chart);
    unitSquare(chart);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    diagonal(chart, "chance");
    XYSeries s = chart.addSeries("model", roc.falsePositiveRate(), roc.truePositiveRate());
    s.setLineColor(TRAIN);
    s.setMarker(SeriesMarkers.NONE);
    return chart;
  }

  /**
   * Histograms of several sets of values over common equal-width bins, each drawn as the outline of
   * its fraction of samples per bin (so sets of different sizes compare), with an optional vertical
   * line (e.g. a threshold).
   *
   * @param series name to values; every value finite, at least one value in all
   * @param bins number of bins, at least 1
   * @param marker x of the vertical line, or NaN for none
   * @param markerName the line's legend entry
   * @throws IllegalArgumentException if there are no values, one is not finite, or {@code bins < 1}
   */
  public static XYChart histogram(
      String title, String xTitle, Map<String, double[]> series, int bins, double marker, String markerName) {
    Objects.requireNonNull(series, "series");
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be at least 1, got " + bins);
    }
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      for (double v : e.getValue()) {
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("series '" + e.getKey() + "' holds " + v);
        }
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (min > max) {
      throw new IllegalArgumentException("no values to draw a histogram of");
    }
    if (Double.isFinite(marker)) {
      min = Math.min(min, marker);
      max = Math.max(max, marker);
    }
    double width = max > min ? (max - min) / bins : 1;
    XYChart chart =
        new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(xTitle).yAxisTitle("fraction of samples").build();
    style(chart);
    Color[] colours = {TRAIN, VALIDATION, new Color(0x2ca02c), new Color(0x9467bd)};
    int k = 0;
    double top = 0;
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      double[] v = e.getValue();
      if (v.length == 0) {
        continue;
      }
      int[] count = new int[bins];
      for (double x : v) {
        count[Math.min((int) ((x - min) / width), bins - 1)]++;
      }
      double[] xs = new double[2 * bins + 2];
      double[] ys = new double[2 * bins + 2];
      xs[0] = min;
      for (int b = 0; b < bins; b++) {
        double f = (double) count[b] / v.length;
        top = Math.max(top, f);
        xs[2 * b + 1] = min + b * width;
        ys[2 * b + 1] = f;
        xs[2 * b + 2] = min + (b + 1) * width;
        ys[2 * b + 2] = f;
      }
      xs[2 * bins + 1] = min + bins * width;
      XYSeries s = chart.addSeries(e.getKey() + " (" + v.length + ")", xs, ys);
      s.setLineColor(colours[k++ % colours.length]);
      s.setMarker(SeriesMarkers.NONE);
    }
    if (Double.isFinite(marker)) {
      XYSeries m = chart.addSeries(markerName, new double[] {marker, marker}, new double[] {0, top});
      m.setLineStyle(SeriesLines.DASH_DASH);
      m.setLineColor(REFERENCE);
      m.setMarker(SeriesMarkers.NONE);
    }
    return chart;
  }

  private static void style(Chart<?, ?> chart) {
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendBorderColor(Color.LIGHT_GRAY);
  }

  private static void unitSquare(XYChart chart) {
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setXAxisMax(1.0);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
  }

  private static void diagonal(XYChart chart, String name) {
    XYSeries d = chart.addSeries(name, new double[] {0, 1}, new double[] {0, 1});
    d.setLineStyle(SeriesLines.DASH_DASH);
    d.setLineColor(REFERENCE);
    d.setMarker(SeriesMarkers.NONE);
  }

  /**
   * Writes {@code chart} as {@code dir/baseName.png} and {@code dir/baseName.svg}, each atomically
   * (a temporary file in {@code dir} renamed over the target).
   *
   * @return the PNG and SVG paths, in that order
   * @throws IOException naming the file that could not be written
   */
  public static List<Path> write(Chart<?, ?> chart, Path dir, String baseName) throws IOException {
    Objects.requireNonNull(chart, "chart");
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(baseName, "baseName");
    if (baseName.isEmpty() || baseName.contains("/") || baseName.contains("\\")) {
      throw new IllegalArgumentException("baseName must be a plain file name, got '" + baseName + "'");
    }
    Files.createDirectories(dir);
    Path png = dir.resolve(baseName + ".png");
    Path svg = dir.resolve(baseName + ".svg");
    writeFile(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    ByteArrayOutputStream svgBytes = new ByteArrayOutputStream();
    VectorGraphicsEncoder.saveVectorGraphic(chart, svgBytes, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    writeFile(svg, svgBytes.toByteArray());
    return List.of(png, svg);
  }

  private static void writeFile(Path file, byte[] bytes) throws IOException {
    try {
      AtomicFiles.write(file, bytes);
    } catch (IOException e) {
      throw new IOException("cannot write " + file.toAbsolutePath() + ": " + e, e);
    }
  }
}
