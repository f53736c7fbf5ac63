package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private long now;

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rendersBarEtaMetricsAndThroughput() {
    // ETA = elapsed per finished batch × batches left: 12 s / 120 × 105 = 10.5 s.
    assertEquals(
        "epoch 3/10 [================>.............] 120/225  ETA 0:11  loss 0.4123  acc 0.8712"
            + "  320 samples/s",
        ProgressDisplay.render(3, 10, 120, 225, 12.0, 3840, 0.41234, 0.87123));
    assertEquals(
        "epoch 1/1 [>.............................] 0/7  ETA ?",
        ProgressDisplay.render(1, 1, 0, 7, 0, 0, Double.NaN, Double.NaN));
    // Regression: no accuracy.
    assertEquals(
        "epoch 2/2 [==============================] 4/4  ETA 0:00  loss 1.5000  2,000 samples/s",
        ProgressDisplay.render(2, 2, 4, 4, 2.0, 4000, 1.5, Double.NaN));
  }

  @Test
  void durationsAndBar() {
    assertEquals("0:00", ProgressDisplay.duration(0.2));
    assertEquals("1:05", ProgressDisplay.duration(65));
    assertEquals("1:01:01", ProgressDisplay.duration(3661));
    assertEquals("[" + "=".repeat(15) + ">" + ".".repeat(14) + "]", ProgressDisplay.barText(1, 2));
    assertEquals("[" + "=".repeat(30) + "]", ProgressDisplay.barText(5, 5));
  }

  @Test
  void terminalBarRedrawsAtMostTenTimesASecondAndEndsWithTheEpochLine() {
    TrainOptions options = TrainOptions.epochs(2).quiet();
    ProgressDisplay display = new ProgressDisplay(out, true, () -> now);
    FakeRun fake = new FakeRun(options.withCallbacks(display), 20 * 8, 8, true);
    fake.run.begin(java.util.Map.of());
    fake.run.epochBegin(1);
    for (int b = 0; b < 20; b++) {
      fake.run.batchBegin(b);
      now += 30_000_000L; // 30 ms per step: 600 ms per epoch
      fake.run.batchEnd(8, 0.5 * 8, 6);
    }
    fake.run.epochEnd(new EpochStats(1, 0.5, 0.75, 0.6, 0.7, 0.6, 266.7));
    String text = output();
    // One draw at the start, then one per 100 ms: at 120, 240, 360, 480, 600 ms; then the final line.
    assertEquals(7, text.chars().filter(c -> c == '\r').count(), text);
    assertTrue(text.endsWith("\n"));
    assertEquals(1, text.chars().filter(c -> c == '\n').count());
    String[] frames = text.split("\r");
    assertEquals("epoch 1/2 [>.............................] 0/20  ETA ?", frames[1]);
    assertTrue(frames[2].startsWith("epoch 1/2 [======>.......................] 4/20  ETA 0:00  loss 0.5000  acc 0.7500"), frames[2]);
    EpochStats stats = new EpochStats(1, 0.5, 0.75, 0.6, 0.7, 0.6, 266.7);
    assertEquals(
        "epoch 1/2 " + ProgressDisplay.barText(20, 20) + " 20/20" + stats.format(2).substring("epoch 1/2".length()) + "\n",
        frames[frames.length - 1]);
    assertTrue(frames[frames.length - 1].contains("  val_loss "));
  }

  @Test
  void withoutTerminalPrintsOnePlainLinePerEpoch() {
    TrainOptions options = TrainOptions.epochs(3).withOutput(out); // BATCHES, but not a terminal
    FakeRun fake = new FakeRun(options, 100, 10, true);
    fake.run.begin(java.util.Map.of());
    for (int e = 1; e <= 3; e++) {
      fake.epoch(e, 1.0 / e, 0.5, 1.1 / e, 0.4);
    }
    fake.run.end();
    String text = output();
    assertFalse(text.contains("\r"), "no redraws outside a terminal");
    List<String> lines = text.lines().toList();
    assertEquals(3, lines.size(), text);
    assertEquals(new EpochStats(2, 0.5, 0.5, 0.55, 0.4, 1.5, 1000).format(3), lines.get(1));
    assertTrue(lines.get(0).startsWith("epoch 1/3  loss 1.0000  acc 0.5000  val_loss 1.1000  val_acc 0.4000"));
  }

  @Test
  void quietPrintsNothingAndEpochsVerbosityNeverDrawsABar() {
    FakeRun quiet = new FakeRun(TrainOptions.epochs(1).quiet().withOutput(out), 10, 5, true);
    quiet.run.begin(java.util.Map.of());
    quiet.epoch(1, 1, 1, 1, 1);
    assertEquals("", output());
    FakeRun lines = new FakeRun(TrainOptions.epochs(1).withVerbosity(Verbosity.EPOCHS).withOutput(out), 10, 5, true);
    lines.run.begin(java.util.Map.of());
    lines.epoch(1, 1, 1, 1, 1);
    assertEquals(1, output().lines().count());
    assertFalse(output().contains("\r"));
  }
}
