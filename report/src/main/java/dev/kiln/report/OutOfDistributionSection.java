package dev.kiln.report;

import dev.kiln.runtime.trust.OodDetector;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A report section on out-of-distribution warnings: for each evaluated score, histograms of its
 * values on the in-distribution and the out-of-distribution set (with the model's threshold when it
 * uses that score) and the ROC curve of flagging the out-of-distribution samples, and a table of
 * AUROC and flagged fractions.
 *
 * <pre>{@code
 * model.fitOutOfDistribution(validation);
 * report.section(OutOfDistributionSection.of(
 *     model.evaluateOutOfDistribution(test, digits, OodScore.MAX_SOFTMAX_PROBABILITY),
 *     model.evaluateOutOfDistribution(test, digits, OodScore.ENERGY)));
 * }</pre>
 */
public final class OutOfDistributionSection implements ReportSection {
  private static final int HISTOGRAM_BINS = 40;

  private final List<OodEvaluation> evaluations;

  private OutOfDistributionSection(List<OodEvaluation> evaluations) {
    this.evaluations = evaluations;
  }

  /**
   * A section of one or more evaluations.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static OutOfDistributionSection of(OodEvaluation... evaluations) {
    Objects.requireNonNull(evaluations, "evaluations");
    if (evaluations.length == 0) {
      throw new IllegalArgumentException("an out-of-distribution section needs at least one evaluation");
    }
    return new OutOfDistributionSection(List.of(evaluations));
  }

  @Override
  public String heading() {
    return "Out-of-distribution warnings";
  }

  private static String name(OodScore s) {
    return s == OodScore.ENERGY ? "energy" : "maximum softmax probability";
  }

  @Override
  public String write(Path dir) throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<p>")
        .append(Html.escape(
            "Each score ranks inputs by how much they look like the training data: the maximum softmax "
                + "probability (higher: more in distribution) and the energy −T·logsumexp(z/T) "
                + "(lower: more in distribution). AUROC is the probability that an out-of-distribution "
                + "input looks less in-distribution than an in-distribution one (0.5 is chance). The "
                + "threshold was chosen on in-distribution validation data."))
        .append("</p>\n");
    List<String[]> rows = new ArrayList<>();
    for (OodEvaluation e : evaluations) {
      OodDetector d = e.detector();
      rows.add(new String[] {
        name(e.score()), String.format(Locale.ROOT, "%.4g", e.temperature()),
        e.inDistribution(), e.outOfDistribution(), TrainingReport.f4(e.auroc()),
        d == null ? "–" : String.format(Locale.ROOT, "%.4g", d.threshold()),
        TrainingReport.f4(e.inFlaggedFraction()), TrainingReport.f4(e.outFlaggedFraction())});
    }
    TrainingReport.table(h, "ood",
        new String[] {"score", "T", "in distribution", "out of distribution", "AUROC", "threshold",
          "in flagged", "out flagged"}, rows);
    for (OodEvaluation e : evaluations) {
      String key = e.score().key();
      Map<String, double[]> series = new LinkedHashMap<>();
      series.put(e.inDistribution() + " (in distribution)", e.inScores());
      series.put(e.outOfDistribution() + " (out of distribution)", e.outScores());
      OodDetector d = e.detector();
      TrainingReport.chartFigure(h, dir, "ood-" + key + "-histogram",
          Charts.histogram("Scores: " + name(e.score()), name(e.score()), series, HISTOGRAM_BINS,
              d == null ? Double.NaN : d.threshold(), "threshold"),
          "Histograms of the " + name(e.score()) + " on " + e.inDistribution() + " and "
              + e.outOfDistribution() + (d == null ? "." : ", with the threshold (dashed)."));
      // Outlier scores (higher: more out of distribution), out-of-distribution samples positive.
      double[] scores = new double[e.inScores().length + e.outScores().length];
      int[] labels = new int[scores.length];
      for (int i = 0; i < e.inScores().length; i++) {
        scores[i] = e.score().outlierScore(e.inScores()[i]);
      }
      for (int i = 0; i < e.outScores().length; i++) {
        scores[e.inScores().length + i] = e.score().outlierScore(e.outScores()[i]);
        labels[e.inScores().length + i] = 1;
      }
      TrainingReport.chartFigure(h, dir, "ood-" + key + "-roc",
          Charts.rocCurve(RocCurve.of(scores, labels), "Flagging " + e.outOfDistribution() + " by " + name(e.score()),
              "in-distribution inputs flagged", "out-of-distribution inputs flagged"),
          "ROC curve of flagging " + e.outOfDistribution() + " against " + e.inDistribution() + " by the "
              + name(e.score()) + ".");
    }
    return h.toString();
  }
}
