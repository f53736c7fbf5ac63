package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClassificationReportTest {
  private static final double EPS = 1e-9;

  /** Six samples, three classes; predicted = argmax, true labels below. */
  private static ClassificationReport handMade() {
    int[] labels = {0, 0, 0, 1, 1, 2};
    int[] predicted = {0, 0, 1, 1, 2, 2};
    float[] p = new float[6 * 3];
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 3; j++) {
        p[i * 3 + j] = j == predicted[i] ? 0.8f : 0.1f;
      }
    }
    return ClassificationReport.fromProbabilities(p, 3, labels, 10);
  }

  @Test
  void precisionRecallF1MatchHandComputedValues() {
    ClassificationReport r = handMade();
    assertArrayEquals(new int[] {2, 1, 0}, r.confusion()[0]);
    assertArrayEquals(new int[] {0, 1, 1}, r.confusion()[1]);
    assertArrayEquals(new int[] {0, 0, 1}, r.confusion()[2]);
    assertEquals(4.0 / 6, r.accuracy(), EPS);
    // class 0: tp 2, fp 0, fn 1
    assertMetrics(r.perClass(0), 1.0, 2.0 / 3, 0.8, 3);
    // class 1: tp 1, fp 1, fn 1
    assertMetrics(r.perClass(1), 0.5, 0.5, 0.5, 2);
    // class 2: tp 1, fp 1, fn 0
    assertMetrics(r.perClass(2), 0.5, 1.0, 2.0 / 3, 1);
    assertMetrics(r.macroAverage(), 2.0 / 3, 13.0 / 18, (0.8 + 0.5 + 2.0 / 3) / 3, 6);
    assertMetrics(r.weightedAverage(), 4.5 / 6, 4.0 / 6, (3 * 0.8 + 2 * 0.5 + 2.0 / 3) / 6, 6);
  }

  private static void assertMetrics(ClassMetrics m, double p, double r, double f1, int support) {
    assertEquals(p, m.precision(), EPS, m.name() + " precision");
    assertEquals(r, m.recall(), EPS, m.name() + " recall");
    assertEquals(f1, m.f1(), EPS, m.name() + " f1");
    assertEquals(support, m.support(), m.name() + " support");
  }

  @Test
  void neverPredictedClassHasZeroPrecisionAndUnusedClassIsLeftOutOfTheMacroAverage() {
    // Four outputs; class 3 never occurs, class 1 is never predicted.
    float[] p = {
      0.7f, 0.1f, 0.1f, 0.1f, // label 0 -> 0
      0.7f, 0.1f, 0.1f, 0.1f, // label 1 -> 0
      0.1f, 0.1f, 0.7f, 0.1f, // label 2 -> 2
    };
    ClassificationReport r = ClassificationReport.fromProbabilities(p, 4, new int[] {0, 1, 2}, 15);
    assertMetrics(r.perClass(1), 0, 0, 0, 1);
    assertMetrics(r.perClass(3), 0, 0, 0, 0);
    // classes 0 (P 0.5, R 1), 1 (0, 0), 2 (1, 1); class 3 is not averaged
    assertEquals((0.5 + 0 + 1) / 3, r.macroAverage().precision(), EPS);
    assertEquals((1 + 0 + 1) / 3.0, r.macroAverage().recall(), EPS);
  }

  @Test
  void rocAndAucWithTiedScoresMatchHandComputedCurve() {
    // Positives score {0.9, 0.8, 0.5, 0.1}, negatives {0.8, 0.5, 0.3}: the 0.8 and 0.5 pairs tie.
    float[] p1 = {0.9f, 0.8f, 0.8f, 0.5f, 0.5f, 0.3f, 0.1f};
    int[] labels = {1, 1, 0, 1, 0, 0, 1};
    RocCurve roc = ClassificationReport.fromProbabilities(p1, 1, labels, 15).roc();
    // Mann–Whitney: 3 + (1 + 0.5 + 1) + (0.5 + 1) + 0 = 7 of 12 pairs.
    assertEquals(7.0 / 12, roc.auc(), EPS);
    assertArrayEquals(new double[] {0, 0, 1.0 / 3, 2.0 / 3, 1, 1}, roc.falsePositiveRate(), EPS);
    assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 0.75, 1}, roc.truePositiveRate(), EPS);
    assertEquals(Double.POSITIVE_INFINITY, roc.thresholds()[0]);
    assertEquals(0.8f, roc.thresholds()[2], 0);

    // A two-output softmax model with the same probability of class 1 has the same curve.
    float[] p2 = new float[2 * p1.length];
    for (int i = 0; i < p1.length; i++) {
      p2[2 * i] = 1 - p1[i];
      p2[2 * i + 1] = p1[i];
    }
    assertEquals(7.0 / 12, ClassificationReport.fromProbabilities(p2, 2, labels, 15).roc().auc(), EPS);
  }

  @Test
  void aucEqualsMannWhitneyOnManyTies() {
    SplittableRandom rng = new SplittableRandom(4);
    int n = 500;
    float[] p = new float[n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rng.nextInt(2);
      // Coarse scores (11 levels) so most pairs tie; positives lean higher.
      p[i] = Math.min(10, rng.nextInt(8) + 3 * labels[i]) / 10f;
    }
    double wins = 0;
    int pos = 0;
    int neg = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] == 1) {
        pos++;
        for (int j = 0; j < n; j++) {
          if (labels[j] == 0) {
            wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
          }
        }
      } else {
        neg++;
      }
    }
    double expected = wins / ((double) pos * neg);
    assertEquals(expected, ClassificationReport.fromProbabilities(p, 1, labels, 15).roc().auc(), 1e-12);
  }

  @Test
  void aucIsNaNWithOneClassAndRocNeedsTwoClasses() {
    ClassificationReport single = ClassificationReport.fromProbabilities(new float[] {0.2f, 0.9f}, 1, new int[] {1, 1}, 15);
    assertTrue(Double.isNaN(single.roc().auc()));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> handMade().roc());
    assertTrue(e.getMessage().contains("3 classes"), e.getMessage());
  }

  @Test
  void expectedCalibrationErrorMatchesHandExample() {
    float[] p = {
      0.9f, 0.05f, 0.05f, // label 0: right, confidence 0.9
      0.85f, 0.1f, 0.05f, // label 1: wrong, confidence 0.85
      0.3f, 0.5f, 0.2f, // label 1: right, confidence 0.5
      0.45f, 0.35f, 0.2f, // label 2: wrong, confidence 0.45
    };
    Calibration c = ClassificationReport.fromProbabilities(p, 3, new int[] {0, 1, 1, 2}, 5).calibration();
    assertEquals(5, c.bins().size());
    CalibrationBin high = c.bins().get(4);
    assertEquals(2, high.count());
    assertEquals(0.875, high.meanConfidence(), 1e-6);
    assertEquals(0.5, high.accuracy(), EPS);
    CalibrationBin middle = c.bins().get(2);
    assertEquals(2, middle.count());
    assertEquals(0.475, middle.meanConfidence(), 1e-6);
    assertEquals(0.5, middle.accuracy(), EPS);
    assertTrue(c.bins().get(0).isEmpty() && Double.isNaN(c.bins().get(0).accuracy()));
    assertEquals(2, c.nonEmptyBins().size());
    // ECE = 2/4 · |0.5 − 0.875| + 2/4 · |0.5 − 0.475|
    assertEquals(0.2, c.expectedCalibrationError(), 1e-6);
  }

  @Test
  void binaryConfidenceIsTheProbabilityOfThePredictedClass() {
    // p = 0.15 predicts class 0 with confidence 0.85 (right); p = 0.75 predicts class 1 with
    // confidence 0.75 (wrong). Values kept off the bin edges, where float rounding decides.
    ClassificationReport r = ClassificationReport.fromProbabilities(new float[] {0.15f, 0.75f}, 1, new int[] {0, 0}, 10);
    assertEquals(0.5, r.accuracy(), EPS);
    Calibration c = r.calibration();
    assertEquals(1, c.bins().get(8).count());
    assertEquals(1.0, c.bins().get(8).accuracy(), EPS);
    assertEquals(1, c.bins().get(7).count());
    assertEquals(0.0, c.bins().get(7).accuracy(), EPS);
    assertEquals(0.5 * (1 - 0.85) + 0.5 * 0.75, c.expectedCalibrationError(), 1e-6);
  }

  @Test
  void binCountIsConfigurable() {
    assertEquals(15, ClassificationReport.DEFAULT_CALIBRATION_BINS);
    assertEquals(10, handMade().calibrationBins());
    float[] p = {0.6f, 0.4f};
    assertEquals(7, ClassificationReport.fromProbabilities(p, 2, new int[] {0}, 7).calibration().bins().size());
  }

  @Test
  void textTableLooksLikeScikitLearns() {
    String text = handMade().withClassNames(List.of("cat", "dog", "bird")).toString();
    assertTrue(text.contains("precision"), text);
    assertTrue(text.matches("(?s).*\\n\\s+cat\\s+1\\.00\\s+0\\.67\\s+0\\.80\\s+3\\n.*"), text);
    assertTrue(text.matches("(?s).*\\n\\s+accuracy\\s+0\\.67\\s+6\\n.*"), text);
    assertTrue(text.matches("(?s).*\\n\\s*macro avg\\s+0\\.67\\s+0\\.72\\s+0\\.66\\s+6\\n.*"), text);
    assertTrue(text.matches("(?s).*\\nweighted avg\\s+0\\.75\\s+0\\.67\\s+0\\.68\\s+6\\n.*"), text);
    assertTrue(text.contains("expected calibration error"), text);
  }

  @Test
  void badInputIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> ClassificationReport.fromProbabilities(new float[] {0.5f, 1.5f}, 1, new int[] {0, 1}, 15));
    assertTrue(e.getMessage().contains("sample 1") && e.getMessage().contains("1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.fromProbabilities(new float[] {0.5f, 0.5f}, 2, new int[] {2}, 15));
    assertTrue(e.getMessage().contains("label of sample 0 is 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.fromProbabilities(new float[] {0.5f}, 2, new int[] {0}, 15));
    assertTrue(e.getMessage().contains("expected 1 samples x 2 outputs"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> handMade().withClassNames(List.of("a")));
    assertTrue(e.getMessage().contains("expected 3 class names"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ClassificationReport.fromProbabilities(new float[] {0.5f}, 1, new int[] {0}, 0));
  }
}
