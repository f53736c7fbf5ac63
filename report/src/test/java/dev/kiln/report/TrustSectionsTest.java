package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.trust.Auroc;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calibration and out-of-distribution sections, and the ROC curve of arbitrary scores. */
class TrustSectionsTest {
  @TempDir Path dir;

  @Test
  void rocAreaEqualsTheExactAurocWithTies() {
    SplittableRandom r = new SplittableRandom(4);
    int n = 301;
    double[] scores = new double[n];
    int[] labels = new int[n];
    int pos = 0;
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(2);
      scores[i] = r.nextInt(6) + labels[i]; // ties within and across classes
      pos += labels[i];
    }
    double[] p = new double[pos];
    double[] q = new double[n - pos];
    for (int i = 0, a = 0, b = 0; i < n; i++) {
      if (labels[i] == 1) {
        p[a++] = scores[i];
      } else {
        q[b++] = scores[i];
      }
    }
    assertEquals(Auroc.of(p, q), RocCurve.of(scores, labels).auc(), 1e-12);
  }

  @Test
  void sectionsWriteTheirPicturesAndTables() throws Exception {
    Dataset train = TestData.blobs("blobs/train", 3, 60, 1.2, 1);
    Dataset validation = TestData.blobs("blobs/validation", 3, 40, 1.2, 2);
    Dataset test = TestData.blobs("blobs/test", 3, 40, 1.2, 3);
    ThreeBlobsModel model = new ThreeBlobsModel();
    model.train(train, TrainOptions.epochs(30).quiet());
    model.calibrate(validation);
    model.fitOutOfDistribution(validation);
    CalibrationSection calibration = CalibrationSection.of(model, test);
    assertEquals(1, calibration.before().temperature());
    assertEquals(model.temperature(), calibration.after().temperature());
    Dataset far = TestData.blobs("far away", 3, 30, 1.0, 9);
    float[] shifted = far.features().clone();
    for (int i = 0; i < shifted.length; i++) {
      shifted[i] += 6;
    }
    Dataset ood = Dataset.classification("shifted blobs", shifted, far.rows(), 2, far.labels(), 3);
    OodEvaluation energy = model.evaluateOutOfDistribution(test, ood, OodScore.ENERGY);
    OodEvaluation msp = model.evaluateOutOfDistribution(test, ood, OodScore.MAX_SOFTMAX_PROBABILITY);
    Path html =
        TrainingReport.to(dir)
            .section(calibration)
            .section(OutOfDistributionSection.of(msp, energy))
            .write(model, new dev.kiln.runtime.train.History(), TrainOptions.epochs(1), train, test);
    String page = Files.readString(html);
    for (String file : new String[] {
      "reliability-before", "reliability-after", "ood-energy-histogram", "ood-energy-roc", "ood-msp-histogram", "ood-msp-roc"}) {
      assertTrue(Files.size(dir.resolve(file + ".png")) > 1000, file);
      assertTrue(Files.exists(dir.resolve(file + ".svg")), file);
      assertTrue(page.contains("id=\"fig-" + file + "\""), file);
    }
    assertTrue(page.contains("<h2>Calibration</h2>") && page.contains("<table id=\"calibration\">"));
    assertTrue(page.contains("<h2>Out-of-distribution warnings</h2>") && page.contains("<table id=\"ood\">"));
    assertTrue(page.contains(TrainingReport.f4(calibration.after().expectedCalibrationError())));
    assertTrue(page.contains(TrainingReport.f4(energy.auroc())));
  }
}
