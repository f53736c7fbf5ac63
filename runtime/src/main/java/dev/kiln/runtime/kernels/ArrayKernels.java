package dev.kiln.runtime.kernels;

import java.util.Arrays;

/** Whole-arena operations of the training step that are worth spreading over the thread pool. */
public final class ArrayKernels {
  /** Ranges at least this long are cleared by all threads, one contiguous slice each. */
  private static final int PARALLEL_LENGTH = 1 << 16;

  private ArrayKernels() {}

  /** Sets {@code a[offset, offset + length)} to zero. */
  public static void zero(float[] a, int offset, int length) {
    Checks.range("array", a, offset, 1, length);
    int slices = length < PARALLEL_LENGTH ? 1 : Parallelism.threads();
    if (slices <= 1) {
      Arrays.fill(a, offset, offset + length, 0f);
      return;
    }
    ZeroJob job = ZeroJob.acquire();
    try {
      job.a = a;
      job.offset = offset;
      job.length = length;
      job.slices = slices;
      Parallelism.forEach(slices, job);
    } finally {
      job.release();
    }
  }

  /** A reusable task per calling thread, so a parallel clear allocates nothing. */
  private static final class ZeroJob implements Parallelism.Task {
    private static final ThreadLocal<ZeroJob> CACHE = ThreadLocal.withInitial(ZeroJob::new);
    private boolean busy;
    float[] a;
    int offset;
    int length;
    int slices;

    static ZeroJob acquire() {
      ZeroJob cached = CACHE.get();
      if (cached.busy) {
        return new ZeroJob();
      }
      cached.busy = true;
      return cached;
    }

    void release() {
      busy = false;
      a = null;
    }

    @Override
    public void run(int slice) {
      int per = (length + slices - 1) / slices;
      int from = Math.min(length, slice * per);
      int to = Math.min(length, from + per);
      Arrays.fill(a, offset + from, offset + to, 0f);
    }
  }
}
