package dev.kiln.runtime.train;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress output of {@code train}: on a terminal a bar per epoch redrawn in place with
 * {@code '\r'} at most every {@link #REDRAW_NANOS}, otherwise one plain line per epoch
 * ({@link EpochStats#format}). Added by {@link TrainingRun} unless training is quiet.
 */
final class ProgressDisplay implements Callback {
  /** Minimum time between two redraws of the bar: ten per second. */
  static final long REDRAW_NANOS = 100_000_000L;

  /** Characters between the brackets of the bar. */
  static final int BAR_WIDTH = 30;

  private final PrintStream out;
  private final boolean bar;
  private final LongSupplier clock;
  private long epochStart;
  private long lastDraw;
  private int lastLength;
  private boolean lineOpen;

  /**
   * @param out where to print
   * @param bar true to draw the in-place bar (only sensible on a terminal)
   * @param clock nanosecond clock, {@code System::nanoTime} outside tests
   */
  ProgressDisplay(PrintStream out, boolean bar, LongSupplier clock) {
    this.out = out;
    this.bar = bar;
    this.clock = clock;
  }

  /** Whether {@code out} is standard output attached to a terminal (JDK 22+ {@code isTerminal}). */
  static boolean isTerminal(PrintStream out) {
    if (out != System.out) {
      return false;
    }
    Console console = System.console();
    return console != null && console.isTerminal();
  }

  @Override
  public void onTrainBegin(TrainingContext c) {
    if (c.startEpoch() > 1) {
      out.println(
          "resuming after epoch " + (c.startEpoch() - 1) + " of " + c.network());
    }
  }

  @Override
  public void onEpochBegin(TrainingContext c) {
    epochStart = clock.getAsLong();
    lastDraw = epochStart;
    if (bar) {
      draw(c, epochStart);
    }
  }

  @Override
  public void onBatchEnd(TrainingContext c) {
    if (!bar) {
      return;
    }
    long now = clock.getAsLong();
    if (now - lastDraw >= REDRAW_NANOS) {
      draw(c, now);
    }
  }

  @Override
  public void onEpochEnd(TrainingContext c) {
    EpochStats stats = c.history().last();
    String line = stats.format(c.epochs());
    if (!bar) {
      out.println(line);
      return;
    }
    String head = String.format(Locale.ROOT, "epoch %d/%d", stats.epoch(), c.epochs());
    String tail = line.startsWith(head) ? line.substring(head.length()) : "  " + line;
    String text =
        head + " " + barText(c.batches(), c.batches())
            + String.format(Locale.ROOT, " %d/%d", c.batches(), c.batches()) + tail;
    out.print("\r" + text + padding(text.length()) + "\n");
    out.flush();
    lineOpen = false;
    lastLength = 0;
  }

  /** Ends a bar line left open by an exception or a divergence. */
  void abandonLine() {
    if (lineOpen) {
      out.println();
      out.flush();
      lineOpen = false;
      lastLength = 0;
    }
  }

  private void draw(TrainingContext c, long now) {
    lastDraw = now;
    int done = Math.max(c.batch() + 1, 0);
    String text =
        render(
            c.epoch(),
            c.epochs(),
            done,
            c.batches(),
            (now - epochStart) / 1e9,
            c.samplesSeen(),
            c.runningLoss(),
            c.runningAccuracy());
    out.print("\r" + text + padding(text.length()));
    out.flush();
    lineOpen = true;
    lastLength = text.length();
  }

  private String padding(int length) {
    return length < lastLength ? " ".repeat(lastLength - length) : "";
  }

  /**
   * One redraw of the bar, e.g. {@code epoch 3/10 [=======>......] 120/225  ETA 0:04  loss 0.4123
   * acc 0.8712  5,321 samples/s}. ETA is the elapsed time per finished batch times the batches left.
   */
  static String render(
      int epoch,
      int epochs,
      int done,
      int batches,
      double elapsedSeconds,
      long samples,
      double loss,
      double accuracy) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "epoch %d/%d ", epoch, epochs));
    s.append(barText(done, batches));
    s.append(String.format(Locale.ROOT, " %d/%d", done, batches));
    s.append("  ETA ")
        .append(done == 0 ? "?" : duration(elapsedSeconds / done * (batches - done)));
    if (!Double.isNaN(loss)) {
      s.append(String.format(Locale.ROOT, "  loss %.4f", loss));
    }
    if (!Double.isNaN(accuracy)) {
      s.append(String.format(Locale.ROOT, "  acc %.4f", accuracy));
    }
    if (elapsedSeconds > 0 && samples > 0) {
      s.append(String.format(Locale.ROOT, "  %,.0f samples/s", samples / elapsedSeconds));
    }
    return s.toString();
  }

  /** {@code [=====>....]}: {@link #BAR_WIDTH} characters, '=' for done, '>' at the head. */
  static String barText(int done, int batches) {
    int filled = batches == 0 ? BAR_WIDTH : (int) ((long) done * BAR_WIDTH / batches);
    StringBuilder s = new StringBuilder(BAR_WIDTH + 2).append('[');
    for (int i = 0; i < BAR_WIDTH; i++) {
      s.append(i < filled ? '=' : i == filled ? '>' : '.');
    }
    return s.append(']').toString();
  }

  /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
  static String duration(double seconds) {
    long t = Math.round(Math.max(seconds, 0));
    long h = t / 3600;
    long m = t / 60 % 60;
    long sec = t % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
        : String.format(Locale.ROOT, "%d:%02d", m, sec);
  }
}
