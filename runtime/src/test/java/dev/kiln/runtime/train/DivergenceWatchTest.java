package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DivergenceWatchTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private int linesEnded;
  private final double ln10 = Math.log(10);
  private final DivergenceWatch watch = new DivergenceWatch(out, () -> linesEnded++, ln10);

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLossThatJumpsOrdersOfMagnitudeAboveItsStartIsWarnedOnceAndEarly() {
    watch.begin(new float[] {0.1f, -0.1f});
    // The batch losses of Adam at lr 1e3 on the digits: one step sends the loss from 24 to 3e9.
    double[] losses = {23.8, 3.14e9, 9.87e8, 3.13e8, 7.55e5, 2.35e3, 2.91e3, 3.13e3, 5.48e7, 2.03e4};
    String warning = null;
    int warnedAt = -1;
    for (int b = 0; b < losses.length && warning == null; b++) {
      warning = watch.batch(1, b, losses[b], 1000);
      warnedAt = b;
    }
    assertEquals(6, warnedAt); // as soon as the median's window is full
    assertEquals("warning: the training loss (median of the last 7 batches) is 7.550e+05, 3.17e+04 times the 23.80"
        + " it started at, in epoch 1, batch 6; the learning rate (1.00e+03) is probably too high", warning);
    assertEquals(warning + System.lineSeparator(), printed());
    assertEquals(1, linesEnded); // a progress bar's line is ended first
    assertNull(watch.batch(1, 20, 1e9, 1000)); // once per run
  }

  @Test
  void aConvergedModelWhoseFirstBatchWasEasyIsNotFlagged() {
    // Near convergence: typical losses 1e-3, hard batches at 2, and a first batch of 1e-7. Measured
    // against the first batch alone this would be a 10^4-fold rise; the start is ln 10 instead.
    watch.begin(new float[] {0.1f});
    assertNull(watch.batch(1, 0, 1e-7, 1e-3));
    for (int b = 1; b < 5000; b++) {
      assertNull(watch.batch(1, b, b % 4 == 3 ? 2.0 : 1e-3 * (1 + (b % 3)), 1e-3));
    }
    assertEquals("", printed());
  }

  @Test
  void aFewHardBatchesDoNotMakeARise() {
    DivergenceWatch regression = new DivergenceWatch(out, () -> linesEnded++, 0);
    regression.begin(new float[] {0.1f});
    // Regression from a loss of 1: three batches in seven at 500 leave the median alone.
    for (int b = 0; b < 700; b++) {
      assertNull(regression.batch(1, b, b % 7 < 3 && b > 0 ? 500 : 1.0 / (1 + b), 1e-3));
    }
    assertEquals("", printed());
  }

  @Test
  void weightsGrowingByOrdersOfMagnitudeAreWarnedAtTheEpochEnd() {
    watch.begin(new float[] {0.05f, -0.05f, 0.05f, -0.05f});
    assertNull(watch.epochEnd(1, new float[] {0.5f, -0.5f, 0.5f, -0.5f}, 0.1));
    String warning = watch.epochEnd(2, new float[] {6f, -6f, 5f, -5f}, 0.1);
    assertTrue(warning != null && warning.startsWith("warning: the weights grew from RMS 0.05000 to 5.523 (x110)"
        + " by the end of epoch 2"), warning);
    assertNull(watch.epochEnd(3, new float[] {600f, -600f, 500f, -500f}, 0.1));
    assertEquals(warning + System.lineSeparator(), printed());
  }

  @Test
  void quietRunsWarnNowhereButStillDetect() {
    DivergenceWatch quiet = new DivergenceWatch(null, () -> linesEnded++, 0);
    quiet.begin(new float[] {1f});
    assertTrue(quiet.epochEnd(1, new float[] {1000f}, 1) != null);
    assertEquals(0, linesEnded);
  }
}
