package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.CalibrationSection;
import dev.kiln.report.FigureSection;
import dev.kiln.report.TrainingReport;
import dev.kiln.report.TrustPictures;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.inspect.Attribution;
import dev.kiln.runtime.inspect.FeatureImportance;
import dev.kiln.runtime.inspect.IntegratedGradients;
import dev.kiln.runtime.inspect.PermutationImportance;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.trust.CalibrationMetrics;
import dev.kiln.runtime.trust.CalibrationResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/**
 * Binary diagnosis (malignant / benign) on the Wisconsin breast-cancer data: 30 standardized
 * features, one sigmoid output trained with binary cross-entropy. Compiled into
 * {@code BreastCancerModel}.
 *
 * <p>After training, temperature scaling is fitted on the validation split (ECE, NLL and Brier
 * score before and after are printed, on validation and test), and the 30 features are ranked by
 * integrated gradients and by permutation importance (top 5 of each printed, a chart of both in the
 * report). Run:
 * {@code mvn -q -DskipTests -Dsample=BreastCancer package}; the report (with ROC curve, reliability
 * diagrams before and after calibration) lands in {@code samples/target/reports/BreastCancer/report.html}.
 */
@Network(inputs = 30, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.ADAMW, learningRate = 1e-3, weightDecay = 1e-2, batchSize = 16, seed = 3)
public class BreastCancer {
  @Dense(units = 16, activation = Activation.TANH)
  Layer hidden;

  @Dropout(rate = 0.2)
  Layer dropout;

  @Dense(units = 1, activation = Activation.SIGMOID)
  Layer diagnosis;

  /** Default number of epochs. */
  public static final int EPOCHS = 40;

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Split split = SampleData.breastCancer().split(3, 0.7, 0.1);
    Standardizer scale = Standardizer.fit(split.train());
    Dataset train = scale.transform(split.train());
    Dataset validation = scale.transform(split.validation());
    Dataset test = scale.transform(split.test());
    System.out.printf("breast cancer: %d train, %d validation, %d test rows%n", train.rows(), validation.rows(), test.rows());

    // Created before training so an unwritable directory fails now, not after the run.
    TrainingReport report =
        TrainingReport.to(Path.of("target", "reports", "BreastCancer"))
            .title("Breast cancer: malignant or benign")
            .classNames(List.of("malignant", "benign"));
    BreastCancerModel model = new BreastCancerModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation);
    History history = model.train(train, options);

    // Temperature scaling on the validation split; the test metrics below use the calibrated T.
    CalibrationResult calibration = model.calibrate(validation);
    System.out.printf("temperature (fitted on %d validation rows): %.4f%n", validation.rows(), calibration.temperature());
    printCalibration("validation", calibration.before(), calibration.after());
    CalibrationSection calibrationSection = CalibrationSection.of(model, test);
    printCalibration("test", calibrationSection.before(), calibrationSection.after());
    report.section(calibrationSection);

    Evaluation result = model.evaluate(test);
    System.out.println("confusion matrix (0 = malignant, 1 = benign):");
    System.out.print(result.confusionTable());
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    report.section(featureAttributions(model, test));
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }

  /**
   * Integrated gradients (64 steps from the all-zero baseline, the training mean after
   * standardization) of the predicted class's log-odds for every test row, averaged as
   * |attribution|, beside permutation importance (rise of the test loss, 20 seeded shuffles per
   * feature); prints the top 5 features of each and returns the report section.
   */
  static FigureSection featureAttributions(BreastCancerModel model, Dataset test) {
    int features = test.cols();
    IntegratedGradients ig = IntegratedGradients.steps(64);
    float[] meanAbs = new float[features];
    double worst = 0;
    for (int i = 0; i < test.rows(); i++) {
      float[] x = test.row(i);
      Attribution a = ig.explain(model, x, model.predictClass(x));
      worst = Math.max(worst, a.completenessError());
      for (int f = 0; f < features; f++) {
        meanAbs[f] += Math.abs(a.values()[f]) / test.rows();
      }
    }
    FeatureImportance importance = PermutationImportance.repeats(20).seed(3).compute(model, test);
    List<String> names = SampleData.BREAST_CANCER_FEATURES;
    System.out.printf("integrated gradients: largest completeness error over %d test rows: %.2e%n", test.rows(), worst);
    System.out.println("top 5 features by mean |integrated gradients|:");
    List<String[]> rows = new ArrayList<>();
    Integer[] byIg = ranked(features, f -> meanAbs[f]);
    Integer[] byPermutation = ranked(features, f -> importance.lossRise()[f]);
    for (int r = 0; r < 5; r++) {
      System.out.printf("  %d. %s %.4f%n", r + 1, names.get(byIg[r]), meanAbs[byIg[r]]);
    }
    System.out.println("top 5 features by permutation importance (test loss rise):");
    for (int r = 0; r < 5; r++) {
      int f = byPermutation[r];
      System.out.printf("  %d. %s %.4f (accuracy drop %.4f)%n", r + 1, names.get(f), importance.lossRise()[f],
          importance.accuracyDrop()[f]);
    }
    for (int r = 0; r < features; r++) {
      int f = byIg[r];
      rows.add(new String[] {Integer.toString(r + 1), names.get(f), String.format(Locale.ROOT, "%.4f", meanAbs[f]),
        String.format(Locale.ROOT, "%.4f", importance.lossRise()[f]),
        String.format(Locale.ROOT, "%.4f", importance.accuracyDrop()[f])});
    }
    return FigureSection.titled("Feature attributions")
        .text(String.format(Locale.ROOT, "Integrated gradients: 64 Gauss-Legendre steps from the all-zero baseline "
            + "(the training mean, after standardization) to each of the %d test rows, explaining the log-odds of the "
            + "predicted class; the mean of |attribution| per feature. Largest completeness error "
            + "|Σ attributions − (f(x) − f(0))| / |f(x) − f(0)|: %.2e. Permutation importance: the rise of the test "
            + "loss (and the drop of accuracy) when one feature's column is shuffled, mean of %d seeded shuffles.",
            test.rows(), worst, importance.repeats()))
        .chart("feature-attributions", TrustPictures.featureAttributions(names, meanAbs, importance),
            "Integrated gradients (mean |attribution|) and permutation importance of the 30 features, each scaled to "
                + "its largest.")
        .table("feature-attributions-table",
            new String[] {"rank", "feature", "mean |IG|", "loss rise (permutation)", "accuracy drop (permutation)"},
            rows);
  }

  /** Feature indices sorted by {@code value}, largest first. */
  private static Integer[] ranked(int n, IntToDoubleFunction value) {
    Integer[] order = new Integer[n];
    for (int f = 0; f < n; f++) {
      order[f] = f;
    }
    Arrays.sort(order, (a, b) -> Double.compare(value.applyAsDouble(b), value.applyAsDouble(a)));
    return order;
  }

  /** Prints ECE, NLL and Brier score before and after temperature scaling, one greppable line each. */
  static void printCalibration(String data, CalibrationMetrics before, CalibrationMetrics after) {
    System.out.printf("%s ECE before/after temperature scaling: %.4f / %.4f%n", data,
        before.expectedCalibrationError(), after.expectedCalibrationError());
    System.out.printf("%s NLL before/after temperature scaling: %.4f / %.4f%n", data,
        before.negativeLogLikelihood(), after.negativeLogLikelihood());
    System.out.printf("%s Brier before/after temperature scaling: %.4f / %.4f%n", data, before.brier(), after.brier());
  }
}
