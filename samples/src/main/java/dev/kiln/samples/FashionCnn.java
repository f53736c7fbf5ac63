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
import dev.kiln.report.ConvolutionPictures;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;

/**
 * The classic Fashion-MNIST CNN: Conv2D 32 3x3 ReLU, 2x2 max pooling, Conv2D 64 3x3 ReLU, 2x2 max
 * pooling, Flatten, Dense 128 ReLU, Dense 10 softmax (Adam, lr 1e-3, batch 128), on
 * {@code [1, 28, 28]} images from {@code /usr/share/datasets/fashion-mnist} or the directory given
 * as the second argument, split as {@link FashionMlp} splits them. Compiled into
 * {@code FashionCnnModel}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionCnn package}; the report lands in
 * {@code samples/target/reports/FashionCnn/report.html}. Arguments (all optional, through
 * {@code -Dsample.args="..."}): epochs (10), the data directory, and a seed that replaces the network's
 * {@code seed = 1} for initialisation and shuffling (the validation split stays seed 1), to see how
 * much the result moves from seed to seed.
 */
@Network(inputShape = {1, 28, 28}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 128, seed = 1)
public class FashionCnn {
  @Conv2D(filters = 32, kernel = 3, activation = Activation.RELU)
  Layer conv1;

  @MaxPool2D(size = 2)
  Layer pool1;

  @Conv2D(filters = 64, kernel = 3, activation = Activation.RELU)
  Layer conv2;

  @MaxPool2D(size = 2)
  Layer pool2;

  @Flatten
  Layer flat;

  @Dense(units = 128, activation = Activation.RELU)
  Layer hidden;

  @Dense(units = 10, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 10;

  public static void main(String[] args) throws Exception {
    // Created first so an unwritable directory fails before minutes of loading and training.
    TrainingReport report =
        TrainingReport.to(Path.of("target", "reports", "FashionCnn"))
            .title("Fashion-MNIST: CNN (conv 32, pool, conv 64, pool, dense 128)")
            .classNames(FashionMlp.CLASSES);
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Path dir = args.length > 1 ? Path.of(args[1]) : FashionMnist.DEFAULT_DIR;
    Split split = fashionSplit(dir);
    Dataset train = split.train();
    Dataset validation = split.validation();
    Dataset test = split.test();
    System.out.printf("fashion-mnist: %d train, %d validation, %d test images of 1x28x28%n", train.rows(), validation.rows(), test.rows());

    FashionCnnModel model = args.length > 2 ? new FashionCnnModel(Long.parseLong(args[2])) : new FashionCnnModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation);
    long t0 = System.nanoTime();
    History history = model.train(train, options);
    System.out.printf("training took %.1f s%n", (System.nanoTime() - t0) / 1e9);

    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    model.save(Path.of("target", "fashion-cnn.safetensors"));
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    report.section(
        ConvolutionPictures.of(model, "conv1", test.row(0), "conv1", "conv2")
            .sampleLabel(FashionMlp.CLASSES.get(test.label(0))));
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }

  /**
   * Fashion-MNIST as {@link FashionMlp} splits it: 55000 of the 60000 training images to train on,
   * 5000 held out for validation (seed 1), the official 10000 to test.
   */
  static Split fashionSplit(Path dir) throws Exception {
    Dataset all = FashionMnist.train(dir);
    Dataset test = FashionMnist.test(dir);
    Split split = all.trainTestSplit(1, 55000.0 / 60000.0);
    return new Split(split.train(), split.test().withName("fashion-mnist/validation"), test);
  }
}
