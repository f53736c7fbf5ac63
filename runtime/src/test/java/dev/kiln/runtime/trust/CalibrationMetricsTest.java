package dev.kiln.runtime.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ECE, NLL and Brier score on cases small enough to compute by hand. */
class CalibrationMetricsTest {
  private static final float LN3 = (float) Math.log(3);

  @Test
  void softmaxByHand() {
    // Sample 0: logits (0, 0, 0) -> p = 1/3 each, label 0: predicted 0 (first of the ties), right.
    // Sample 1: logits (ln 3, 0, 0) -> p = (0.6, 0.2, 0.2), label 1: predicted 0, wrong.
    float[] z = {0, 0, 0, LN3, 0, 0};
    CalibrationMetrics m = CalibrationMetrics.of(z, 3, new int[] {0, 1}, Head.SOFTMAX, 1, 10);
    assertEquals((Math.log(3) + Math.log(5)) / 2, m.negativeLogLikelihood(), 1e-6);
    // (1/3 - 1)^2 + 2 (1/3)^2 = 2/3; (0.6)^2 + (0.2 - 1)^2 + (0.2)^2 = 1.04.
    assertEquals((2.0 / 3 + 1.04) / 2, m.brier(), 1e-6);
    // Bin 3 holds confidence 1/3 with accuracy 1, bin 6 confidence 0.6 with accuracy 0.
    assertEquals(0.5 * (2.0 / 3) + 0.5 * 0.6, m.expectedCalibrationError(), 1e-6);
    assertEquals(1, m.reliability().counts()[3]);
    assertEquals(1, m.reliability().counts()[6]);
    assertEquals(2, m.samples());
  }

  @Test
  void temperatureDividesTheLogits() {
    float[] z = {0, 0, 0, 2 * LN3, 0, 0};
    CalibrationMetrics m = CalibrationMetrics.of(z, 3, new int[] {0, 1}, Head.SOFTMAX, 2, 10);
    assertEquals((Math.log(3) + Math.log(5)) / 2, m.negativeLogLikelihood(), 1e-6);
    assertEquals((2.0 / 3 + 1.04) / 2, m.brier(), 1e-6);
  }

  @Test
  void sigmoidByHand() {
    // z = 0, label 1: p = 0.5, predicted 1 (p >= 0.5), right, confidence 0.5, NLL ln 2, Brier 0.25.
    // z = ln 3, label 0: p = 0.75, predicted 1, wrong, confidence 0.75, NLL ln 4, Brier 0.5625.
    CalibrationMetrics m =
        CalibrationMetrics.of(new float[] {0, LN3}, 1, new int[] {1, 0}, Head.SIGMOID, 1, 4);
    assertEquals((Math.log(2) + Math.log(4)) / 2, m.negativeLogLikelihood(), 1e-6);
    assertEquals((0.25 + 0.5625) / 2, m.brier(), 1e-6);
    // Bin 2 = [0.5, 0.75): accuracy 1, confidence 0.5; bin 3: accuracy 0, confidence 0.75.
    assertEquals(0.5 * 0.5 + 0.5 * 0.75, m.expectedCalibrationError(), 1e-6);
  }

  @Test
  void hugeLogitsGiveFiniteLosses() {
    float[] z = {1e4f, -1e4f, 0};
    CalibrationMetrics m = CalibrationMetrics.of(z, 3, new int[] {1}, Head.SOFTMAX, 1, 15);
    assertEquals(2e4, m.negativeLogLikelihood(), 1e-6 * 2e4);
    assertEquals(2, m.brier(), 1e-12);
    CalibrationMetrics s = CalibrationMetrics.of(new float[] {-1e4f}, 1, new int[] {1}, Head.SIGMOID, 1, 15);
    assertEquals(1e4, s.negativeLogLikelihood(), 1e-2);
  }

  @Test
  void badInputIsRefusedByName() {
    assertMessage(() -> CalibrationMetrics.of(new float[0], 3, new int[0], Head.SOFTMAX, 1, 15), "no samples");
    assertMessage(
        () -> CalibrationMetrics.of(new float[5], 3, new int[] {0, 1}, Head.SOFTMAX, 1, 15),
        "logits hold 5 values, expected 2 samples x 3");
    assertMessage(
        () -> CalibrationMetrics.of(new float[6], 3, new int[] {0, 3}, Head.SOFTMAX, 1, 15),
        "label of sample 1 is 3");
    assertMessage(
        () -> CalibrationMetrics.of(new float[] {0, Float.NaN}, 1, new int[] {0, 1}, Head.SIGMOID, 1, 15),
        "logit 0 of sample 1 is NaN");
    assertMessage(
        () -> CalibrationMetrics.of(new float[3], 3, new int[] {0}, Head.SOFTMAX, 0, 15), "temperature");
    assertMessage(
        () -> CalibrationMetrics.of(new float[2], 2, new int[] {0}, Head.SIGMOID, 1, 15), "exactly 1 logit");
    assertMessage(
        () -> CalibrationMetrics.of(new float[3], 3, new int[] {0}, Head.SOFTMAX, 1, 0), "at least 1");
  }

  static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
