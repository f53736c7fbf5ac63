package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ThreadTunerTest {
  private int saved;

  @BeforeEach
  void save() {
    saved = Parallelism.threads();
  }

  @AfterEach
  void restore() {
    Parallelism.setThreads(saved);
  }

  /** A fake training step that takes {@code oneMicros} on one thread and {@code manyMicros} on more. */
  private static void fakeStep(long oneMicros, long manyMicros) {
    long end = System.nanoTime() + 1000 * (Parallelism.threads() == 1 ? oneMicros : manyMicros);
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  /** Runs {@code steps} fake steps and returns the thread count of each. */
  private static int[] run(int steps, long oneMicros, long manyMicros) {
    int[] used = new int[steps];
    try (ThreadTuner tuner = ThreadTuner.forThreads(Parallelism.threads(), true, false)) {
      for (int s = 0; s < steps; s++) {
        tuner.stepBegin();
        used[s] = Parallelism.threads();
        fakeStep(oneMicros, manyMicros);
        tuner.stepEnd();
      }
      assertEquals(steps, tuner.stepsOnOneThread() + tuner.stepsOnConfiguredThreads());
    }
    return used;
  }

  private static int firstAfterTrial() {
    return ThreadTuner.WARM_UP + 2 * ThreadTuner.BLOCK;
  }

  @Test
  void fallsBackToOneThreadWhenOneIsFaster() {
    Parallelism.setThreads(2);
    int steps = firstAfterTrial() + 20;
    int[] used = run(steps, 150, 600);
    for (int s = 0; s < ThreadTuner.WARM_UP; s++) {
      assertEquals(2, used[s], "warm-up step " + s + " runs on the configured count");
    }
    for (int s = firstAfterTrial(); s < steps; s++) {
      assertEquals(1, used[s], "step " + s + " after the trial");
    }
    assertEquals(2, Parallelism.threads(), "close() restores the configured count");
  }

  @Test
  void keepsTheConfiguredCountWhenItIsFaster() {
    Parallelism.setThreads(2);
    int steps = firstAfterTrial() + 20;
    int[] used = run(steps, 600, 150);
    int ones = 0;
    for (int s = 0; s < steps; s++) {
      ones += used[s] == 1 ? 1 : 0;
    }
    assertEquals(ThreadTuner.BLOCK, ones, "only the trial's one-thread block runs on one thread");
    for (int s = firstAfterTrial(); s < steps; s++) {
      assertEquals(2, used[s], "step " + s + " after the trial");
    }
  }

  @Test
  void trialsComeAtDoublingGapsUpToThePeriodOneBlockPerSetting() {
    Parallelism.setThreads(2);
    // 24, then gaps of 32, 64, 128, 256, 256: trials start at 24, 56, 120, 248, 504, 760.
    int[] starts = {24, 56, 120, 248, 504, 760};
    assertEquals(24, ThreadTuner.WARM_UP);
    assertEquals(32, ThreadTuner.FIRST_GAP);
    assertEquals(256, ThreadTuner.PERIOD);
    int steps = starts[starts.length - 1] + 2 * ThreadTuner.BLOCK + 4;
    int[] used = run(steps, 300, 100);
    int ones = 0;
    for (int s = 0; s < steps; s++) {
      ones += used[s] == 1 ? 1 : 0;
    }
    assertEquals(starts.length * ThreadTuner.BLOCK, ones, "one-thread steps are the trials' first blocks only");
    for (int trialStart : starts) {
      for (int i = 0; i < 2 * ThreadTuner.BLOCK; i++) {
        assertEquals(i < ThreadTuner.BLOCK ? 1 : 2, used[trialStart + i], "trial step " + i + " at " + trialStart);
      }
    }
  }

  @Test
  void offByDefault() {
    Parallelism.setThreads(2);
    try (ThreadTuner tuner = ThreadTuner.forCurrentThreads()) {
      for (int s = 0; s < firstAfterTrial() + 4; s++) {
        tuner.stepBegin();
        assertEquals(2, Parallelism.threads(), "step " + s);
        tuner.stepEnd();
      }
      assertEquals(0, tuner.stepsOnOneThread());
    }
  }

  @Test
  void inactiveOnOneThread() {
    Parallelism.setThreads(1);
    int[] used = run(firstAfterTrial() + 4, 100, 100);
    for (int u : used) {
      assertEquals(1, u);
    }
    assertTrue(Parallelism.threads() == 1);
  }
}
