package dev.kiln.runtime.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The rank-based AUROC against a direct count over all pairs, ties counting one half. */
class AurocTest {
  private static double pairwise(double[] pos, double[] neg) {
    double wins = 0;
    for (double p : pos) {
      for (double n : neg) {
        wins += p > n ? 1 : p == n ? 0.5 : 0;
      }
    }
    return wins / ((double) pos.length * neg.length);
  }

  @Test
  void equalsThePairwiseCountWithManyTies() {
    SplittableRandom r = new SplittableRandom(12);
    for (int trial = 0; trial < 50; trial++) {
      int np = 1 + r.nextInt(60);
      int nn = 1 + r.nextInt(60);
      double[] pos = new double[np];
      double[] neg = new double[nn];
      int levels = 1 + r.nextInt(8); // few distinct values: ties within and across the sets
      for (int i = 0; i < np; i++) {
        pos[i] = r.nextInt(levels) + (trial % 2 == 0 ? 1 : 0);
      }
      for (int i = 0; i < nn; i++) {
        neg[i] = r.nextInt(levels);
      }
      assertEquals(pairwise(pos, neg), Auroc.of(pos, neg), 1e-12, "trial " + trial);
    }
  }

  @Test
  void smallCases() {
    assertEquals(1, Auroc.of(new double[] {2, 3}, new double[] {0, 1}));
    assertEquals(0, Auroc.of(new double[] {0}, new double[] {1, 2}));
    assertEquals(0.5, Auroc.of(new double[] {1, 1}, new double[] {1}));
    // pairs: (2 vs 1) win, (2 vs 2) half, (0 vs 1) loss, (0 vs 2) loss: 1.5 / 4.
    assertEquals(0.375, Auroc.of(new double[] {2, 0}, new double[] {1, 2}));
    assertEquals(Double.NaN, Auroc.of(new double[0], new double[] {1}));
    assertEquals(1, Auroc.of(new double[] {Double.POSITIVE_INFINITY}, new double[] {Double.NEGATIVE_INFINITY, 0}));
  }

  @Test
  void nanIsRefused() {
    CalibrationMetricsTest.assertMessage(
        () -> Auroc.of(new double[] {1}, new double[] {0, Double.NaN}), "score 1 of the negative samples is NaN");
  }
}
