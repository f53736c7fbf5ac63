package dev.kiln.runtime.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

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
 * a job is published in one of a few reusable slots, workers spin on the current slot for
 * {@code kiln.spinMicros} (default 200) microseconds after their last job before they park, and every
 * task is claimed atomically by whichever thread gets to it first. The caller returns as soon as every
 * task is done: it never waits for a worker that has nothing to do, so a worker the operating system
 * has descheduled slows a job down (the caller runs its tasks) instead of stalling it. Nothing is
 * allocated per job. When a job has exactly one task per thread, worker {@code w} first claims task
 * {@code w + 1} (the caller takes task 0), so each core keeps its own slice of the weights in its cache
 * from one call to the next; otherwise tasks are handed out in order.
 */
public final class Parallelism {
  /** One unit of a parallel job; {@code index} runs from 0 to the task count - 1. */
  @FunctionalInterface
  public interface Task {
    void run(int index);
  }

  /** A task object that is filled in, run as one job, and cleared, over and over. */
  public interface ReusableTask extends Task {
    /** Drops the references of the last job, so the task does not keep its arrays alive. */
    void clear();
  }

  /**
   * One reusable task object per calling thread, so a parallel job allocates nothing (a capturing
   * lambda would allocate on every call). {@link #acquire} hands out this thread's instance, or a
   * fresh one when that instance is already in use (a kernel called from inside one of its tasks).
   */
  public static final class TaskCache<T extends ReusableTask> {
    private static final class Entry<T> {
      final T task;
      boolean busy;

      Entry(T task) {
        this.task = task;
      }
    }

    private final Supplier<T> factory;
    private final ThreadLocal<Entry<T>> local;

    public TaskCache(Supplier<T> factory) {
      this.factory = factory;
      this.local = ThreadLocal.withInitial(() -> new Entry<>(factory.get()));
    }

    /** This thread's task object; give it back with {@link #release}. */
    public T acquire() {
      Entry<T> e = local.get();
      if (e.busy) {
        return factory.get(); // re-entered from inside a task: rare, not worth sharing
      }
      e.busy = true;
      return e.task;
    }

    /** Clears {@code task} and, if it is this thread's cached one, makes it available again. */
    public void release(T task) {
      task.clear();
      Entry<T> e = local.get();
      if (e.task == task) {
        e.busy = false;
      }
    }
  }

  private static volatile int threads = initialThreads();
  private static final long SPIN_NANOS = spinNanos();
  /** Job slots used in turn; a slot is reused only when no worker is still looking at it. */
  private static final int SLOTS = 4;

  private static final ReentrantLock OWNER = new ReentrantLock();
  private static final Slot[] RING = {new Slot(), new Slot(), new Slot(), new Slot()};
  private static int ringIndex; // owner only
  /** The slot of the job being run, or null; workers watch it. */
  private static volatile Slot current;
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

  /**
   * Below this many flops a job stays on the calling thread: a spinning worker takes about 1 µs to
   * join, and a job this small is done in about that time on one core.
   */
  public static final long MIN_SPLIT_FLOPS = 1L << 17;

  /**
   * Below this many flops a job stays on the calling thread when its tasks would read a buffer the
   * calling thread has just written (a convolution's im2col matrix at a batch smaller than the thread
   * count, whose GEMM would otherwise be split by columns): the worker then pulls its half of that
   * buffer out of the caller's core's cache, which costs more than the arithmetic it takes over.
   * Measured (bench CnnLatency / 2 vCPUs, 512-bit): a batch-1 3x3 convolution of 32 channels took
   * 1 vs 2 threads 26 vs 27 µs at 1.1 MFLOP, 47 vs 47 at 4.5 (FashionCnn's conv2, 45 vs 85 in the
   * model's forward pass), 207 vs 262 at 25, 131 vs 128 at 18 and 696 vs 455 at 100 MFLOP.
   */
  public static final long MIN_SPLIT_FLOPS_FRESH_OPERAND = 1L << 26;

  /**
   * The one rule kernels use to decide whether a job is worth splitting over the pool: more than one
   * thread, and at least {@link #MIN_SPLIT_FLOPS} flops, or {@link #MIN_SPLIT_FLOPS_FRESH_OPERAND} when
   * the workers would read a buffer the caller has just written.
   */
  public static boolean worthSplitting(long flops, boolean freshOperand) {
    return threads > 1 && flops >= (freshOperand ? MIN_SPLIT_FLOPS_FRESH_OPERAND : MIN_SPLIT_FLOPS);
  }

  /**
   * Runs {@code task.run(0 .. count-1)} on the calling thread only, and so do the kernels the tasks
   * call (they see the pool as owned by this thread and run inline), unless another thread owns the
   * pool meanwhile.
   */
  public static void runOnCaller(int count, Task task) {
    boolean locked = !OWNER.isHeldByCurrentThread() && OWNER.tryLock();
    try {
      for (int i = 0; i < count; i++) {
        task.run(i);
      }
    } finally {
      if (locked) {
        OWNER.unlock();
      }
    }
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
      Worker[] pool = ensureWorkers(helpers);
      Slot slot = RING[ringIndex];
      ringIndex = (ringIndex + 1) % SLOTS;
      // A worker that looked at this slot four jobs ago may still be leaving it.
      for (int spins = 0; slot.users.get() != 0; spins++) {
        backOff(spins);
      }
      slot.publish(task, count, helpers, count == helpers + 1);
      current = slot;
      for (Worker w : pool) {
        if (w.parked) {
          LockSupport.unpark(w.thread);
        }
      }
      Throwable mine = null;
      try {
        if (slot.pinned && slot.claimPinned(0)) {
          slot.runTask(0);
        }
        slot.drain(true);
      } catch (Throwable t) {
        mine = t;
      }
      for (int spins = 0; slot.done.get() < count; spins++) {
        backOff(spins);
      }
      current = null;
      slot.task = null;
      Throwable theirs = slot.failure.getAndSet(null);
      rethrow(mine != null ? mine : theirs);
    } finally {
      OWNER.unlock();
    }
  }

  /** Spin, but let a thread that shares this core run now and then (the OS may place both on one). */
  private static void backOff(int spins) {
    if ((spins & 255) == 255) {
      Thread.yield();
    } else {
      Thread.onSpinWait();
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

  /** One job: its task, how far it has been handed out, how much is done. */
  private static final class Slot {
    final AtomicInteger users = new AtomicInteger();
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final AtomicIntegerArray claimed = new AtomicIntegerArray(64);
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    // Written by the owner before the volatile write of 'current' that publishes the slot.
    Task task;
    int count;
    /** Bumped by every job published in this slot. */
    long seq;
    int helpers;
    boolean pinned;

    void publish(Task task, int count, int helpers, boolean pinned) {
      this.task = task;
      this.count = count;
      this.helpers = helpers;
      this.pinned = pinned && count <= claimed.length();
      if (this.pinned) { // only pinned jobs use the claim flags
        for (int i = 0; i < count; i++) {
          claimed.set(i, 0);
        }
      }
      failure.set(null);
      done.set(0);
      next.set(0);
      seq++;
    }

    /** Claims task {@code i} of a pinned job; true for exactly one thread. */
    boolean claimPinned(int i) {
      return claimed.compareAndSet(i, 0, 1);
    }

    /** Runs unclaimed tasks until none is left; the caller also takes pinned tasks nobody started. */
    void drain(boolean caller) {
      if (pinned) {
        if (caller) {
          for (int i = 1; i < count; i++) {
            if (claimPinned(i)) {
              runTask(i);
            }
          }
        }
        return;
      }
      for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
        runTask(i);
      }
    }

    void runTask(int i) {
      try {
        task.run(i);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      } finally {
        done.incrementAndGet();
      }
    }
  }

  /** Called by the owner only. */
  private static Worker[] ensureWorkers(int count) {
    Worker[] existing = workers;
    if (existing.length >= count) {
      return existing;
    }
    Worker[] grown = java.util.Arrays.copyOf(existing, count);
    for (int id = existing.length; id < count; id++) {
      grown[id] = new Worker(id);
    }
    workers = grown;
    for (int id = existing.length; id < count; id++) {
      grown[id].thread.start();
    }
    return grown;
  }

  private static final class Worker implements Runnable {
    final int id;
    final Thread thread;
    volatile boolean parked;
    /** The last job this worker looked at (its slot and sequence number), so it never serves a job twice. */
    private Slot served;
    private long servedSeq;

    Worker(int id) {
      this.id = id;
      this.thread = new Thread(this, "kiln-worker-" + id);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      while (true) {
        Slot slot = awaitJob();
        slot.users.incrementAndGet();
        try {
          if (current == slot) { // still the same job, so its fields are the ones published
            served = slot;
            servedSeq = slot.seq;
            if (id < slot.helpers) {
              if (slot.pinned) {
                if (slot.claimPinned(id + 1)) {
                  slot.runTask(id + 1);
                }
              } else {
                slot.drain(false);
              }
            }
          }
        } finally {
          slot.users.decrementAndGet();
        }
      }
    }

    private Slot awaitJob() {
      long idleSince = System.nanoTime();
      for (int spins = 1; ; spins++) {
        Slot slot = current;
        if (slot != null && (slot != served || slot.seq != servedSeq)) {
          return slot;
        }
        if ((spins & 255) == 0) {
          Thread.yield(); // lets a thread that shares this core run (the OS may place both on one)
        }
        if ((spins & 63) == 0 && System.nanoTime() - idleSince > SPIN_NANOS) {
          parked = true;
          Slot again = current;
          if (again == null || (again == served && again.seq == servedSeq)) { // re-check after announcing: the owner unparks parked workers
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
