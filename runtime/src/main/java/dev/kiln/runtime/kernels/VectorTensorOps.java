package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link TensorOps}. Loaded only when {@link Backend#VECTOR} is true. Calls over more than
 * {@link #BLOCK} elements run one task per block of elements (add, accumulate) or of rows (columns).
 */
final class VectorTensorOps {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();
  /** Elements per task: enough to outweigh handing the task to a worker, small enough to share a batch. */
  private static final int BLOCK = 1 << 15;
  private static final int ADD = 0;
  private static final int ACCUMULATE = 1;
  private static final int COLUMNS = 2;

  private VectorTensorOps() {}

  static void add(int count, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff) {
    if (count <= BLOCK) {
      addRange(a, aOff, b, bOff, y, yOff, count);
      return;
    }
    run(ADD, (count + BLOCK - 1) / BLOCK, count, 0, a, aOff, 0, 0, b, bOff, y, yOff, 0, 0, false);
  }

  static void accumulate(int count, float[] src, int sOff, float[] dst, int dOff, boolean accumulate) {
    if (count <= BLOCK) {
      accumulateRange(src, sOff, dst, dOff, count, accumulate);
      return;
    }
    run(ACCUMULATE, (count + BLOCK - 1) / BLOCK, count, 0, src, sOff, 0, 0, null, 0, dst, dOff, 0, 0, accumulate);
  }

  static void columns(int n, int width, float[] src, int sOff, int srcStride, int srcCol, float[] dst, int dOff,
      int dstStride, int dstCol, boolean accumulate) {
    long total = (long) n * width;
    if (total <= BLOCK || width == 0) {
      rows(0, n, width, src, sOff, srcStride, srcCol, dst, dOff, dstStride, dstCol, accumulate);
      return;
    }
    int rowsPerTask = Math.max(1, BLOCK / width);
    run(COLUMNS, (n + rowsPerTask - 1) / rowsPerTask, n, width, src, sOff, srcStride, srcCol, null, 0,
        dst, dOff, dstStride, dstCol, accumulate);
  }

  private static void run(int mode, int tasks, int count, int width, float[] a, int aOff, int aStride, int aCol,
      float[] b, int bOff, float[] y, int yOff, int yStride, int yCol, boolean accumulate) {
    OpsJob job = OpsJob.CACHE.acquire();
    try {
      job.mode = mode;
      job.count = count;
      job.width = width;
      job.chunk = (count + tasks - 1) / tasks;
      job.a = a;
      job.aOff = aOff;
      job.aStride = aStride;
      job.aCol = aCol;
      job.b = b;
      job.bOff = bOff;
      job.y = y;
      job.yOff = yOff;
      job.yStride = yStride;
      job.yCol = yCol;
      job.accumulate = accumulate;
      Parallelism.forEach(tasks, job);
    } finally {
      OpsJob.CACHE.release(job);
    }
  }

  /** One elementwise pass over a block, as a reusable task (see {@link Parallelism.TaskCache}). */
  private static final class OpsJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<OpsJob> CACHE = new Parallelism.TaskCache<>(OpsJob::new);
    int mode, count, width, chunk, aOff, aStride, aCol, bOff, yOff, yStride, yCol;
    float[] a, b, y;
    boolean accumulate;

    @Override
    public void clear() {
      a = b = y = null;
    }

    @Override
    public void run(int task) {
      int lo = task * chunk, hi = Math.min(count, lo + chunk);
      switch (mode) {
        case ADD -> addRange(a, aOff + lo, b, bOff + lo, y, yOff + lo, hi - lo);
        case ACCUMULATE -> accumulateRange(a, aOff + lo, y, yOff + lo, hi - lo, accumulate);
        default -> rows(lo, hi, width, a, aOff, aStride, aCol, y, yOff, yStride, yCol, accumulate);
      }
    }
  }

  private static void rows(int r0, int r1, int width, float[] src, int sOff, int srcStride, int srcCol,
      float[] dst, int dOff, int dstStride, int dstCol, boolean accumulate) {
    for (int r = r0; r < r1; r++) {
      accumulateRange(src, sOff + r * srcStride + srcCol, dst, dOff + r * dstStride + dstCol, width, accumulate);
    }
  }

  private static void addRange(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int len) {
    int i = 0;
    for (; i <= len - L; i += L) {
      FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(y, yOff + i);
    }
    for (; i < len; i++) { // scalar tail: no vector masks in these kernels (see VectorPoolKernels.MAXIMA)
      y[yOff + i] = a[aOff + i] + b[bOff + i];
    }
  }

  private static void accumulateRange(float[] src, int sOff, float[] dst, int dOff, int len, boolean accumulate) {
    if (!accumulate) {
      System.arraycopy(src, sOff, dst, dOff, len);
    } else {
      VectorConvKernels.addInto(src, sOff, dst, dOff, len);
    }
  }
}
