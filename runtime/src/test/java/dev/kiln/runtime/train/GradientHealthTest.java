package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rules of {@link GradientHealth} on histories made by hand. */
class GradientHealthTest {
  private static final GradientHealth HEALTH = new GradientHealth(1e-4, 100, 1e-6, 0.1, null);

  private static EpochStats epoch(int epoch, double total, double[] norms, double[] ratios) {
    Map<String, Double> layers = new LinkedHashMap<>();
    Map<String, Double> updates = new LinkedHashMap<>();
    String[] names = {"rnn", "hidden", "out"};
    for (int i = 0; i < norms.length; i++) {
      layers.put(names[i], norms[i]);
      updates.put(names[i], ratios[i]);
    }
    return new EpochStats(epoch, 1.0, Double.NaN, Double.NaN, Double.NaN, 1.0, 100.0, Map.of(),
        new GradientNorms(total, layers, updates));
  }

  private static History history(EpochStats... epochs) {
    History h = new History();
    for (EpochStats e : epochs) {
      h.add(e);
    }
    return h;
  }

  @Test
  void aHealthyRunGivesNoWarning() {
    History h = history(
        epoch(1, 2.0, new double[] {0.5, 1.0, 1.5}, new double[] {1e-3, 2e-3, 1e-3}),
        epoch(2, 3.0, new double[] {0.4, 1.2, 2.0}, new double[] {8e-4, 1e-3, 9e-4}));
    assertEquals(List.of(), HEALTH.check(h));
  }

  @Test
  void aLayerFarBelowTheLargestVanishes() {
    History h = history(epoch(1, 2.0, new double[] {1e-5, 1.0, 1.5}, new double[] {1e-3, 1e-3, 1e-3}));
    List<GradientHealth.Warning> w = HEALTH.check(h);
    assertEquals(1, w.size());
    assertEquals(GradientHealth.Kind.VANISHING_GRADIENT, w.get(0).kind());
    assertEquals("rnn", w.get(0).layer());
    assertEquals(1e-5 / 1.5, w.get(0).value(), 1e-15);
    assertTrue(w.get(0).message().contains("layer 'out'"), w.get(0).message());
  }

  @Test
  void aTotalFarAboveTheSmallestEarlierOneExplodes() {
    History h = history(
        epoch(1, 2.0, new double[] {1.0}, new double[] {1e-3}),
        epoch(2, 1.0, new double[] {1.0}, new double[] {1e-3}),
        epoch(3, 150.0, new double[] {150.0}, new double[] {1e-3}));
    List<GradientHealth.Warning> w = HEALTH.check(h);
    assertEquals(1, w.size());
    assertEquals(GradientHealth.Kind.EXPLODING_GRADIENT, w.get(0).kind());
    assertEquals(3, w.get(0).epoch());
    assertEquals(150.0, w.get(0).value());
    assertEquals(null, w.get(0).layer());
  }

  @Test
  void updateRatiosOutsideTheBoundsWarn() {
    History h = history(epoch(1, 2.0, new double[] {1.0, 1.0}, new double[] {1e-7, 0.5}));
    List<GradientHealth.Warning> w = HEALTH.check(h);
    assertEquals(List.of(GradientHealth.Kind.STALLED_UPDATES, GradientHealth.Kind.LARGE_UPDATES),
        w.stream().map(GradientHealth.Warning::kind).toList());
    assertEquals(List.of("rnn", "hidden"), w.stream().map(GradientHealth.Warning::layer).toList());
  }

  @Test
  void frozenLayersAndEpochsWithoutNormsAreSkipped() {
    History h = history(
        new EpochStats(1, 1.0, Double.NaN, Double.NaN, Double.NaN, 1.0, 100.0, Map.of(), null),
        epoch(2, 2.0, new double[] {Double.NaN, 1.0}, new double[] {Double.NaN, 1e-3}));
    assertEquals(List.of(), HEALTH.check(h));
  }

  @Test
  void badBoundsAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new GradientHealth(1e-4, 100, 0.2, 0.1, null));
    assertEquals("need 0 < minUpdateRatio < maxUpdateRatio, got 0.2 and 0.1", e.getMessage());
  }
}
