package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool runs every task of every job exactly once, whatever the thread count and job size. */
class ParallelismTest {
  @Test
  void everyTaskRunsExactlyOnceAcrossManyJobs() {
    int before = Parallelism.threads();
    try {
      SplittableRandom r = new SplittableRandom(4);
      for (int threads : new int[] {2, 3, 5}) {
        Parallelism.setThreads(threads);
        for (int job = 0; job < 20_000; job++) {
          // Counts equal to the thread count take the pinned path; others are handed out in order.
          int count = r.nextInt(4) == 0 ? threads : 1 + r.nextInt(40);
          AtomicIntegerArray hits = new AtomicIntegerArray(count);
          Parallelism.forEach(count, i -> hits.incrementAndGet(i));
          for (int i = 0; i < count; i++) {
            assertEquals(1, hits.get(i), "task " + i + " of " + count + " on " + threads + " threads, job " + job);
          }
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void aFailingTaskIsRethrownAfterTheOthersFinish() {
    int before = Parallelism.threads();
    try {
      Parallelism.setThreads(2);
      IllegalStateException boom = new IllegalStateException("task 3 failed");
      AtomicIntegerArray hits = new AtomicIntegerArray(8);
      IllegalStateException thrown =
          assertThrows(IllegalStateException.class, () -> Parallelism.forEach(8, i -> {
            hits.incrementAndGet(i);
            if (i == 3) {
              throw boom;
            }
          }));
      assertSame(boom, thrown);
      for (int i = 0; i < 8; i++) {
        assertEquals(1, hits.get(i), "task " + i);
      }
      // The pool is still usable afterwards.
      AtomicIntegerArray again = new AtomicIntegerArray(2);
      Parallelism.forEach(2, i -> again.incrementAndGet(i));
      assertEquals(1, again.get(0));
      assertEquals(1, again.get(1));
    } finally {
      Parallelism.setThreads(before);
    }
  }

  @Test
  void nestedJobsRunInlineAndComplete() {
    int before = Parallelism.threads();
    try {
      Parallelism.setThreads(2);
      AtomicIntegerArray hits = new AtomicIntegerArray(16);
      Parallelism.forEach(4, outer -> Parallelism.forEach(4, inner -> hits.incrementAndGet(outer * 4 + inner)));
      for (int i = 0; i < 16; i++) {
        assertEquals(1, hits.get(i), "task " + i);
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }
}
