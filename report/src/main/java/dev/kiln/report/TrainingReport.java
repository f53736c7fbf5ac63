package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.GradientHealth;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * One self-contained HTML report per training run, with its pictures beside it as PNG and SVG.
 *
 * <p>Create it <em>before</em> training, so an unusable output directory is reported before any time
 * is spent; write it after:
 *
 * <pre>{@code
 * TrainingReport report = TrainingReport.to(Path.of("target", "reports", "Digits")).title("Digits MLP");
 * TrainOptions options = TrainOptions.epochs(30).withValidation(validation);
 * History history = model.train(train, options);
 * Path html = report.write(model, history, options, train, test);
 * }</pre>
 *
 * <p>{@code report.html} holds the title, the data sets' names and sizes, the hyperparameters, the
 * test metrics (a {@link ClassificationReport} or {@link RegressionReport}), the per-epoch history,
 * the model summary and every picture embedded as base64 PNG, so the single file can be mailed or
 * archived. The pictures are also written as {@code <name>.png} and {@code <name>.svg}: {@code loss},
 * {@code accuracy} (classification), {@code confusion} and {@code reliability} (classification),
 * {@code roc} (two classes). Sections added with {@link #section} (such as a CNN's
 * {@link ConvolutionPictures}) follow the pictures. Every file is written atomically. All text is
 * HTML-escaped.
 */
public final class TrainingReport {
  /** File name of the HTML report inside the directory. */
  public static final String HTML_FILE = "report.html";

  private final Path dir;
  private String title;
  private List<String> classNames;
  private int calibrationBins = ClassificationReport.DEFAULT_CALIBRATION_BINS;
  private final List<ReportSection> sections = new ArrayList<>();

  private TrainingReport(Path dir) {
    this.dir = dir;
  }

  /**
   * A report writer for {@code dir}: creates the directory if needed and proves it writable by
   * creating and deleting a probe file, now rather than after training.
   *
   * @throws IOException naming the directory if it cannot be created or written
   */
  public static TrainingReport to(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new IOException("report directory " + abs + " exists but is not a directory");
    }
    try {
      Files.createDirectories(abs);
    } catch (IOException e) {
      throw new IOException("cannot create report directory " + abs + ": " + e, e);
    }
    Path probe = null;
    try {
      probe = Files.createTempFile(abs, ".kiln-report-probe-", ".tmp");
      Files.write(probe, new byte[] {1});
    } catch (IOException e) {
      throw new IOException("report directory " + abs + " is not writable: " + e, e);
    } finally {
      if (probe != null) {
        Files.deleteIfExists(probe);
      }
    }
    return new TrainingReport(abs);
  }

  /** The output directory (absolute). */
  public Path directory() {
    return dir;
  }

  /** Sets the report's heading; by default the network's name. Returns this. */
  public TrainingReport title(String title) {
    this.title = Objects.requireNonNull(title, "title");
    return this;
  }

  /** Sets readable class names for the tables and pictures (one per class). Returns this. */
  public TrainingReport classNames(List<String> names) {
    this.classNames = List.copyOf(names);
    return this;
  }

  /** Sets the number of calibration bins (default {@value ClassificationReport#DEFAULT_CALIBRATION_BINS}). Returns this. */
  public TrainingReport calibrationBins(int bins) {
    if (bins < 1) {
      throw new IllegalArgumentException("calibrationBins must be at least 1, got " + bins);
    }
    this.calibrationBins = bins;
    return this;
  }

  /**
   * Adds a section (e.g. {@link ConvolutionPictures}) after the pictures; sections appear in the
   * order they were added. Returns this.
   */
  public TrainingReport section(ReportSection section) {
    sections.add(Objects.requireNonNull(section, "section"));
    return this;
  }

  /**
   * Evaluates {@code model} on {@code test} and writes the pictures and {@code report.html}.
   *
   * @param model the trained model
   * @param history what {@code train} returned
   * @param options the options training ran with, or null if unknown (the hyperparameters table then
   *     shows only what the model declares)
   * @param train the training data (its name and size are shown)
   * @param test the data the metrics are computed on
   * @return the HTML file
   * @throws IOException naming the file that could not be written
   * @throws IllegalArgumentException if the class names do not match the model's classes
   */
  public Path write(Model model, History history, TrainOptions options, Dataset train, Dataset test)
      throws IOException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(history, "history");
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    ModelSpec spec = model.spec();
    boolean classification = spec.loss().isClassification();
    ClassificationReport cls = null;
    RegressionReport reg = null;
    if (classification) {
      cls = ClassificationReport.of(model, test, calibrationBins);
      if (classNames != null) {
        cls = cls.withClassNames(classNames);
      }
    } else {
      reg = RegressionReport.of(model, test);
    }

    Map<String, Picture> pictures = new LinkedHashMap<>();
    if (history.size() > 0) {
      pictures.put("loss", new Picture("Training and validation loss per epoch.", Charts.lossCurve(history)));
      if (classification) {
        pictures.put("accuracy", new Picture("Training and validation accuracy per epoch.", Charts.accuracyCurve(history)));
      }
    }
    boolean norms = history.epochs().stream().anyMatch(x -> x.gradientNorms() != null);
    if (norms) {
      pictures.put("gradient-norms", new Picture(
          "Mean gradient norm of each layer per epoch (log scale); a layer far below the others has a vanishing gradient.",
          Charts.gradientNorms(history)));
      pictures.put("update-ratios", new Picture(
          "Mean update-to-weight ratio ‖Δw‖/‖w‖ of each layer per epoch (log scale); about 1e-3 is usual.",
          Charts.updateRatios(history)));
    }
    if (cls != null) {
      pictures.put("confusion", new Picture("Confusion matrix on " + test.name() + ".", Charts.confusionMatrix(cls)));
      pictures.put(
          "reliability",
          new Picture(
              "Reliability diagram on " + test.name()
                  + ": accuracy against confidence per bin; below the diagonal the model is over-confident.",
              Charts.reliabilityDiagram(cls)));
      if (cls.isBinary() && cls.roc().size() > 0) {
        pictures.put("roc", new Picture("ROC curve of the probability of class " + cls.classNames().get(1) + ".", Charts.rocCurve(cls)));
      }
    }
    Map<String, byte[]> png = new LinkedHashMap<>();
    for (Map.Entry<String, Picture> p : pictures.entrySet()) {
      List<Path> files = Charts.write(p.getValue().chart(), dir, p.getKey());
      png.put(p.getKey(), Files.readAllBytes(files.get(0)));
    }

    String heading = title != null ? title : spec.network();
    StringBuilder h = new StringBuilder(1 << 16);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.append("<title>").append(e(heading)).append(" — Kiln training report</title>\n");
    h.append(STYLE);
    h.append("</head>\n<body>\n");
    h.append("<h1>").append(e(heading)).append("</h1>\n");
    h.append("<p class=\"sub\">Network <code>").append(e(spec.network())).append("</code>, ")
        .append(e(spec.loss().toString())).append(", generated ")
        .append(e(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString())).append(" by Kiln.</p>\n");

    section(h, "Data");
    List<String[]> data = new ArrayList<>();
    data.add(dataRow("training", train));
    if (options != null && options.validation() != null) {
      data.add(dataRow("validation", options.validation()));
    }
    data.add(dataRow("test (metrics below)", test));
    table(h, "data", new String[] {"role", "name", "rows", "features", classification ? "classes" : "targets"}, data);

    section(h, "Hyperparameters");
    table(h, "hyperparameters", new String[] {"setting", "value"}, hyperparameters(model, history, options));

    section(h, "Test metrics");
    if (cls != null) {
      classificationTables(h, cls);
    } else {
      regressionTable(h, reg);
    }

    section(h, "Pictures");
    for (Map.Entry<String, Picture> p : pictures.entrySet()) {
      figure(h, p.getKey(), png.get(p.getKey()), p.getValue().caption());
    }

    if (norms) {
      GradientHealth health = options == null ? null
          : options.callbacks().stream().filter(c -> c instanceof GradientHealth).map(c -> (GradientHealth) c)
              .findFirst().orElse(null);
      gradientHealth(h, history, health != null ? health : new GradientHealth(null));
    }

    for (ReportSection extra : sections) {
      section(h, extra.heading());
      h.append(extra.write(dir));
    }

    section(h, "Training history");
    historyTable(h, history);

    section(h, "Model summary");
    h.append("<pre class=\"summary\">").append(e(model.summary())).append("</pre>\n");
    if (cls != null) {
      h.append("<h3>Classification report (text)</h3>\n<pre>").append(e(cls.toString())).append("</pre>\n");
    }
    h.append("</body>\n</html>\n");

    Path html = dir.resolve(HTML_FILE);
    try {
      AtomicFiles.write(html, h.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException ex) {
      throw new IOException("cannot write " + html + ": " + ex, ex);
    }
    return html;
  }

  private record Picture(String caption, Chart<?, ?> chart) {}

  private static String[] dataRow(String role, Dataset d) {
    return new String[] {
      role,
      d.name(),
      Integer.toString(d.rows()),
      Integer.toString(d.cols()),
      Integer.toString(d.isClassification() ? d.classes() : d.targetCols())
    };
  }

  private static List<String[]> hyperparameters(Model model, History history, TrainOptions options) {
    ModelSpec spec = model.spec();
    OptimizerSpec opt = spec.optimizer();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"loss", spec.loss().toString()});
    rows.add(new String[] {"optimizer", opt.kind()});
    rows.add(new String[] {"learning rate", decimal(opt.learningRate())});
    if (opt.kind().equals("SGD")) {
      rows.add(new String[] {"momentum", decimal(opt.momentum())});
      rows.add(new String[] {"Nesterov", Boolean.toString(opt.nesterov())});
    } else {
      rows.add(new String[] {"beta1, beta2", decimal(opt.beta1()) + ", " + decimal(opt.beta2())});
      rows.add(new String[] {"epsilon", decimal(opt.epsilon())});
    }
    rows.add(new String[] {"weight decay", decimal(opt.weightDecay())});
    String batch = options != null && options.batchSize() > 0
        ? Integer.toString(options.batchSize())
        : spec.batchSize() + " (declared)";
    rows.add(new String[] {"batch size", batch});
    if (options != null) {
      rows.add(new String[] {"epochs requested", Integer.toString(options.epochs())});
    }
    rows.add(new String[] {"epochs run", Integer.toString(history.size())});
    long seed = model instanceof CompiledModel c ? c.seed() : spec.seed();
    rows.add(new String[] {"model seed", Long.toString(seed)});
    if (options != null) {
      rows.add(new String[] {"shuffle seed", options.shuffleSeed() != null ? options.shuffleSeed().toString() : "model seed"});
    }
    rows.add(new String[] {"parameters", String.format(Locale.ROOT, "%,d", spec.parameterCount())});
    double seconds = history.epochs().stream().mapToDouble(EpochStats::seconds).sum();
    rows.add(new String[] {"training time", String.format(Locale.ROOT, "%.2f s", seconds)});
    rows.add(new String[] {"architecture", spec.architecture()});
    return rows;
  }

  private static void classificationTables(StringBuilder h, ClassificationReport r) {
    List<String[]> summary = new ArrayList<>();
    summary.add(new String[] {"samples", Integer.toString(r.samples())});
    summary.add(new String[] {"accuracy", f4(r.accuracy())});
    summary.add(new String[] {"macro F1", f4(r.macroAverage().f1())});
    summary.add(new String[] {"weighted F1", f4(r.weightedAverage().f1())});
    summary.add(new String[] {
      "expected calibration error (" + r.calibrationBins() + " bins)",
      f4(r.calibration().expectedCalibrationError())
    });
    if (r.isBinary()) {
      summary.add(new String[] {"ROC AUC", f4(r.roc().auc())});
    }
    table(h, "summary", new String[] {"metric", "value"}, summary);

    h.append("<h3>Per class</h3>\n");
    List<String[]> rows = new ArrayList<>();
    for (ClassMetrics m : r.perClass()) {
      rows.add(metricsRow(m));
    }
    rows.add(metricsRow(r.macroAverage()));
    rows.add(metricsRow(r.weightedAverage()));
    table(h, "per-class", new String[] {"class", "precision", "recall", "F1", "support"}, rows);

    h.append("<h3>Confusion matrix</h3>\n<p>Rows: true class; columns: predicted class.</p>\n");
    int[][] c = r.confusion();
    String[] head = new String[r.classes() + 1];
    head[0] = "true \\ predicted";
    for (int k = 0; k < r.classes(); k++) {
      head[k + 1] = r.classNames().get(k);
    }
    List<String[]> cm = new ArrayList<>();
    for (int i = 0; i < r.classes(); i++) {
      String[] row = new String[r.classes() + 1];
      row[0] = r.classNames().get(i);
      for (int k = 0; k < r.classes(); k++) {
        row[k + 1] = Integer.toString(c[i][k]);
      }
      cm.add(row);
    }
    table(h, "confusion", head, cm);
  }

  private static String[] metricsRow(ClassMetrics m) {
    return new String[] {m.name(), f4(m.precision()), f4(m.recall()), f4(m.f1()), Integer.toString(m.support())};
  }

  private static void regressionTable(StringBuilder h, RegressionReport r) {
    List<String[]> rows = new ArrayList<>();
    for (int j = 0; j < r.outputs(); j++) {
      rows.add(new String[] {Integer.toString(j), num(r.mse(j)), num(r.mae(j)), f4(r.r2(j))});
    }
    rows.add(new String[] {"average", num(r.mse()), num(r.mae()), f4(r.r2())});
    table(h, "regression", new String[] {"output", "MSE", "MAE", "R²"}, rows);
    h.append("<p>").append(r.samples()).append(" samples.</p>\n");
  }

  private static void historyTable(StringBuilder h, History history) {
    List<String[]> rows = new ArrayList<>();
    for (EpochStats s : history.epochs()) {
      rows.add(new String[] {
        Integer.toString(s.epoch()), f4(s.loss()), f4(s.accuracy()), f4(s.validationLoss()),
        f4(s.validationAccuracy()), String.format(Locale.ROOT, "%.2f", s.seconds()),
        String.format(Locale.ROOT, "%.0f", s.samplesPerSecond())
      });
    }
    table(h, "history", new String[] {"epoch", "loss", "accuracy", "val. loss", "val. accuracy", "seconds", "samples/s"}, rows);
  }

  /** The warnings of {@code health} on the history, or a line saying there were none. */
  private static void gradientHealth(StringBuilder h, History history, GradientHealth health) {
    section(h, "Gradient health");
    List<GradientHealth.Warning> warnings = health.check(history);
    h.append("<p>Checked with ").append(e(health.toString())).append(" (see the pictures above).</p>\n");
    if (warnings.isEmpty()) {
      h.append("<p id=\"gradient-health\">No warning: no gradient vanished or exploded, and no layer's updates stalled "
          + "or were too large.</p>\n");
      return;
    }
    List<String[]> rows = new ArrayList<>();
    for (GradientHealth.Warning w : warnings) {
      rows.add(new String[] {Integer.toString(w.epoch()), w.layer() == null ? "(all)" : w.layer(),
          w.kind().toString().toLowerCase(Locale.ROOT).replace('_', ' '), num(w.value()), num(w.bound()), w.message()});
    }
    table(h, "gradient-health", new String[] {"epoch", "layer", "warning", "value", "bound", "message"}, rows);
  }

  /** A figure of the chart written as {@code name.png} and {@code name.svg}, the PNG inline. */
  static void figure(StringBuilder h, String name, byte[] png, String caption) {
    h.append("<figure id=\"fig-").append(e(name)).append("\">\n<img alt=\"").append(e(name))
        .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
        .append("\">\n<figcaption>").append(e(caption))
        .append(" Files: <a href=\"").append(e(name)).append(".png\">").append(e(name)).append(".png</a>, <a href=\"")
        .append(e(name)).append(".svg\">").append(e(name)).append(".svg</a>.</figcaption>\n</figure>\n");
  }

  /** Writes {@code chart} into {@code dir} as {@code name.png} and {@code .svg} and appends its figure. */
  static void chartFigure(StringBuilder h, Path dir, String name, Chart<?, ?> chart, String caption) throws IOException {
    List<Path> files = Charts.write(chart, dir, name);
    figure(h, name, Files.readAllBytes(files.get(0)), caption);
  }

  private static void section(StringBuilder h, String name) {
    h.append("<h2>").append(e(name)).append("</h2>\n");
  }

  /** A table with an id, header cells and rows; number cells are right-aligned. */
  static void table(StringBuilder h, String id, String[] head, List<String[]> rows) {
    h.append("<table id=\"").append(e(id)).append("\">\n<thead><tr>");
    for (String c : head) {
      h.append("<th>").append(e(c)).append("</th>");
    }
    h.append("</tr></thead>\n<tbody>\n");
    for (String[] row : rows) {
      h.append("<tr>");
      for (String c : row) {
        h.append(NUMBER.matcher(c).matches() ? "<td class=\"num\">" : "<td>").append(e(c)).append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</tbody>\n</table>\n");
  }

  static String f4(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.4f", v);
  }

  /** A float hyperparameter as written in the annotation: 0.001, not 0.00100000. */
  private static String decimal(float v) {
    if (v != 0 && Math.abs(v) < 1e-4) {
      return Float.toString(v);
    }
    return new BigDecimal(Float.toString(v)).stripTrailingZeros().toPlainString();
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.6g", v);
  }

  private static String e(String text) {
    return Html.escape(text);
  }

  /** Cells right-aligned as numbers: digits, signs, separators, exponents, the NaN dash, a unit. */
  private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9][0-9.,]*(e[-+]?[0-9]+|E-?[0-9]+)?( s)?|–");

  private static final String STYLE =
      """
      <style>
      body { font-family: system-ui, -apple-system, "DejaVu Sans", sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
      h1 { margin-bottom: 0.2em; }
      h2 { border-bottom: 2px solid #1f77b4; padding-bottom: 0.2em; margin-top: 1.6em; }
      .sub { color: #555; margin-top: 0; }
      table { border-collapse: collapse; margin: 0.6em 0 1em; }
      th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      th { background: #e8f0f8; }
      tbody tr:nth-child(even) { background: #f6f8fa; }
      figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
      figure img { max-width: 100%; border: 1px solid #ddd; }
      figure img.pixels { image-rendering: pixelated; }
      figcaption { max-width: 640px; color: #444; font-size: 0.9em; }
      pre { background: #f6f8fa; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; }
      </style>
      """;
}
