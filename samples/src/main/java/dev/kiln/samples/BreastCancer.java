package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.CalibrationSection;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.trust.CalibrationMetrics;
import dev.kiln.runtime.trust.CalibrationResult;
import java.nio.file.Path;
import java.util.List;

/**
 * Binary diagnosis (malignant / benign) on the Wisconsin breast-cancer data: 30 standardized
 * features, one sigmoid output trained with binary cross-entropy. Compiled into
 * {@code BreastCancerModel}.
 *
 * <p>After training, temperature scaling is fitted on the validation split (ECE, NLL and Brier
 * score before and after are printed, on validation and test). Run:
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
    System.out.println("report written to " + report.write(model, history, options, train, test));
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
