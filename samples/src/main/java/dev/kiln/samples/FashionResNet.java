package dev.kiln.samples;

import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Add;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.GlobalAveragePool2D;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;
import dev.kiln.report.ConvolutionPictures;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.LearningRateSchedule;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;

/**
 * A small residual network on Fashion-MNIST {@code [1, 28, 28]}: a 3x3 stem with 2x2 max pooling
 * and batch normalization (32 x 14 x 14), a residual block of two 3x3 convolutions with
 * batch normalization and an identity skip, a stride-2 convolution to 64 x 7 x 7, a second residual
 * block, global average pooling and a softmax layer. Adam (lr 2e-3) with a cosine schedule, batch
 * 128. Data and split as {@link FashionCnn}. Compiled into {@code FashionResNetModel}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionResNet package}; the report lands in
 * {@code samples/target/reports/FashionResNet/report.html}.
 */
@Network(inputShape = {1, 28, 28}, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 2e-3, batchSize = 128, seed = 3)
public class FashionResNet {
  // Stem: 1x28x28 -> 32x28x28 -> 32x14x14, pooled before normalization so that BatchNorm and ReLU
  // run on a quarter of the pixels. Convolutions followed by BatchNorm need no bias.
  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, useBias = false)
  Layer stem;

  @MaxPool2D(size = 2)
  Layer pool;

  @BatchNorm
  Layer stemBn;

  @Activate(Activation.RELU)
  Layer stemRelu;

  // Residual block 1 at 32x14x14: relu(bn(conv(relu(bn(conv(x))))) + x).
  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, useBias = false)
  Layer block1a;

  @BatchNorm
  Layer block1aBn;

  @Activate(Activation.RELU)
  Layer block1aRelu;

  @Conv2D(filters = 32, kernel = 3, padding = Padding.SAME, useBias = false)
  Layer block1b;

  @BatchNorm
  Layer block1bBn;

  @Add(from = {"block1bBn", "stemRelu"})
  Layer block1;

  @Activate(Activation.RELU)
  Layer block1Relu;

  // Down-sampling: 32x14x14 -> 64x7x7.
  @Conv2D(filters = 64, kernel = 3, stride = 2, padding = Padding.SAME, useBias = false)
  Layer down;

  @BatchNorm
  Layer downBn;

  @Activate(Activation.RELU)
  Layer downRelu;

  // Residual block 2 at 64x7x7.
  @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, useBias = false)
  Layer block2a;

  @BatchNorm
  Layer block2aBn;

  @Activate(Activation.RELU)
  Layer block2aRelu;

  @Conv2D(filters = 64, kernel = 3, padding = Padding.SAME, useBias = false)
  Layer block2b;

  @BatchNorm
  Layer block2bBn;

  @Add(from = {"block2bBn", "downRelu"})
  Layer block2;

  @Activate(Activation.RELU)
  Layer block2Relu;

  @GlobalAveragePool2D
  Layer gap;

  @Dense(units = 10, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 8;

  public static void main(String[] args) throws Exception {
    TrainingReport report =
        TrainingReport.to(Path.of("target", "reports", "FashionResNet"))
            .title("Fashion-MNIST: a small residual network with batch normalization")
            .classNames(FashionMlp.CLASSES);
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Path dir = args.length > 1 ? Path.of(args[1]) : FashionMnist.DEFAULT_DIR;
    // A third argument trains on the first n training images only (to time an epoch).
    Split split = FashionCnn.fashionSplit(dir);
    Dataset train = args.length > 2 ? split.train().subset(0, Integer.parseInt(args[2])) : split.train();
    Dataset validation = split.validation();
    Dataset test = split.test();
    System.out.printf("fashion-mnist: %d train, %d validation, %d test images of 1x28x28%n", train.rows(), validation.rows(), test.rows());

    FashionResNetModel model = new FashionResNetModel();
    System.out.print(model.summary());
    // Linear warm-up over 200 steps (under half an epoch), then cosine decay to 1e-5 by the last step.
    TrainOptions options =
        TrainOptions.epochs(epochs).withValidation(validation).withCallbacks(LearningRateSchedule.cosine(200, 1e-5));
    long t0 = System.nanoTime();
    History history = model.train(train, options);
    System.out.printf("training took %.1f s%n", (System.nanoTime() - t0) / 1e9);

    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    model.save(Path.of("target", "fashion-resnet.safetensors"));
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    report.section(
        ConvolutionPictures.of(model, "stem", test.row(0), "stem", "block1Relu", "block2Relu")
            .sampleLabel(FashionMlp.CLASSES.get(test.label(0))));
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
