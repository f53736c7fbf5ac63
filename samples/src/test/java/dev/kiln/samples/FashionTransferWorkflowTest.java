package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.CsvLogger;
import dev.kiln.runtime.train.EarlyStopping;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.ModelCheckpoint;
import dev.kiln.runtime.train.TrainOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FashionTransfer sample's workflow (early stopping, checkpoints, CSV history, a resume, two
 * reports, the few-shot comparison) on a small synthetic ten-class set of 784 features, so it runs
 * in seconds without Fashion-MNIST. Checks that the files exist and that early stopping and the
 * resume did what the sample prints.
 */
class FashionTransferWorkflowTest {
  private static final int MAX_EPOCHS = 40;

  @TempDir static Path dir;

  private static FashionTransfer.Result result;
  private static String output;

  /**
   * {@code perClass} rows per class: a random prototype per class blended with much per-row noise,
   * so a 784-256-128 network memorises the few training rows and its validation loss soon rises.
   */
  static Dataset synthetic(String name, int perClass, long seed) {
    Random prototypes = new Random(7);
    Random noise = new Random(seed);
    int rows = 10 * perClass;
    float[] x = new float[rows * 784];
    int[] labels = new int[rows];
    float[][] proto = new float[10][784];
    for (float[] p : proto) {
      for (int i = 0; i < p.length; i++) {
        p[i] = prototypes.nextFloat();
      }
    }
    for (int r = 0; r < rows; r++) {
      labels[r] = r % 10;
      for (int i = 0; i < 784; i++) {
        x[r * 784 + i] = 0.05f * proto[labels[r]][i] + 0.95f * noise.nextFloat();
      }
    }
    return Dataset.classification(name, x, rows, 784, labels, 10);
  }

  @BeforeAll
  static void runTheWorkflow() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    result =
        FashionTransfer.run(
            synthetic("synthetic/train", 60, 1),
            synthetic("synthetic/test", 30, 2),
            MAX_EPOCHS,
            new int[] {5},
            dir.resolve("out"),
            TrainingReport.to(dir.resolve("reports/base")),
            TrainingReport.to(dir.resolve("reports/fine-tune")).classNames(List.of("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
            log);
    output = bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void earlyStoppingEndedTheBaseAtTheBestValidationLossPlusPatienceAndRestoredItsWeights() throws Exception {
    FashionTransfer.BaseRun base = result.base();
    EarlyStopping stopping = base.stopping();
    History history = base.history();
    int stopped = stopping.stoppedEpoch();
    assertTrue(stopped > FashionTransfer.FIRST_LEG && stopped < MAX_EPOCHS, "stopped after epoch " + stopped);
    assertEquals(stopped, history.last().epoch());
    assertEquals(FashionTransfer.PATIENCE, stopped - stopping.bestEpoch());
    double lowest = Double.POSITIVE_INFINITY;
    for (EpochStats e : history.epochs()) {
      lowest = Math.min(lowest, e.validationLoss());
    }
    assertEquals(lowest, history.epochs().get(stopping.bestEpoch() - 1).validationLoss(), "best epoch has the lowest val_loss");
    assertTrue(output.contains("early stopping after epoch " + stopped), output);

    // The model ends with the best epoch's weights: those of the best checkpoint, and of the saved file.
    ClothesBaseModel fromBest = new ClothesBaseModel();
    fromBest.load(base.bestCheckpoint());
    assertArrayEquals(fromBest.parameters(), base.model().parameters(), "restored weights = best checkpoint's");
    ClothesBaseModel fromWeights = new ClothesBaseModel();
    fromWeights.load(base.weights());
    assertArrayEquals(fromWeights.parameters(), base.model().parameters());
  }

  @Test
  void theResumedRunContinuedAfterTheFirstLegExactlyAsAnUninterruptedRun() throws Exception {
    FashionTransfer.BaseRun base = result.base();
    int k = FashionTransfer.FIRST_LEG;
    assertEquals(k, base.firstLeg().size());
    assertEquals(k + 1, base.resumedAt(), "first epoch trained by the resumed run");
    List<EpochStats> all = base.history().epochs();
    for (int i = 0; i < all.size(); i++) {
      assertEquals(i + 1, all.get(i).epoch());
    }
    for (int i = 0; i < k; i++) {
      for (String m : EpochStats.METRICS) {
        assertEquals(base.firstLeg().epochs().get(i).metric(m), all.get(i).metric(m), "restored epoch " + (i + 1) + " " + m);
      }
    }
    assertTrue(output.contains("resuming after epoch " + k + " of ClothesBase"), output);
    assertTrue(output.contains("restored epochs 1-" + k + " from the checkpoint and trained epochs " + (k + 1) + "-" + all.size()), output);

    // The same callbacks without the interruption end with bitwise the same weights and metrics.
    Path other = dir.resolve("uninterrupted");
    Files.createDirectories(other);
    ClothesBaseModel straight = new ClothesBaseModel();
    History history =
        straight.train(
            trainingPart(),
            TrainOptions.epochs(MAX_EPOCHS).withValidation(base.options().validation()).quiet()
                .withCallbacks(
                    new EarlyStopping("val_loss", FashionTransfer.PATIENCE).restoringBestWeights(),
                    new CsvLogger(other.resolve("history.csv")),
                    ModelCheckpoint.best(other.resolve("best.safetensors"), "val_loss"),
                    ModelCheckpoint.everyEpochs(other.resolve("last.safetensors"), 1)));
    assertEquals(all.size(), history.size());
    for (int i = 0; i < all.size(); i++) {
      assertEquals(all.get(i).loss(), history.epochs().get(i).loss(), "epoch " + (i + 1) + " loss");
      assertEquals(all.get(i).validationLoss(), history.epochs().get(i).validationLoss(), "epoch " + (i + 1) + " val_loss");
    }
    assertArrayEquals(straight.parameters(), base.model().parameters());
  }

  /** The base's training rows, rebuilt the way {@code run} splits them. */
  private static Dataset trainingPart() {
    return synthetic("synthetic/train", 60, 1).selectClasses(0, 1, 2, 3, 4).trainTestSplit(1, 0.9).train();
  }

  @Test
  void theCheckpointsTheCsvHistoryAndBothReportsAreWritten() throws Exception {
    FashionTransfer.BaseRun base = result.base();
    int epochs = base.history().size();
    for (Path p : List.of(base.bestCheckpoint(), base.lastCheckpoint(), base.weights())) {
      assertTrue(Files.size(p) > 784 * 256 * 4, p + " holds the weights");
    }
    List<String> csv = Files.readAllLines(base.csv());
    assertEquals(CsvLogger.HEADER, csv.get(0));
    assertEquals(1 + epochs, csv.size(), "one row per epoch, none repeated by the resume");
    for (int e = 1; e <= epochs; e++) {
      assertTrue(csv.get(e).startsWith(e + ","), "row " + e + ": " + csv.get(e));
    }

    String baseHtml = Files.readString(result.baseReport());
    assertEquals(dir.resolve("reports/base/report.html").toAbsolutePath(), result.baseReport());
    assertTrue(baseHtml.contains("<td>epochs run</td><td class=\"num\">" + epochs + "</td>"), "epochs run");
    assertTrue(baseHtml.contains("<td>epochs requested</td><td class=\"num\">" + MAX_EPOCHS + "</td>"), "epochs requested");
    assertTrue(baseHtml.contains("synthetic/train classes 0-4, held out"), "validation set named");

    Path fineTune = result.fineTuneReport();
    assertEquals(dir.resolve("reports/fine-tune/report.html").toAbsolutePath(), fineTune);
    String html = Files.readString(fineTune);
    for (String name : List.of("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")) {
      assertTrue(html.contains("<td>" + name + "</td>"), name);
    }
    assertTrue(html.contains("5 images per class (draw 1)"), "few-shot training set named");
    for (String picture : List.of("loss", "accuracy", "confusion", "reliability")) {
      assertTrue(Files.size(fineTune.resolveSibling(picture + ".png")) > 1000, picture + ".png");
    }
    assertTrue(output.contains("from scratch"), "comparison table printed");
    assertEquals(4, result.meanAccuracy()[0].length);
  }

  @Test
  void aBaseTooShortToShowTheResumeIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FashionTransfer.trainBase(trainingPart(), trainingPart(), FashionTransfer.FIRST_LEG, dir, System.out));
    assertTrue(e.getMessage().contains("more than " + FashionTransfer.FIRST_LEG + " epochs"), e.getMessage());
  }
}
