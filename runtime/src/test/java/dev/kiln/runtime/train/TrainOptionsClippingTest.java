package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TrainOptionsClippingTest {
  @Test
  void clipBoundsMustBePositiveAndFinite() {
    TrainOptions o = TrainOptions.epochs(1);
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException norm = assertThrows(IllegalArgumentException.class, () -> o.withGradientClipNorm(bad));
      assertEquals("gradientClipNorm must be positive and finite, got " + bad
          + "; use withoutGradientClipping() to turn clipping off", norm.getMessage());
      IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> o.withGradientClipValue(bad));
      assertTrue(value.getMessage().startsWith("gradientClipValue must be positive and finite, got " + bad),
          value.getMessage());
    }
  }

  @Test
  void clippingAndGradientNormsSurviveTheOtherWithers() {
    TrainOptions o = TrainOptions.epochs(2);
    assertNull(o.gradientClipNorm(), "null: the network's declaration applies");
    assertNull(o.gradientClipValue());
    assertFalse(o.gradientNorms());
    TrainOptions set = o.withGradientClipNorm(1.5).withGradientClipValue(0.5).withGradientNorms()
        .withBatchSize(8).quiet().withShuffle(false).withMetrics().withCallbacks();
    assertEquals(1.5, set.gradientClipNorm());
    assertEquals(0.5, set.gradientClipValue());
    assertTrue(set.gradientNorms());
    TrainOptions off = set.withoutGradientClipping();
    assertEquals(0.0, off.gradientClipNorm());
    assertEquals(0.0, off.gradientClipValue());
  }
}
