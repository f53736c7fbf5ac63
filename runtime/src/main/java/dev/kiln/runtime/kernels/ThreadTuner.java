package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * Chooses, by measurement while training runs, between the configured thread count and one thread,
 * so that training on several threads is never slower than on one.
 *
 * <p>Why: on shared 2-vCPU machines a two-thread run sometimes goes slower than a one-thread run for
 * minutes at a time, because the second vCPU is busy with something else or shares a physical core
 * with the first (the host decides, and it changes while a run goes on). No property of the program
 * tells these cases apart beforehand; the step time does. A trial runs a block of steps on one thread
 * and a block on the configured count; it times the last {@link #PROBES} steps of each (the first
 * {@link #SETTLE} after a switch still move data between the cores' caches) and runs on one thread
 * until the next trial when that block's median step time was at least 5 % lower, else on the
 * configured count. The first trial comes after
 * {@link #WARM_UP} steps; the JIT compiler is often still at work then, so the next comes
 * {@link #FIRST_GAP} steps later and the gaps double up to {@link #PERIOD} steps. Kernel results do not depend on the thread
 * count, so the switches never change a number, only the time.
 *
 * <p>Off unless {@code -Dkiln.threadTuning=true} ({@code =verbose} also prints every decision to
 * standard error). On the 2-vCPU machines it was measured on, one and two threads differ by 5-15 % in
 * training, less than the machine's own swing from run to run, and four steps per setting do not
 * tell them apart reliably: over ten back-to-back runs the median two-thread speed-up was 1.08x
 * without the tuner and 1.02x with it. It pays where the two settings differ by more than that.
 * Cost when the configured count is the right one: {@code BLOCK} of every {@code PERIOD} steps run
 * on one thread.
 *
 * <p>Use: {@link #stepBegin()} and {@link #stepEnd()} around each training step, {@link #close()} at
 * the end, which restores the configured count. Allocates nothing per step.
 */
public final class ThreadTuner implements AutoCloseable {
  /** Steps between the starts of two trials, once the JIT has settled. */
  static final int PERIOD = 256;
  /** Steps between the first two trials; the gap doubles up to PERIOD (early steps still compile). */
  static final int FIRST_GAP = 32;
  /** Timed steps per setting in a trial. */
  static final int PROBES = 4;
  /**
   * Untimed steps after each switch: the first steps after a change of thread count move the weights,
   * gradients and optimizer state between the cores' caches and would make whichever setting comes
   * second look slow.
   */
  static final int SETTLE = 2;
  /** Steps per setting in a trial. */
  static final int BLOCK = SETTLE + PROBES;
  /** One thread is chosen when its median step time is below this fraction of the configured count's. */
  static final double MARGIN = 0.95;
  /** Steps before the first trial (JIT warm-up). */
  static final int WARM_UP = 24;

  private static final String MODE = System.getProperty("kiln.threadTuning", "false").trim();

  private final int configured;
  private final boolean active;
  private final boolean verbose;
  private final long[] many = new long[PROBES];
  private final long[] one = new long[PROBES];
  private final long[] sorted = new long[PROBES];
  private int step;
  /** Step at which the current or next trial starts. */
  private int trialStart = WARM_UP;
  /** Steps from this trial's start to the next one's: FIRST_GAP, doubling up to PERIOD. */
  private int gap = FIRST_GAP;
  private int chosen;
  private long t0;
  private int manySteps;
  private int oneSteps;

  private ThreadTuner(int configured, boolean active, boolean verbose) {
    this.configured = configured;
    this.active = active;
    this.verbose = verbose;
    this.chosen = configured;
  }

  /**
   * A tuner over the current {@link Parallelism#threads()} count: active when that is above 1 and
   * {@code -Dkiln.threadTuning=true} (or {@code verbose}); otherwise every call does nothing.
   */
  public static ThreadTuner forCurrentThreads() {
    int threads = Parallelism.threads();
    boolean on = MODE.equalsIgnoreCase("true") || MODE.equalsIgnoreCase("verbose");
    return forThreads(threads, on, MODE.equalsIgnoreCase("verbose"));
  }

  /** A tuner over {@code threads} (inactive when it is 1 or {@code on} is false); for tests. */
  static ThreadTuner forThreads(int threads, boolean on, boolean verbose) {
    return new ThreadTuner(threads, threads > 1 && on, verbose);
  }

  /** Before a training step: sets the thread count this step runs with. */
  public void stepBegin() {
    if (!active) {
      return;
    }
    int trial = trialIndex();
    if (trial >= 0) {
      // First a block on one thread, then a block on the configured count.
      Parallelism.setThreads(trial < BLOCK ? 1 : configured);
      t0 = System.nanoTime();
    } else {
      Parallelism.setThreads(chosen);
    }
  }

  /** After the step begun by {@link #stepBegin()}. */
  public void stepEnd() {
    int trial = active ? trialIndex() : -1;
    if (trial >= 0) {
      long dt = System.nanoTime() - t0;
      int inBlock = trial % BLOCK;
      if (inBlock >= SETTLE) {
        (trial < BLOCK ? one : many)[inBlock - SETTLE] = dt;
      }
      if (trial == 2 * BLOCK - 1) {
        decide();
        trialStart += gap;
        gap = Math.min(PERIOD, 2 * gap);
      }
    }
    if (Parallelism.threads() == 1) {
      oneSteps++;
    } else {
      manySteps++;
    }
    step++;
  }

  /** Position in the current trial, or -1 outside a trial. */
  private int trialIndex() {
    int i = step - trialStart;
    return i >= 0 && i < 2 * BLOCK ? i : -1;
  }

  private void decide() {
    long medianOne = median(one);
    long medianMany = median(many);
    int before = chosen;
    // One thread only when clearly faster: a few steps' medians move by several per cent with the
    // machine's noise, and flapping to one thread on such noise costs the whole period.
    chosen = medianOne < MARGIN * medianMany ? 1 : configured;
    if (verbose) {
      System.err.printf("kiln: step %d: median step %.0f us on 1 thread, %.0f us on %d -> %d thread(s)%s%n",
          step + 1, medianOne / 1e3, medianMany / 1e3, configured, chosen,
          before != chosen ? " (changed)" : "");
    }
  }

  private long median(long[] v) {
    long[] s = sorted;
    System.arraycopy(v, 0, s, 0, v.length);
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Steps run on one thread so far (trial steps included). */
  public int stepsOnOneThread() {
    return oneSteps;
  }

  /** Steps run on the configured count so far (trial steps included). */
  public int stepsOnConfiguredThreads() {
    return manySteps;
  }

  /** Restores the configured thread count. */
  @Override
  public void close() {
    if (active) {
      Parallelism.setThreads(configured);
    }
  }
}
