package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Transfer learning on Fashion-MNIST. A base network learns the first five classes (T-shirt,
 * trouser, pullover, dress, coat) from their 30000 training images and is saved. A second network
 * with the same hidden layers and a new five-way head must learn the other five classes (sandal,
 * shirt, sneaker, bag, ankle boot, relabelled 0-4) from a few images per class. It is trained four
 * ways on the same images, with the same optimizer and epochs:
 *
 * <ol>
 *   <li>transfer, frozen: the hidden layers are loaded from the base's saved weights and frozen;
 *       only the head trains;
 *   <li>transfer, fine-tuned: loaded the same way, but every layer trains;
 *   <li>from scratch: freshly initialised, every layer trains;
 *   <li>control: freshly initialised hidden layers frozen, only the head trains (what the frozen
 *       transferred layers are worth compared with random ones).
 * </ol>
 *
 * Each is repeated on three random draws of the few images; accuracy is measured on all 5000 test
 * images of the five new classes.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionTransfer package}; optional arguments: images
 * per class (default: 20, then 50), base epochs (default 5), Fashion-MNIST directory.
 */
public final class FashionTransfer {
  private FashionTransfer() {}

  /** The base network: 784-256-128-5, trained on classes 0-4. Compiled into {@code ClothesBaseModel}. */
  @Network(inputs = 784, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3, batchSize = 128, seed = 1)
  static class ClothesBase {
    @Dense(units = 256, activation = Activation.RELU)
    Layer hidden1;

    @Dense(units = 128, activation = Activation.RELU)
    Layer hidden2;

    @Dense(units = 5, activation = Activation.SOFTMAX)
    Layer output;
  }

  /**
   * The same hidden layers (names and shapes) under a new head for classes 5-9. Compiled into
   * {@code FewShotModel}.
   */
  @Network(inputs = 784, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 16, seed = 2)
  static class FewShot {
    @Dense(units = 256, activation = Activation.RELU)
    Layer hidden1;

    @Dense(units = 128, activation = Activation.RELU)
    Layer hidden2;

    @Dense(units = 5, activation = Activation.SOFTMAX)
    Layer head;
  }

  private static final int[] OLD_CLASSES = {0, 1, 2, 3, 4};
  private static final int[] NEW_CLASSES = {5, 6, 7, 8, 9};
  private static final int DRAWS = 3;
  private static final int FEW_SHOT_EPOCHS = 60;
  private static final String[] WAYS = {
    "transfer, hidden layers frozen", "transfer, all layers fine-tuned", "from scratch", "control: random hidden frozen"
  };

  public static void main(String[] args) throws Exception {
    int[] shots = args.length > 0 ? new int[] {Integer.parseInt(args[0])} : new int[] {20, 50};
    int baseEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    Path dir = args.length > 2 ? Path.of(args[2]) : FashionMnist.DEFAULT_DIR;
    Dataset train = FashionMnist.train(dir);
    Dataset test = FashionMnist.test(dir);
    Dataset oldTrain = train.selectClasses(OLD_CLASSES).withName("fashion-mnist/train classes 0-4");
    Dataset oldTest = test.selectClasses(OLD_CLASSES).withName("fashion-mnist/test classes 0-4");
    Dataset newTrain = train.selectClasses(NEW_CLASSES).withName("fashion-mnist/train classes 5-9");
    Dataset newTest = test.selectClasses(NEW_CLASSES).withName("fashion-mnist/test classes 5-9");

    // 1. The base network on the first five classes, saved like any trained model.
    System.out.printf("base: %d training images of %s%n", oldTrain.rows(), names(OLD_CLASSES));
    ClothesBaseModel base = new ClothesBaseModel();
    long t0 = System.nanoTime();
    base.train(oldTrain, TrainOptions.epochs(baseEpochs));
    double baseSeconds = seconds(t0);
    System.out.printf("base: test accuracy %.4f on classes 0-4, trained in %.1f s%n",
        base.evaluate(oldTest).accuracy(), baseSeconds);
    Path weights = Path.of("target", "fashion-transfer-base.safetensors");
    Files.createDirectories(weights.getParent());
    base.save(weights);

    // 2. A new head for the other five classes, from a few images per class.
    System.out.printf("%nnew task: %s; %d epochs on a few images per class, %d draws; tested on %d images%n",
        names(NEW_CLASSES), FEW_SHOT_EPOCHS, DRAWS, newTest.rows());
    boolean shown = false;
    for (int perClass : shots) {
      double[][] accuracy = new double[WAYS.length][DRAWS];
      double[] trainSeconds = new double[WAYS.length];
      for (int draw = 0; draw < DRAWS; draw++) {
        Dataset few = newTrain.samplePerClass(perClass, draw + 1);
        for (int way = 0; way < WAYS.length; way++) {
          FewShotModel model = new FewShotModel(draw + 1);
          if (way <= 1) {
            List<String> copied = model.transferFrom(weights, "hidden1", "hidden2");
            if (!shown) {
              System.out.println("copied from " + weights + ": " + copied);
            }
          }
          if (way == 0 || way == 3) {
            model.freeze("hidden1", "hidden2");
            if (!shown) {
              System.out.print(model.summary());
              shown = true;
            }
          }
          long start = System.nanoTime();
          model.train(few, TrainOptions.epochs(FEW_SHOT_EPOCHS).quiet());
          trainSeconds[way] += seconds(start);
          accuracy[way][draw] = model.evaluate(newTest).accuracy();
        }
      }
      System.out.printf("%n%-33s %-22s %7s %11s%n",
          perClass + " images per class", "test accuracy by draw", "mean", "train time");
      for (int way = 0; way < WAYS.length; way++) {
        StringBuilder perDraw = new StringBuilder();
        double sum = 0;
        for (double a : accuracy[way]) {
          perDraw.append(String.format("%.4f ", a));
          sum += a;
        }
        System.out.printf("%-33s %-22s %7.4f %9.2f s%n",
            WAYS[way], perDraw.toString().trim(), sum / DRAWS, trainSeconds[way] / DRAWS);
      }
    }
    System.out.printf("%n(train time: mean of one few-shot run; the base trained once in %.1f s)%n", baseSeconds);
  }

  private static String names(int[] classes) {
    StringBuilder s = new StringBuilder();
    for (int c : classes) {
      s.append(s.isEmpty() ? "" : ", ").append(FashionMnist.CLASS_NAMES.get(c));
    }
    return s.toString();
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
