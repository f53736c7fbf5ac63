package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * A 784-256-128-10 ReLU MLP on Fashion-MNIST (Adam, lr 1e-3, batch 128), read from
 * {@code /usr/share/datasets/fashion-mnist} ({@code apt-get install dataset-fashion-mnist}) or the
 * directory given as the second argument. Compiled into {@code FashionMlpModel}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionMlp package}; the report lands in
 * {@code samples/target/reports/FashionMlp/report.html}.
 */
@Network(inputs = 784, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 128, seed = 1)
public class FashionMlp {
  @Dense(units = 256, activation = Activation.RELU)
  Layer hidden1;

  @Dense(units = 128, activation = Activation.RELU)
  Layer hidden2;

  @Dense(units = 10, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 10;

  /** Fashion-MNIST's class names, by label. */
  public static final List<String> CLASSES =
      List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  public static void main(String[] args) throws Exception {
    // Created first so an unwritable directory fails before minutes of loading and training.
    TrainingReport report =
        TrainingReport.to(Path.of("target", "reports", "FashionMlp"))
            .title("Fashion-MNIST: 784-256-128-10 MLP")
            .classNames(CLASSES);
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Path dir = args.length > 1 ? Path.of(args[1]) : FashionMnist.DEFAULT_DIR;
    Dataset all = FashionMnist.train(dir);
    Dataset test = FashionMnist.test(dir);
    // 55000 to train on, 5000 held out to watch for overfitting; the official 10000 to test.
    Split split = all.trainTestSplit(1, 55000.0 / 60000.0);
    Dataset train = split.train();
    Dataset validation = split.test().withName("fashion-mnist/validation");
    System.out.printf("fashion-mnist: %d train, %d validation, %d test images%n", train.rows(), validation.rows(), test.rows());

    FashionMlpModel model = new FashionMlpModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation);
    History history = model.train(train, options);

    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    model.save(Path.of("target", "fashion-mlp.safetensors"));
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
