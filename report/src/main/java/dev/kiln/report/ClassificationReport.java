package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.trust.ReliabilityBins;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Evaluation of a classifier from its predicted probabilities: accuracy, per-class precision /
 * recall / F1 with support, macro and weighted averages, the confusion matrix, calibration (ECE and
 * reliability bins) and, for two classes, the ROC curve and its AUC.
 *
 * <p>The predicted class is the most probable one (the first on ties); for a binary-cross-entropy
 * model, which outputs one probability p of class 1, it is 1 iff p ≥ 0.5 and the confidence is
 * max(p, 1 − p), exactly as the runtime's {@code evaluate} and {@code predictClass} decide.
 *
 * <pre>{@code
 * ClassificationReport report = ClassificationReport.of(model, test);
 * System.out.print(report);            // a table like scikit-learn's classification_report
 * double ece = report.calibration().expectedCalibrationError();
 * }</pre>
 *
 * <p>Instances are immutable.
 */
public final class ClassificationReport {
  /** Calibration bins used unless another count is given. */
  public static final int DEFAULT_CALIBRATION_BINS = 15;

  private static final float PROBABILITY_SLACK = 1e-5f;

  private final int classes;
  private final int[] labels;
  private final int[] predicted;
  private final double[] confidence;
  private final double[] positiveScore; // probability of class 1; null unless there are two classes
  private final int calibrationBins;
  private final List<String> classNames;
  private final int[][] confusion;

  private ClassificationReport(
      int classes,
      int[] labels,
      int[] predicted,
      double[] confidence,
      double[] positiveScore,
      int calibrationBins,
      List<String> classNames) {
    this.classes = classes;
    this.labels = labels;
    this.predicted = predicted;
    this.confidence = confidence;
    this.positiveScore = positiveScore;
    this.calibrationBins = calibrationBins;
    this.classNames = List.copyOf(classNames);
    this.confusion = new int[classes][classes];
    for (int i = 0; i < labels.length; i++) {
      confusion[labels[i]][predicted[i]]++;
    }
  }

  /** Evaluates {@code model} on {@code data} with {@value #DEFAULT_CALIBRATION_BINS} calibration bins. */
  public static ClassificationReport of(Model model, Dataset data) {
    return of(model, data, DEFAULT_CALIBRATION_BINS);
  }

  /**
   * Evaluates {@code model} on every row of {@code data}.
   *
   * @throws IllegalArgumentException if the model is a regression model, or {@code data} is not a
   *     classification data set the model accepts (the message names both)
   */
  public static ClassificationReport of(Model model, Dataset data, int calibrationBins) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    LossKind loss = model.spec().loss();
    if (!loss.isClassification()) {
      throw new IllegalArgumentException(
          model.spec().network() + " is a regression model (" + loss + "); use RegressionReport");
    }
    if (!data.isClassification()) {
      throw new IllegalArgumentException(
          "data set '" + data.name() + "' holds regression targets, but " + model.spec().network()
              + " is a classifier");
    }
    // A sequence output (a language model) has a label per step: each labelled step is a sample here.
    int steps = model.spec().labelsPerSample();
    int width = model.spec().outputs() / steps;
    int classes = loss == LossKind.BINARY_CROSS_ENTROPY ? 2 : width;
    if (data.classes() > classes) {
      throw new IllegalArgumentException(
          "data set '" + data.name() + "' has " + data.classes() + " classes, but "
              + model.spec().network() + " predicts " + classes);
    }
    float[] probabilities = Predictions.of(model, data);
    if (steps == 1) {
      return fromProbabilities(probabilities, width, data.labels(), calibrationBins);
    }
    int[] all = data.labels();
    int labelled = 0;
    for (int label : all) {
      labelled += label == Dataset.IGNORED_LABEL ? 0 : 1;
    }
    float[] stepProbabilities = new float[Math.multiplyExact(labelled, width)];
    int[] stepLabels = new int[labelled];
    int k = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] != Dataset.IGNORED_LABEL) {
        System.arraycopy(probabilities, i * width, stepProbabilities, k * width, width);
        stepLabels[k++] = all[i];
      }
    }
    return fromProbabilities(stepProbabilities, width, stepLabels, calibrationBins);
  }

  /**
   * A report from probabilities computed elsewhere.
   *
   * @param probabilities row-major {@code [labels.length, outputs]}: with {@code outputs == 1} the
   *     probability of class 1 of a binary classifier, otherwise a distribution over {@code outputs}
   *     classes
   * @param outputs probabilities per sample (1 for binary cross-entropy)
   * @param labels the true class of each sample
   * @param calibrationBins number of equal-width confidence bins, at least 1
   * @throws IllegalArgumentException naming the sample and value if a probability is outside [0, 1]
   *     or not finite, or a label is outside the classes
   */
  public static ClassificationReport fromProbabilities(
      float[] probabilities, int outputs, int[] labels, int calibrationBins) {
    Objects.requireNonNull(probabilities, "probabilities");
    Objects.requireNonNull(labels, "labels");
    if (outputs < 1) {
      throw new IllegalArgumentException("outputs must be at least 1, got " + outputs);
    }
    if (calibrationBins < 1) {
      throw new IllegalArgumentException("calibrationBins must be at least 1, got " + calibrationBins);
    }
    int n = labels.length;
    if (probabilities.length != (long) n * outputs) {
      throw new IllegalArgumentException(
          "probabilities hold " + probabilities.length + " values, expected " + n + " samples x "
              + outputs + " outputs = " + (long) n * outputs);
    }
    int classes = outputs == 1 ? 2 : outputs;
    int[] predicted = new int[n];
    double[] confidence = new double[n];
    double[] positive = classes == 2 ? new double[n] : null;
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            "label of sample " + i + " is " + labels[i] + ", outside [0, " + classes + ")");
      }
      for (int j = 0; j < outputs; j++) {
        float p = probabilities[i * outputs + j];
        // A little slack for float rounding in the model's softmax / sigmoid.
        if (!(p >= -PROBABILITY_SLACK && p <= 1 + PROBABILITY_SLACK)) {
          throw new IllegalArgumentException(
              "probability " + j + " of sample " + i + " is " + p + ", outside [0, 1]");
        }
      }
      if (outputs == 1) {
        double p = Math.clamp(probabilities[i], 0.0, 1.0);
        predicted[i] = p >= 0.5 ? 1 : 0;
        confidence[i] = Math.max(p, 1 - p);
        positive[i] = p;
      } else {
        int best = 0;
        for (int j = 1; j < outputs; j++) {
          if (probabilities[i * outputs + j] > probabilities[i * outputs + best]) {
            best = j;
          }
        }
        predicted[i] = best;
        confidence[i] = Math.clamp(probabilities[i * outputs + best], 0.0, 1.0);
        if (positive != null) {
          positive[i] = Math.clamp(probabilities[i * outputs + 1], 0.0, 1.0);
        }
      }
    }
    List<String> names = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      names.add(Integer.toString(c));
    }
    return new ClassificationReport(
        classes, labels.clone(), predicted, confidence, positive, calibrationBins, names);
  }

  /**
   * The same report with readable class names, used by {@link #toString()} and the charts.
   *
   * @throws IllegalArgumentException if the number of names is not {@link #classes()}
   */
  public ClassificationReport withClassNames(List<String> names) {
    Objects.requireNonNull(names, "names");
    if (names.size() != classes) {
      throw new IllegalArgumentException(
          "expected " + classes + " class names, got " + names.size() + ": " + names);
    }
    return new ClassificationReport(
        classes, labels, predicted, confidence, positiveScore, calibrationBins, names);
  }

  /** Number of samples evaluated. */
  public int samples() {
    return labels.length;
  }

  /** Number of classes (2 for a binary-cross-entropy model). */
  public int classes() {
    return classes;
  }

  /** Class names, by default "0", "1", .... */
  public List<String> classNames() {
    return classNames;
  }

  /** Whether there are exactly two classes, so {@link #roc()} is defined. */
  public boolean isBinary() {
    return classes == 2;
  }

  /** Fraction of samples whose predicted class is the true one; NaN for no samples. */
  public double accuracy() {
    if (labels.length == 0) {
      return Double.NaN;
    }
    int correct = 0;
    for (int c = 0; c < classes; c++) {
      correct += confusion[c][c];
    }
    return (double) correct / labels.length;
  }

  /** A copy of the confusion matrix, {@code [actual][predicted]} counts. */
  public int[][] confusion() {
    int[][] copy = new int[classes][];
    for (int c = 0; c < classes; c++) {
      copy[c] = confusion[c].clone();
    }
    return copy;
  }

  /** Precision, recall, F1 and support of class {@code c}. */
  public ClassMetrics perClass(int c) {
    Objects.checkIndex(c, classes);
    int tp = confusion[c][c];
    int actual = 0;
    int predictedAs = 0;
    for (int k = 0; k < classes; k++) {
      actual += confusion[c][k];
      predictedAs += confusion[k][c];
    }
    double precision = ratio(tp, predictedAs);
    double recall = ratio(tp, actual);
    double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    return new ClassMetrics(classNames.get(c), precision, recall, f1, actual);
  }

  /** {@link #perClass(int)} for every class, in order. */
  public List<ClassMetrics> perClass() {
    List<ClassMetrics> all = new ArrayList<>(classes);
    for (int c = 0; c < classes; c++) {
      all.add(perClass(c));
    }
    return all;
  }

  /**
   * Unweighted mean of the per-class metrics over the classes that occur as a true or a predicted
   * label (scikit-learn's default label set), so an unused output does not count as a failed class.
   */
  public ClassMetrics macroAverage() {
    double p = 0;
    double r = 0;
    double f = 0;
    int used = 0;
    for (int c = 0; c < classes; c++) {
      if (!occurs(c)) {
        continue;
      }
      ClassMetrics m = perClass(c);
      p += m.precision();
      r += m.recall();
      f += m.f1();
      used++;
    }
    return used == 0
        ? new ClassMetrics("macro avg", Double.NaN, Double.NaN, Double.NaN, 0)
        : new ClassMetrics("macro avg", p / used, r / used, f / used, labels.length);
  }

  /** Mean of the per-class metrics weighted by support. */
  public ClassMetrics weightedAverage() {
    if (labels.length == 0) {
      return new ClassMetrics("weighted avg", Double.NaN, Double.NaN, Double.NaN, 0);
    }
    double p = 0;
    double r = 0;
    double f = 0;
    for (int c = 0; c < classes; c++) {
      ClassMetrics m = perClass(c);
      p += m.precision() * m.support();
      r += m.recall() * m.support();
      f += m.f1() * m.support();
    }
    int n = labels.length;
    return new ClassMetrics("weighted avg", p / n, r / n, f / n, n);
  }

  private boolean occurs(int c) {
    for (int k = 0; k < classes; k++) {
      if (confusion[c][k] > 0 || confusion[k][c] > 0) {
        return true;
      }
    }
    return false;
  }

  private static double ratio(int num, int den) {
    return den == 0 ? 0 : (double) num / den;
  }

  /**
   * The ROC curve of the probability of class 1.
   *
   * @throws IllegalStateException if there are more than two classes
   */
  public RocCurve roc() {
    if (positiveScore == null) {
      throw new IllegalStateException(
          "the ROC curve needs a binary classifier; this report has " + classes + " classes");
    }
    return RocCurve.of(positiveScore, labels);
  }

  /** Calibration over the configured number of equal-width bins of confidence. */
  public Calibration calibration() {
    boolean[] correct = new boolean[labels.length];
    for (int i = 0; i < labels.length; i++) {
      correct[i] = predicted[i] == labels[i];
    }
    return Calibration.of(ReliabilityBins.of(confidence, correct, calibrationBins));
  }

  /**
   * A plain-text table in the layout of scikit-learn's {@code classification_report}, followed by the
   * expected calibration error and, for two classes, the ROC AUC.
   */
  @Override
  public String toString() {
    int width = "weighted avg".length();
    for (String name : classNames) {
      width = Math.max(width, name.length());
    }
    String head = "%" + width + "s %10s %10s %10s %10s%n";
    String row = "%" + width + "s %10.2f %10.2f %10.2f %10d%n";
    StringBuilder s = new StringBuilder();
    s.append(String.format(head, "", "precision", "recall", "f1-score", "support")).append('\n');
    for (ClassMetrics m : perClass()) {
      s.append(String.format(row, m.name(), m.precision(), m.recall(), m.f1(), m.support()));
    }
    s.append('\n');
    s.append(
        String.format("%" + width + "s %10s %10s %10.2f %10d%n", "accuracy", "", "", accuracy(), samples()));
    for (ClassMetrics m : List.of(macroAverage(), weightedAverage())) {
      s.append(String.format(row, m.name(), m.precision(), m.recall(), m.f1(), m.support()));
    }
    s.append('\n');
    s.append(
        String.format(
            "expected calibration error: %.4f (%d bins)%n",
            calibration().expectedCalibrationError(), calibrationBins));
    if (isBinary()) {
      s.append(String.format("ROC AUC: %.4f%n", roc().auc()));
    }
    return s.toString();
  }

  /** The configured number of calibration bins. */
  public int calibrationBins() {
    return calibrationBins;
  }
}
