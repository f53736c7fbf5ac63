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
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.CsvLogger;
import dev.kiln.runtime.train.EarlyStopping;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.ModelCheckpoint;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole training workflow on Fashion-MNIST, ending in transfer learning.
 *
 * <p><b>1. Base network.</b> {@code ClothesBase} learns the first five classes (T-shirt, trouser,
 * pullover, dress, coat) from 27000 training images, watching 3000 held-out ones (a stratified
 * split). {@link EarlyStopping} on {@code val_loss} stops it once the validation loss has not
 * improved for {@value #PATIENCE} epochs and puts the best epoch's weights back; {@link
 * ModelCheckpoint} keeps the best epoch's checkpoint and the latest one, and {@link CsvLogger}
 * writes the history, all into {@code target/fashion-transfer/}. The base run's HTML report goes to
 * {@code target/reports/FashionTransfer/base/}.
 *
 * <p><b>2. Resume.</b> The base trains in two legs, as if the machine went down after epoch
 * {@value #FIRST_LEG}: the first model stops there, then a fresh model instance continues from the
 * latest checkpoint ({@link TrainOptions#resumeFrom}) with weights, optimizer moments, history and
 * the callbacks' state restored, so the result is the one an uninterrupted run would give.
 *
 * <p><b>3. Transfer.</b> A second network, {@code FewShot}, with the same hidden layers and a new
 * five-way head must learn the other five classes (sandal, shirt, sneaker, bag, ankle boot,
 * relabelled 0-4) from a few images per class. It is trained four ways on the same images, with the
 * same optimizer and epochs:
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
 * images of the five new classes. The fine-tuned run of the first draw with the most images per
 * class writes its report to {@code target/reports/FashionTransfer/fine-tune/}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionTransfer package}; optional arguments: images
 * per class (default: 20, then 50), maximum base epochs (default 30), Fashion-MNIST directory.
 * Paths are relative to the working directory ({@code samples/} under Maven).
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

  /** Where the checkpoints, history and weights go. */
  static final Path OUTPUT = Path.of("target", "fashion-transfer");
  /** Where the reports go: {@code base/} and {@code fine-tune/} below it. */
  static final Path REPORTS = Path.of("target", "reports", "FashionTransfer");
  /** Epochs without a better validation loss before the base stops. */
  static final int PATIENCE = 3;
  /**
   * Epochs of the first leg of the base run. Not more than {@link #PATIENCE}, so early stopping
   * cannot end the base before the resume is shown.
   */
  static final int FIRST_LEG = 3;

  private static final int[] OLD_CLASSES = {0, 1, 2, 3, 4};
  private static final int[] NEW_CLASSES = {5, 6, 7, 8, 9};
  private static final int DRAWS = 3;
  private static final int FEW_SHOT_EPOCHS = 60;
  private static final String[] WAYS = {
    "transfer, hidden layers frozen", "transfer, all layers fine-tuned", "from scratch", "control: random hidden frozen"
  };
  private static final int FINE_TUNED = 1; // the way whose report is written

  public static void main(String[] args) throws Exception {
    int[] shots = args.length > 0 ? new int[] {Integer.parseInt(args[0])} : new int[] {20, 50};
    int baseEpochs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    Path dir = args.length > 2 ? Path.of(args[2]) : FashionMnist.DEFAULT_DIR;
    // Created first, so an unwritable directory fails before any data is read or trained on.
    Files.createDirectories(OUTPUT);
    TrainingReport baseReport =
        TrainingReport.to(REPORTS.resolve("base"))
            .title("Fashion-MNIST transfer: base network on classes 0-4")
            .classNames(names(OLD_CLASSES));
    TrainingReport fineTuneReport =
        TrainingReport.to(REPORTS.resolve("fine-tune"))
            .title("Fashion-MNIST transfer: hidden layers of the base fine-tuned on classes 5-9, "
                + shots[shots.length - 1] + " images per class")
            .classNames(names(NEW_CLASSES));
    long t0 = System.nanoTime();
    run(FashionMnist.train(dir), FashionMnist.test(dir), baseEpochs, shots, OUTPUT, baseReport, fineTuneReport, System.out);
    System.out.printf("%nwhole sample: %.1f s%n", seconds(t0));
  }

  /**
   * What the base run left behind.
   *
   * @param model the base, with the best epoch's weights
   * @param firstLeg the history of the first leg (epochs 1 to {@link #FIRST_LEG})
   * @param history the whole history after the resume: the checkpoint's epochs, then the new ones
   * @param resumedAt the first epoch the resumed run trained, as the runtime reported it
   * @param stopping the early stopping of the resumed run (best and stopped epoch)
   * @param options the resumed run's options
   * @param bestCheckpoint the checkpoint of the epoch with the lowest validation loss
   * @param lastCheckpoint the checkpoint written after every epoch (the one resumed from)
   * @param csv the history as CSV
   * @param weights the best weights, saved for the transfer
   */
  record BaseRun(
      ClothesBaseModel model,
      History firstLeg,
      History history,
      int resumedAt,
      EarlyStopping stopping,
      TrainOptions options,
      Path bestCheckpoint,
      Path lastCheckpoint,
      Path csv,
      Path weights) {}

  /** The base run and the few-shot comparison: mean test accuracy by images per class and way. */
  record Result(BaseRun base, Path baseReport, Path fineTuneReport, double[][] meanAccuracy) {}

  /**
   * The whole workflow on a ten-class data set of 784 features (Fashion-MNIST, or anything shaped
   * like it): the base on classes 0-4 with early stopping, checkpoints and a resume, its report, then
   * the few-shot comparison on classes 5-9 and the fine-tuned run's report.
   */
  static Result run(
      Dataset train,
      Dataset test,
      int baseEpochs,
      int[] shots,
      Path out,
      TrainingReport baseReport,
      TrainingReport fineTuneReport,
      PrintStream log)
      throws IOException {
    Dataset oldTrain = train.selectClasses(OLD_CLASSES);
    Dataset oldTest = test.selectClasses(OLD_CLASSES).withName(test.name() + " classes 0-4");
    Dataset newTrain = train.selectClasses(NEW_CLASSES);
    Dataset newTest = test.selectClasses(NEW_CLASSES).withName(test.name() + " classes 5-9");

    // 1 and 2. The base network on the first five classes, 10% of its images held out for early stopping.
    Split oldSplit = oldTrain.trainTestSplit(1, 0.9);
    Dataset baseTrain = oldSplit.train().withName(train.name() + " classes 0-4");
    Dataset baseValidation = oldSplit.test().withName(train.name() + " classes 0-4, held out");
    log.printf("base: %d training and %d validation images of %s%n",
        baseTrain.rows(), baseValidation.rows(), String.join(", ", names(OLD_CLASSES)));
    long t0 = System.nanoTime();
    BaseRun base = trainBase(baseTrain, baseValidation, baseEpochs, out, log);
    double baseSeconds = seconds(t0);
    log.printf("base: test accuracy %.4f on classes 0-4 (%d test images), %d epochs in %.1f s%n",
        base.model().evaluate(oldTest).accuracy(), oldTest.rows(), base.history().size(), baseSeconds);
    Path baseHtml = baseReport.write(base.model(), base.history(), base.options(), baseTrain, oldTest);
    log.println("base: report " + baseHtml);

    // 3. A new head for the other five classes, from a few images per class. The few images are drawn
    // from 90% of the new classes' training images; the other 10% only draw the reported run's
    // validation curves (they take no part in training).
    Split newSplit = newTrain.trainTestSplit(3, 0.9);
    Dataset pool = newSplit.train().withName(train.name() + " classes 5-9");
    Dataset newValidation = newSplit.test().withName(train.name() + " classes 5-9, held out");
    log.printf("%nnew task: %s; %d epochs on a few images per class, %d draws; tested on %d images%n",
        String.join(", ", names(NEW_CLASSES)), FEW_SHOT_EPOCHS, DRAWS, newTest.rows());
    double[][] mean = new double[shots.length][WAYS.length];
    Path fineTuneHtml = null;
    boolean shown = false;
    for (int s = 0; s < shots.length; s++) {
      int perClass = shots[s];
      double[][] accuracy = new double[WAYS.length][DRAWS];
      double[] trainSeconds = new double[WAYS.length];
      for (int draw = 0; draw < DRAWS; draw++) {
        Dataset few = pool.samplePerClass(perClass, draw + 1)
            .withName(train.name() + " classes 5-9, " + perClass + " images per class (draw " + (draw + 1) + ")");
        for (int way = 0; way < WAYS.length; way++) {
          FewShotModel model = new FewShotModel(draw + 1);
          if (way <= 1) {
            List<String> copied = model.transferFrom(base.weights(), "hidden1", "hidden2");
            if (!shown) {
              log.println("copied from " + base.weights() + ": " + copied);
            }
          }
          if (way == 0 || way == 3) {
            model.freeze("hidden1", "hidden2");
            if (!shown) {
              log.print(model.summary());
              shown = true;
            }
          }
          boolean reported = way == FINE_TUNED && draw == 0 && s == shots.length - 1;
          // Validation only measures; the weights are the same with or without it.
          TrainOptions options = TrainOptions.epochs(FEW_SHOT_EPOCHS).quiet();
          if (reported) {
            options = options.withValidation(newValidation);
          }
          History history = model.train(few, options);
          for (EpochStats e : history.epochs()) {
            trainSeconds[way] += e.seconds(); // training steps only, not the validation passes
          }
          accuracy[way][draw] = model.evaluate(newTest).accuracy();
          if (reported) {
            fineTuneHtml = fineTuneReport.write(model, history, options, few, newTest);
          }
        }
      }
      log.printf("%n%-33s %-22s %7s %11s%n",
          perClass + " images per class", "test accuracy by draw", "mean", "train time");
      for (int way = 0; way < WAYS.length; way++) {
        StringBuilder perDraw = new StringBuilder();
        double sum = 0;
        for (double a : accuracy[way]) {
          perDraw.append(String.format("%.4f ", a));
          sum += a;
        }
        mean[s][way] = sum / DRAWS;
        log.printf("%-33s %-22s %7.4f %9.2f s%n",
            WAYS[way], perDraw.toString().trim(), mean[s][way], trainSeconds[way] / DRAWS);
      }
    }
    log.printf("%n(train time: mean of one few-shot run's training steps; the base trained once in %.1f s)%n", baseSeconds);
    log.println("fine-tune: report " + fineTuneHtml);
    return new Result(base, baseHtml, fineTuneHtml, mean);
  }

  /**
   * Trains the base in two legs: epochs 1 to {@link #FIRST_LEG} with a checkpoint after every epoch,
   * then a fresh instance resumes from that checkpoint and trains until early stopping ends it or
   * {@code maxEpochs} is reached.
   */
  static BaseRun trainBase(Dataset train, Dataset validation, int maxEpochs, Path out, PrintStream log)
      throws IOException {
    if (maxEpochs <= FIRST_LEG) {
      throw new IllegalArgumentException(
          "the base needs more than " + FIRST_LEG + " epochs to show a resume, got " + maxEpochs);
    }
    Files.createDirectories(out);
    Path best = out.resolve("base-best.safetensors");
    Path last = out.resolve("base-last.safetensors");
    Path csv = out.resolve("base-history.csv");

    // Leg 1: stops after epoch FIRST_LEG, as if the process had been killed there.
    ClothesBaseModel interrupted = new ClothesBaseModel();
    TrainOptions legOne = TrainOptions.epochs(FIRST_LEG).withValidation(validation).withOutput(log)
        .withCallbacks(callbacks(new EarlyStopping("val_loss", PATIENCE).restoringBestWeights(), best, last, csv));
    History firstLeg = interrupted.train(train, legOne);
    // (Its early stopping may put an earlier epoch's weights back into this model at the end; the
    // checkpoint already holds the last epoch's state, which is what a resume needs.)
    log.printf("base: first leg ended after epoch %d; this model is dropped, as if its process had died; %s holds epoch %d's state%n",
        firstLeg.last().epoch(), last, firstLeg.last().epoch());

    // Leg 2: a fresh instance, as a new process would create, continues from the checkpoint with the
    // same callbacks (their state, e.g. early stopping's best value and patience count, comes from it).
    ClothesBaseModel base = new ClothesBaseModel();
    EarlyStopping stopping = new EarlyStopping("val_loss", PATIENCE).restoringBestWeights();
    FirstEpoch firstEpoch = new FirstEpoch();
    List<Callback> resumed = new ArrayList<>(callbacks(stopping, best, last, csv));
    resumed.add(firstEpoch);
    TrainOptions options = TrainOptions.epochs(maxEpochs).withValidation(validation).withOutput(log)
        .withCallbacks(resumed).resumeFrom(last);
    History history = base.train(train, options);
    log.printf("base: the resumed run restored epochs 1-%d from the checkpoint and trained epochs %d-%d%n",
        firstEpoch.value - 1, firstEpoch.value, history.last().epoch());
    if (stopping.stoppedEpoch() > 0) {
      log.printf("base: early stopping after epoch %d; best val_loss %.4f in epoch %d, whose weights were restored%n",
          stopping.stoppedEpoch(), stopping.best(), stopping.bestEpoch());
    } else {
      log.printf("base: ran all %d epochs; best val_loss %.4f in epoch %d, whose weights were kept%n",
          maxEpochs, stopping.best(), stopping.bestEpoch());
    }
    Path weights = out.resolve("base.safetensors");
    base.save(weights);
    log.printf("base: files %s, %s, %s, %s%n", best, last, csv, weights);
    return new BaseRun(base, firstLeg, history, firstEpoch.value, stopping, options, best, last, csv, weights);
  }

  /** The base's callbacks, the same in both legs so the checkpoint's callback state matches. */
  private static List<Callback> callbacks(EarlyStopping stopping, Path best, Path last, Path csv) {
    return List.of(
        stopping,
        new CsvLogger(csv),
        ModelCheckpoint.best(best, "val_loss"),
        ModelCheckpoint.everyEpochs(last, 1));
  }

  /** Records the first epoch a {@code train} call runs: 1, or the checkpoint's epoch + 1. */
  private static final class FirstEpoch implements Callback {
    int value;

    @Override
    public void onTrainBegin(TrainingContext c) {
      value = c.startEpoch();
    }
  }

  private static List<String> names(int[] classes) {
    List<String> names = new ArrayList<>();
    for (int c : classes) {
      names.add(FashionMnist.CLASS_NAMES.get(c));
    }
    return names;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
