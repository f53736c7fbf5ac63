package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;
import dev.kiln.report.ConvolutionPictures;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;

/**
 * A small CNN on the 8x8 handwritten digits shipped with the samples, read as {@code [1, 8, 8]}
 * images scaled to [0, 1]: two 3x3 convolutions (the first followed by 2x2 max pooling) and a
 * softmax layer. Trains in seconds. Kiln compiles this class into {@code DigitsCnnModel}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=DigitsCnn package}; the report, with the first
 * layer's filters and feature maps of a test digit, lands in
 * {@code samples/target/reports/DigitsCnn/report.html}.
 */
@Network(inputShape = {1, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 2e-3, batchSize = 32, seed = 7)
public class DigitsCnn {
  @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, activation = Activation.RELU)
  Layer conv1;

  @MaxPool2D(size = 2)
  Layer pool1;

  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, activation = Activation.RELU)
  Layer conv2;

  @Flatten
  Layer flat;

  @Dense(units = 10, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 20;

  /**
   * The digits split 70/15/15 as {@link Digits} splits them (same seed), pixels divided by 16 so
   * that every image keeps its own contrast pattern (no per-pixel standardization, which would
   * distort the pictures the convolutions see).
   */
  public static Split data() {
    Split s = SampleData.digits().split(7, 0.7, 0.15);
    return new Split(scaled(s.train()), scaled(s.validation()), scaled(s.test()));
  }

  private static Dataset scaled(Dataset d) {
    float[] x = d.features().clone();
    for (int i = 0; i < x.length; i++) {
      x[i] /= 16f;
    }
    return Dataset.classification(d.name(), x, d.rows(), d.cols(), d.labels(), d.classes());
  }

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Split split = data();
    Dataset train = split.train();
    Dataset validation = split.validation();
    Dataset test = split.test();
    System.out.printf("digits: %d train, %d validation, %d test images of 1x8x8%n", train.rows(), validation.rows(), test.rows());

    // Created before training so an unwritable directory fails now, not after the run.
    TrainingReport report =
        TrainingReport.to(Path.of("target", "reports", "DigitsCnn"))
            .title("Digits: a small CNN on 8x8 handwritten digits");
    DigitsCnnModel model = new DigitsCnnModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation);
    History history = model.train(train, options);

    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    model.save(Path.of("target", "digits-cnn.safetensors"));
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    report.section(ConvolutionPictures.of(model, "conv1", test.row(0), "conv1", "conv2").sampleLabel("digit " + test.label(0)));
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
