package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;

/**
 * An MLP on the 8x8 handwritten digits (1797 images, shipped with the samples): 64-64-10, ReLU,
 * Adam. Trains in a few seconds. Kiln compiles this class into {@code DigitsModel}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=Digits package}; the report lands in
 * {@code samples/target/reports/Digits/report.html}.
 */
@Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 32, seed = 7)
public class Digits {
  @Dense(units = 64, activation = Activation.RELU)
  Layer hidden;

  @Dense(units = 10, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 30;

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    Dataset train = scale.transform(split.train());
    Dataset validation = scale.transform(split.validation());
    Dataset test = scale.transform(split.test());
    System.out.printf("digits: %d train, %d validation, %d test rows%n", train.rows(), validation.rows(), test.rows());

    // Created before training so an unwritable directory fails now, not after the run.
    TrainingReport report = TrainingReport.to(Path.of("target", "reports", "Digits")).title("Digits: 64-64-10 MLP on 8x8 handwritten digits");
    DigitsModel model = new DigitsModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation);
    History history = model.train(train, options);

    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    Path weights = Path.of("target", "digits.safetensors");
    model.save(weights);
    System.out.println("weights saved to " + weights);
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
