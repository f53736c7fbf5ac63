package dev.kiln.runtime.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
* A fixed pool of daemon worker threads, created lazily, that kernels split independent output tiles over.
*
* <p>The calling thread takes part, so {@code threads()} workers run a job: the caller plus
* {@code threads() - 1} pool threads. The count defaults to {@code Runtime.availableProcessors()},
* overridable by the system property {@code kiln.threads} or {@link #setThreads(int)}. A kernel's result
* never depends on the count: each output element is computed by exactly one task, in a fixed order.
* Nested calls (a task that calls a kernel) and calls while another thread owns the pool run inline.
*
* <p>Dispatch is built for jobs of a few microseconds (one sample's forward pass, an optimizer step):
* a job is published by bumping a volatile generation counter, workers spin on it for
* {@code kiln.spinMicros} (default 200) microseconds after their last job before they park, and the
* caller spins until the workers have acknowledged. Nothing is allocated per job. When a job has
* exactly one task per thread, task {@code i} always runs on the same thread (the caller takes task 0),
* so each core keeps its own slice of the weights in its cache from one call to the next; otherwise the
* tasks are handed out dynamically.
*/
public final class Parallelism {
  /** One unit of a parallel job; {@code index} runs from 0 to the task count - 1. */
  @FunctionalInterface
  public interface Task {
    void run(int index);
  }

  private static volatile int threads = initialThreads();
  private static final long SPIN_NANOS = spinNanos();

  private static final ReentrantLock OWNER = new ReentrantLock();
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final AtomicInteger PENDING = new AtomicInteger();
  private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();
  // Written by the owner before the volatile generation bump that publishes them.
  private static Task job;
  private static int jobCount;
  private static int helpers;
  private static boolean pinned;
  private static volatile long generation;
  private static volatile Worker[] workers = new Worker[0];

  private Parallelism() {}

  /** Threads a kernel may use, the caller included. */
  public static int threads() {
    return threads;
  }

  /** Sets the number of threads kernels use (the caller included); 1 disables parallelism. */
  public static void setThreads(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("thread count must be >= 1, got " + count);
    }
    threads = count;
  }

  private static int initialThreads() {
    String property = System.getProperty("kiln.threads");
    if (property != null) {
      try {
        int count = Integer.parseInt(property.trim());
        if (count >= 1) {
          return count;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the default
      }
      System.err.println("kiln: ignoring kiln.threads=" + property + " (expected an integer >= 1)");
    }
    return Runtime.getRuntime().availableProcessors();
  }

  private static long spinNanos() {
    String property = System.getProperty("kiln.spinMicros");
    if (property != null) {
      try {
        long micros = Long.parseLong(property.trim());
        if (micros >= 0) {
          return micros * 1000;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the default
      }
      System.err.println("kiln: ignoring kiln.spinMicros=" + property + " (expected an integer >= 0)");
    }
    return 200_000;
  }

  /** Runs {@code task.run(0 .. count-1)} over the pool and returns when all are done. */
  public static void forEach(int count, Task task) {
    int n = threads;
    if (count <= 1 || n <= 1 || OWNER.isHeldByCurrentThread() || !OWNER.tryLock()) {
      for (int i = 0; i < count; i++) {
        task.run(i);
      }
      return;
    }
    try {
      int active = Math.min(n, count) - 1;
      Worker[] pool = ensureWorkers(active);
      job = task;
      jobCount = count;
      helpers = active;
      pinned = count == active + 1;
      NEXT.set(pinned ? count : 0);
      FAILURE.set(null);
      // Every worker acknowledges every job, so none can still be reading the previous one.
      PENDING.set(pool.length);
      generation = generation + 1; // publishes the fields above
      for (Worker w : pool) {
        if (w.parked) {
          LockSupport.unpark(w.thread);
        }
      }
      Throwable mine = null;
      try {
        if (pinned) {
          task.run(0);
        }
        drain(task, count);
      } catch (Throwable t) {
        mine = t;
      }
      for (int spins = 0; PENDING.get() > 0; spins++) {
        if (spins < 1 << 16) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
      job = null;
      Throwable theirs = FAILURE.getAndSet(null);
      rethrow(mine != null ? mine : theirs);
    } finally {
      OWNER.unlock();
    }
  }

  private static void drain(Task task, int count) {
    for (int i = NEXT.getAndIncrement(); i < count; i = NEXT.getAndIncrement()) {
      task.run(i);
    }
  }

  private static void rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  /** Called by the owner only. */
  private static Worker[] ensureWorkers(int count) {
    Worker[] current = workers;
    if (current.length >= count) {
      return current;
    }
    Worker[] grown = java.util.Arrays.copyOf(current, count);
    long start = generation; // new workers wait for the next job
    for (int id = current.length; id < count; id++) {
      grown[id] = new Worker(id, start);
    }
    workers = grown;
    for (int id = current.length; id < count; id++) {
      grown[id].thread.start();
    }
    return grown;
  }

  private static final class Worker implements Runnable {
    final int id;
    final Thread thread;
    volatile boolean parked;
    private long seen;

    Worker(int id, long start) {
      this.id = id;
      this.seen = start;
      this.thread = new Thread(this, "kiln-worker-" + id);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      while (true) {
        awaitJob();
        Task task = job;
        int count = jobCount;
        try {
          if (id < helpers) {
            if (pinned) {
              task.run(id + 1);
            } else {
              drain(task, count);
            }
          }
        } catch (Throwable t) {
          FAILURE.compareAndSet(null, t);
        }
        PENDING.decrementAndGet();
      }
    }

    private void awaitJob() {
      long idleSince = System.nanoTime();
      for (int spins = 1; ; spins++) {
        long g = generation;
        if (g != seen) {
          seen = g;
          return;
        }
        if ((spins & 63) == 0 && System.nanoTime() - idleSince > SPIN_NANOS) {
          parked = true;
          if (generation == seen) { // re-check after announcing: the owner unparks parked workers
            LockSupport.park(this);
          }
          parked = false;
          idleSince = System.nanoTime();
        } else {
          Thread.onSpinWait();
        }
      }
    }
  }
}
