package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.TrainOptions;
import org.junit.jupiter.api.Test;

/** Reports computed through the Model interface on real generated networks. */
class ModelReportsTest {
  @Test
  void softmaxReportAgreesWithTheRuntimesEvaluation() {
    Dataset train = TestData.blobs("blobs/train", 3, 60, 2.0, 1);
    Dataset test = TestData.blobs("blobs/test", 3, 40, 2.0, 2);
    ThreeBlobsModel model = new ThreeBlobsModel();
    model.train(train, TrainOptions.epochs(5).quiet());
    ClassificationReport r = ClassificationReport.of(model, test);
    Evaluation e = model.evaluate(test);
    assertEquals(e.accuracy(), r.accuracy(), 1e-12);
    for (int c = 0; c < 3; c++) {
      assertArrayEquals(e.confusion()[c], r.confusion()[c], "confusion row " + c);
    }
    assertTrue(r.accuracy() > 0.7, "the blobs are separable, accuracy " + r.accuracy());
    assertEquals(3, r.classes());
    assertEquals(15, r.calibrationBins(), "default bin count");
    assertEquals(120, r.samples());
    // ECE recomputed here from predict()'s probabilities: confidence = the predicted class's probability.
    double ece = 0;
    double[] sumConf = new double[15];
    int[] count = new int[15];
    int[] correct = new int[15];
    float[][] probabilities = model.predict(rows(test));
    for (int i = 0; i < test.rows(); i++) {
      float[] p = probabilities[i];
      int best = 0;
      for (int j = 1; j < 3; j++) {
        if (p[j] > p[best]) {
          best = j;
        }
      }
      int b = Math.min((int) (p[best] * 15), 14);
      sumConf[b] += p[best];
      count[b]++;
      correct[b] += best == test.label(i) ? 1 : 0;
    }
    for (int b = 0; b < 15; b++) {
      if (count[b] > 0) {
        ece += Math.abs((double) correct[b] / count[b] - sumConf[b] / count[b]) * count[b] / test.rows();
      }
    }
    assertEquals(ece, r.calibration().expectedCalibrationError(), 1e-6);
  }

  @Test
  void binaryCrossEntropyReportUsesTheSigmoidProbability() {
    Dataset train = TestData.blobs("two/train", 2, 80, 1.0, 3);
    Dataset test = TestData.blobs("two/test", 2, 60, 1.0, 4);
    TwoBlobsModel model = new TwoBlobsModel();
    model.train(train, TrainOptions.epochs(5).quiet());
    ClassificationReport r = ClassificationReport.of(model, test);
    Evaluation e = model.evaluate(test);
    assertEquals(2, r.classes());
    assertTrue(r.isBinary());
    assertEquals(e.accuracy(), r.accuracy(), 1e-12);
    assertArrayEquals(e.confusion()[0], r.confusion()[0]);
    assertArrayEquals(e.confusion()[1], r.confusion()[1]);
    // AUC as the Mann–Whitney statistic over predict()'s probabilities.
    float[][] p = model.predict(rows(test));
    double wins = 0;
    int pairs = 0;
    for (int i = 0; i < test.rows(); i++) {
      if (test.label(i) != 1) {
        continue;
      }
      float pi = p[i][0];
      for (int j = 0; j < test.rows(); j++) {
        if (test.label(j) == 0) {
          float pj = p[j][0];
          wins += pi > pj ? 1 : pi == pj ? 0.5 : 0;
          pairs++;
        }
      }
    }
    assertEquals(wins / pairs, r.roc().auc(), 1e-12);
    assertTrue(r.roc().auc() > 0.75, "overlapping blobs still rank well, AUC " + r.roc().auc());
  }

  @Test
  void regressionReportMatchesPerSamplePredictions() {
    Dataset train = TestData.plane("plane/train", 400, 5);
    Dataset test = TestData.plane("plane/test", 100, 6);
    PlaneModel model = new PlaneModel();
    model.train(train, TrainOptions.epochs(20).quiet());
    RegressionReport r = RegressionReport.of(model, test);
    assertEquals(2, r.outputs());
    for (int j = 0; j < 2; j++) {
      double sq = 0;
      double abs = 0;
      double mean = 0;
      for (int i = 0; i < test.rows(); i++) {
        mean += test.targets()[2 * i + j] / test.rows();
      }
      double total = 0;
      float[][] predictions = model.predict(rows(test));
      for (int i = 0; i < test.rows(); i++) {
        double y = test.targets()[2 * i + j];
        double err = y - predictions[i][j];
        sq += err * err;
        abs += Math.abs(err);
        total += (y - mean) * (y - mean);
      }
      assertEquals(sq / test.rows(), r.mse(j), 1e-6);
      assertEquals(abs / test.rows(), r.mae(j), 1e-6);
      assertEquals(1 - sq / total, r.r2(j), 1e-5);
    }
    assertTrue(r.r2(0) > 0.8, "the linear target is learnt, R² " + r.r2(0));
    // evaluate() computes the same metrics in the runtime, without this module.
    dev.kiln.runtime.train.Evaluation e = model.evaluate(test);
    for (int j = 0; j < 2; j++) {
      assertEquals(r.mse(j), e.regression().mse(j), 1e-9);
      assertEquals(r.mae(j), e.regression().mae(j), 1e-9);
      assertEquals(r.r2(j), e.regression().r2(j), 1e-9);
    }
    assertEquals(r.r2(), e.r2(), 1e-9);
    assertEquals(r.mse(), e.mse(), 1e-9);
    assertEquals(r.mae(), e.mae(), 1e-9);
  }

  private static float[][] rows(Dataset d) {
    float[][] rows = new float[d.rows()][];
    for (int i = 0; i < d.rows(); i++) {
      rows[i] = d.row(i);
    }
    return rows;
  }

  @Test
  void wrongKindOfModelOrDataIsNamed() {
    PlaneModel regression = new PlaneModel();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.of(regression, TestData.blobs("b", 2, 5, 1, 1)));
    assertTrue(e.getMessage().contains("Plane") && e.getMessage().contains("RegressionReport"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.of(new TwoBlobsModel(), TestData.blobs("three", 3, 5, 1, 1)));
    assertTrue(e.getMessage().contains("'three' has 3 classes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RegressionReport.of(regression, TestData.blobs("labels", 2, 5, 1, 1)));
    assertTrue(e.getMessage().contains("'labels'"), e.getMessage());
  }
}
