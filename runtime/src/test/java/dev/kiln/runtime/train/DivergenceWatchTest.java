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
  private final DivergenceWatch watch = new DivergenceWatch(out, () -> linesEnded++);

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void lossRisingByOrdersOfMagnitudeIsWarnedOnceAndEarly() {
    watch.begin(new float[] {0.1f, -0.1f});
    double[] losses = {2.3, 1.5, 1.0, 0.8, 5, 60, 900, 4000, 9000, 20000, 40000};
    String warning = null;
    int warnedAt = -1;
    for (int b = 0; b < losses.length && warning == null; b++) {
      warning = watch.batch(1, b, losses[b], 1000);
      warnedAt = b;
    }
    assertTrue(warning != null && warning.startsWith("warning: the training loss rose from "), warning);
    assertTrue(warning.endsWith("by epoch 1, batch " + warnedAt + "; the learning rate (1.00e+03) is probably too high"),
        warning);
    assertTrue(warnedAt <= 8, "warned at batch " + warnedAt);
    assertEquals(warning + System.lineSeparator(), printed());
    assertEquals(1, linesEnded); // a progress bar's line is ended first
    // Once per run.
    assertNull(watch.batch(1, 20, 1e9, 1000));
  }

  @Test
  void noisyButHealthyLossesAreNotWarned() {
    watch.begin(new float[] {0.1f});
    // Converging with batches 30x apart (easy and hard batches), and a late bump of 10x.
    for (int b = 0; b < 2000; b++) {
      double base = 2.0 / (1 + b / 50.0);
      double loss = b % 7 == 0 ? base * 30 : base;
      if (b > 1500 && b < 1520) {
        loss *= 10;
      }
      assertNull(watch.batch(1 + b / 100, b % 100, loss, 1e-3));
    }
    assertNull(watch.epochEnd(20, new float[] {0.5f}, 1e-3));
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
    DivergenceWatch quiet = new DivergenceWatch(null, () -> linesEnded++);
    quiet.begin(new float[] {1f});
    assertTrue(quiet.epochEnd(1, new float[] {1000f}, 1) != null);
    assertEquals(0, linesEnded);
  }
}
