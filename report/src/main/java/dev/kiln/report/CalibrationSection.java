package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.trust.CalibrationMetrics;
import dev.kiln.runtime.trust.Head;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A report section on temperature scaling: reliability diagrams of the network's own probabilities
 * (T = 1) and of the calibrated ones (the model's T) on a data set, and a table of ECE, NLL and
 * Brier score before and after (see {@link CalibrationMetrics}).
 *
 * <pre>{@code
 * model.calibrate(validation);
 * new TrainingReport(dir).section(CalibrationSection.of(model, test)).write(model, history, options, train, test);
 * }</pre>
 */
public final class CalibrationSection implements ReportSection {
  private final String dataName;
  private final CalibrationMetrics before;
  private final CalibrationMetrics after;

  private CalibrationSection(String dataName, CalibrationMetrics before, CalibrationMetrics after) {
    this.dataName = dataName;
    this.before = before;
    this.after = after;
  }

  /**
   * Measures {@code model} on {@code data} at T = 1 and at its {@link CompiledModel#temperature()},
   * with {@value ClassificationReport#DEFAULT_CALIBRATION_BINS} bins.
   *
   * @throws IllegalArgumentException if {@code data} is empty or does not fit the model
   * @throws UnsupportedOperationException for a regression network or one with a class per step
   */
  public static CalibrationSection of(CompiledModel model, Dataset data) {
    return of(model, data, ClassificationReport.DEFAULT_CALIBRATION_BINS);
  }

  /** As {@link #of(CompiledModel, Dataset)} with {@code bins} equal-width bins. */
  public static CalibrationSection of(CompiledModel model, Dataset data, int bins) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    LossKind loss = model.spec().loss();
    if (!loss.isClassification() || model.spec().labelsPerSample() != 1) {
      throw new UnsupportedOperationException(
          model.spec().network() + " is not a classifier of one class per sample; a calibration section needs one");
    }
    if (data.cols() != model.spec().inputs() || !data.isClassification() || data.rows() == 0) {
      throw new IllegalArgumentException(
          "data set '" + data.name() + "' must hold labelled rows of " + model.spec().inputs() + " features for "
              + model.spec().network() + "; it has " + data.rows() + " rows of " + data.cols());
    }
    int width = model.spec().outputs();
    float[] z = new float[Math.multiplyExact(data.rows(), width)];
    model.logits(data.features(), data.rows(), z);
    Head head = loss == LossKind.BINARY_CROSS_ENTROPY ? Head.SIGMOID : Head.SOFTMAX;
    return new CalibrationSection(
        data.name(),
        CalibrationMetrics.of(z, width, data.labels(), head, 1, bins),
        CalibrationMetrics.of(z, width, data.labels(), head, model.temperature(), bins));
  }

  /** The metrics at T = 1. */
  public CalibrationMetrics before() {
    return before;
  }

  /** The metrics at the model's temperature. */
  public CalibrationMetrics after() {
    return after;
  }

  @Override
  public String heading() {
    return "Calibration";
  }

  @Override
  public String write(Path dir) throws IOException {
    StringBuilder h = new StringBuilder();
    double t = after.temperature();
    h.append("<p>")
        .append(Html.escape(String.format(Locale.ROOT,
            "Temperature scaling divides the logits by T = %.4f (fitted on validation data) before the "
                + "softmax or sigmoid; predicted classes do not change. Measured on %s (%d samples).",
            t, dataName, after.samples())))
        .append("</p>\n");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"temperature", TrainingReport.f4(1), TrainingReport.f4(t)});
    rows.add(new String[] {
      "ECE (" + before.reliability().bins() + " bins)",
      TrainingReport.f4(before.expectedCalibrationError()), TrainingReport.f4(after.expectedCalibrationError())});
    rows.add(new String[] {
      "negative log-likelihood", TrainingReport.f4(before.negativeLogLikelihood()),
      TrainingReport.f4(after.negativeLogLikelihood())});
    rows.add(new String[] {"Brier score", TrainingReport.f4(before.brier()), TrainingReport.f4(after.brier())});
    TrainingReport.table(h, "calibration", new String[] {"", "before", "after"}, rows);
    TrainingReport.chartFigure(h, dir, "reliability-before",
        Charts.reliabilityDiagram(Calibration.of(before.reliability()), "Before temperature scaling"),
        "Reliability diagram of the network's own probabilities on " + dataName + ".");
    TrainingReport.chartFigure(h, dir, "reliability-after",
        Charts.reliabilityDiagram(
            Calibration.of(after.reliability()), String.format(Locale.ROOT, "After temperature scaling, T = %.3f", t)),
        "Reliability diagram of the calibrated probabilities on " + dataName + ".");
    return h.toString();
  }
}
