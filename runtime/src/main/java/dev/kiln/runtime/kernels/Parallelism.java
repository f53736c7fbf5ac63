package dev.kiln.runtime.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
* A fixed pool of daemon worker threads, created lazily, that kernels split independent output tiles over.
*
* <p>The calling thread takes part, so {@code threads()} workers run a job: the caller plus
* {@code threads() - 1} pool threads. The count defaults to {@code Runtime.availableProcessors()},
* overridable by the system property {@code kiln.threads} or {@link #setThreads(int)}. A kernel's result
* never depends on the count: each output element is computed by exactly one task, in a fixed order.
* Nested calls (a task that calls a kernel) and calls while another thread owns the pool run inline.
*/
public final class Parallelism {
  /** One unit of a parallel job; {@code index} runs from 0 to the task count - 1. */
  @FunctionalInterface
  public interface Task {
    void run(int index);
  }

  private static volatile int threads = initialThreads();

  private static final ReentrantLock OWNER = new ReentrantLock();
  private static final Object LOCK = new Object();
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static Thread[] workers = new Thread[0];
  // Guarded by LOCK.
  private static long generation;
  private static Task job;
  private static int jobCount;
  private static int participants;
  private static int pending;
  private static Throwable failure;

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
      int helpers = Math.min(n, count) - 1;
      ensureWorkers(helpers);
      synchronized (LOCK) {
        job = task;
        jobCount = count;
        participants = helpers;
        pending = helpers;
        failure = null;
        NEXT.set(0);
        generation++;
        LOCK.notifyAll();
      }
      Throwable mine = null;
      try {
        drain(task, count);
      } catch (Throwable t) {
        mine = t;
      }
      Throwable theirs;
      synchronized (LOCK) {
        boolean interrupted = false;
        while (pending > 0) {
          try {
            LOCK.wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        job = null;
        theirs = failure;
        failure = null;
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
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

  private static void ensureWorkers(int count) {
    if (workers.length >= count) {
      return;
    }
    long current;
    synchronized (LOCK) {
      current = generation; // a new worker must not miss the job published right after this
    }
    Thread[] grown = java.util.Arrays.copyOf(workers, count);
    for (int id = workers.length; id < count; id++) {
      int workerId = id;
      Thread t = new Thread(() -> workLoop(workerId, current), "kiln-worker-" + id);
      t.setDaemon(true);
      grown[id] = t;
      t.start();
    }
    workers = grown;
  }

  private static void workLoop(int id, long startGeneration) {
    long seen = startGeneration;
    while (true) {
      Task task;
      int count;
      synchronized (LOCK) {
        while (generation == seen || id >= participants) {
          if (generation != seen) {
            seen = generation; // a job this worker is not part of
          }
          try {
            LOCK.wait();
          } catch (InterruptedException ignored) {
            // daemon workers live as long as the JVM
          }
        }
        seen = generation;
        task = job;
        count = jobCount;
      }
      Throwable error = null;
      try {
        drain(task, count);
      } catch (Throwable t) {
        error = t;
      }
      synchronized (LOCK) {
        if (error != null && failure == null) {
          failure = error;
        }
        if (--pending == 0) {
          LOCK.notifyAll();
        }
      }
    }
  }
}
