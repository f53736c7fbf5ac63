package dev.kiln.runtime.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** MSP and energy on known logits, and the threshold chosen on validation scores. */
class OodScoreTest {
  private static final OodScore MSP = OodScore.MAX_SOFTMAX_PROBABILITY;
  private static final OodScore ENERGY = OodScore.ENERGY;

  @Test
  void knownLogits() {
    float[] z = {0, 0, 0, 0};
    assertEquals(0.25, MSP.value(z, 0, 4, Head.SOFTMAX, 1), 1e-15);
    assertEquals(-Math.log(4), ENERGY.value(z, 0, 4, Head.SOFTMAX, 1), 1e-15);
    float[] w = {(float) Math.log(3), 0, 0};
    assertEquals(0.6, MSP.value(w, 0, 3, Head.SOFTMAX, 1), 1e-7);
    assertEquals(-Math.log(5), ENERGY.value(w, 0, 3, Head.SOFTMAX, 1), 1e-7);
    // T_e = 2: E = -2 log(e^{z1/2} + e^{z2/2}) with z = (2, 2): -2 (1 + log 2).
    assertEquals(-2 * (1 + Math.log(2)), ENERGY.value(new float[] {2, 2}, 0, 2, Head.SOFTMAX, 2), 1e-14);
    // Offsets select the sample.
    assertEquals(-Math.log(5), ENERGY.value(new float[] {9, 9, 9, (float) Math.log(3), 0, 0}, 3, 3, Head.SOFTMAX, 1), 1e-7);
  }

  @Test
  void largeLogitsAreStable() {
    float[] z = {1000, 0, 0};
    assertEquals(-1000, ENERGY.value(z, 0, 3, Head.SOFTMAX, 1), 1e-9);
    assertEquals(1, MSP.value(z, 0, 3, Head.SOFTMAX, 1), 0);
    assertEquals(-Math.log(3) + 1000, ENERGY.value(new float[] {-1000, -1000, -1000}, 0, 3, Head.SOFTMAX, 1), 1e-9);
  }

  @Test
  void sigmoidIsTheSoftmaxOverZeroAndZ() {
    for (float z : new float[] {-30, -1.5f, 0, 0.7f, 40}) {
      float[] pair = {0, z};
      assertEquals(ENERGY.value(pair, 0, 2, Head.SOFTMAX, 1.5), ENERGY.value(new float[] {z}, 0, 1, Head.SIGMOID, 1.5), 1e-12);
      assertEquals(MSP.value(pair, 0, 2, Head.SOFTMAX, 1.5), MSP.value(new float[] {z}, 0, 1, Head.SIGMOID, 1.5), 1e-12);
    }
  }

  @Test
  void thresholdAcceptsTheRequestedFraction() {
    double[] msp = new double[100];
    double[] energy = new double[100];
    for (int i = 0; i < 100; i++) {
      msp[i] = 0.5 + i / 200.0; // 0.5 .. 0.995
      energy[i] = -i; // 0 .. -99
    }
    OodDetector m = OodDetector.fit(msp, MSP, 1, 0.95);
    assertEquals(0.5 + 5 / 200.0, m.threshold(), 1e-15); // the 95 highest are accepted
    assertEquals(0.05, m.flaggedFraction(msp), 1e-15);
    assertTrue(m.flags(0.52));
    assertFalse(m.flags(0.525));
    OodDetector e = OodDetector.fit(energy, ENERGY, 1, 0.95);
    assertEquals(-5, e.threshold()); // the 95 lowest energies (-99 .. -5) are accepted
    assertEquals(0.05, e.flaggedFraction(energy), 1e-15);
    assertTrue(e.flags(-4.5));
    assertFalse(e.flags(-5));
    // Ties at the threshold are all accepted.
    double[] tied = new double[20];
    Arrays.fill(tied, 3);
    assertEquals(0, OodDetector.fit(tied, ENERGY, 1, 0.5).flaggedFraction(tied));
    assertEquals(0, OodDetector.fit(new double[] {7}, ENERGY, 1, 0.95).flaggedFraction(new double[] {7}));
  }

  @Test
  void badThresholdInput() {
    CalibrationMetricsTest.assertMessage(() -> OodDetector.fit(new double[0], ENERGY, 1, 0.95), "no in-distribution");
    CalibrationMetricsTest.assertMessage(() -> OodDetector.fit(new double[] {1}, ENERGY, 1, 0), "accept rate");
    CalibrationMetricsTest.assertMessage(
        () -> OodDetector.fit(new double[] {1, Double.NaN}, ENERGY, 1, 0.9), "validation sample 1 is NaN");
    CalibrationMetricsTest.assertMessage(() -> OodScore.ofKey("odin"), "unknown out-of-distribution score 'odin'");
  }
}
