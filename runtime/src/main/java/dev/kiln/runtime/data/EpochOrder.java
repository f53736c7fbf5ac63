package dev.kiln.runtime.data;

import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.SplitMix64;
import java.util.Objects;

/**
 * Per-epoch row order and batch copying for the training loop.
 *
 * <p>An epoch visits {@link #batchCount(int, int) ceil(rows / batch)} batches in a seeded order;
 * the last batch is partial when {@code batch} does not divide {@code rows}. The order for a
 * (seed, epoch) pair never depends on earlier epochs, so training can resume at any epoch and
 * reproduce the same batches. {@link #gather} copies into caller buffers and allocates nothing.
 */
public final class EpochOrder {
  private EpochOrder() {
  }

  /** A permutation of {@code 0 .. rows-1}, fixed by {@code seed} and {@code epoch}. */
  public static int[] permutation(long seed, int epoch, int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }
    int[] order = new int[rows];
    permute(seed, epoch, order);
    return order;
  }

  /**
   * Fills {@code order} with the same permutation {@link #permutation} returns for
   * {@code order.length} rows, reusing the array (its previous contents are ignored).
   */
  public static void permute(long seed, int epoch, int[] order) {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    new SplitMix64(SplitMix64.derive(seed, epoch)).shuffle(order, 0, order.length);
  }

  /** {@code ceil(rows / batch)}: the number of batches in an epoch, counting a last partial one. */
  public static int batchCount(int rows, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }
    if (rows < 0) {
      throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }
    return rows / batch + (rows % batch == 0 ? 0 : 1);
  }

  /** The number of rows in batch {@code index}: {@code batch}, or fewer for the last one. */
  public static int batchSize(int rows, int batch, int index) {
    Objects.checkIndex(index, batchCount(rows, batch));
    return Math.min(batch, rows - index * batch);
  }

  /**
   * Copies rows {@code order[start .. start+count)} of {@code d}: features into
   * {@code xDst[xOff ..]} ({@code count * cols} floats, row-major), and for classification the
   * labels into {@code labelDst[0 .. count * labelsPerRow)} (batch row {@code i}'s label at
   * position {@code j} at {@code i * labelsPerRow + j}), for regression the targets into
   * {@code targetDst[0 .. count * targetCols)}. The buffer not used by the data set's kind may be null.
   */
  public static void gather(Dataset d, int[] order, int start, int count,
      float[] xDst, int xOff, int[] labelDst, float[] targetDst) {
    Objects.checkFromIndexSize(start, count, order.length);
    int cols = d.cols();
    Objects.checkFromIndexSize(xOff, count * cols, xDst.length);
    if (d.isClassification()) {
      Objects.requireNonNull(labelDst, "labelDst (classification data set)");
      Objects.checkFromIndexSize(0, count * d.labelsPerRow(), labelDst.length);
    } else {
      Objects.requireNonNull(targetDst, "targetDst (regression data set)");
      Objects.checkFromIndexSize(0, count * d.targetCols(), targetDst.length);
    }
    int slices = (long) count * cols < PARALLEL_FLOATS ? 1 : Math.min(count, Parallelism.threads());
    if (slices <= 1) {
      copyRows(d, order, start, 0, count, xDst, xOff, labelDst, targetDst);
      return;
    }
    GatherJob job = GatherJob.CACHE.acquire();
    try {
      job.set(d, order, start, count, slices, xDst, xOff, labelDst, targetDst);
      Parallelism.forEach(slices, job);
    } finally {
      GatherJob.CACHE.release(job);
    }
  }

  /** Below this many floats a batch is copied by the calling thread alone. */
  private static final int PARALLEL_FLOATS = 1 << 15;

  /** Copies batch rows [from, to) (rows {@code order[start + k]}); the caller checked every range. */
  private static void copyRows(Dataset d, int[] order, int start, int from, int to,
      float[] xDst, int xOff, int[] labelDst, float[] targetDst) {
    int cols = d.cols();
    float[] x = d.features();
    int rows = d.rows();
    if (d.isClassification()) {
      int[] labels = d.labels();
      int lpr = d.labelsPerRow();
      for (int k = from; k < to; k++) {
        int r = Objects.checkIndex(order[start + k], rows);
        System.arraycopy(x, r * cols, xDst, xOff + k * cols, cols);
        if (lpr == 1) {
          labelDst[k] = labels[r];
        } else {
          System.arraycopy(labels, r * lpr, labelDst, k * lpr, lpr);
        }
      }
    } else {
      int tc = d.targetCols();
      float[] t = d.targets();
      for (int k = from; k < to; k++) {
        int r = Objects.checkIndex(order[start + k], rows);
        System.arraycopy(x, r * cols, xDst, xOff + k * cols, cols);
        System.arraycopy(t, r * tc, targetDst, k * tc, tc);
      }
    }
  }

  /**
   * A batch copy split into one slice of rows per thread (the rows are scattered over the data set,
   * so one core waits on memory most of the time), as a reusable task (see
   * {@link Parallelism.TaskCache}).
   */
  private static final class GatherJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<GatherJob> CACHE = new Parallelism.TaskCache<>(GatherJob::new);
    private Dataset d;
    private int[] order;
    private int start;
    private int count;
    private int slices;
    private float[] xDst;
    private int xOff;
    private int[] labelDst;
    private float[] targetDst;

    void set(Dataset d, int[] order, int start, int count, int slices, float[] xDst, int xOff,
        int[] labelDst, float[] targetDst) {
      this.d = d;
      this.order = order;
      this.start = start;
      this.count = count;
      this.slices = slices;
      this.xDst = xDst;
      this.xOff = xOff;
      this.labelDst = labelDst;
      this.targetDst = targetDst;
    }

    @Override
    public void clear() {
      d = null;
      order = null;
      xDst = null;
      labelDst = null;
      targetDst = null;
    }

    @Override
    public void run(int slice) {
      int per = (count + slices - 1) / slices;
      int from = Math.min(count, slice * per);
      copyRows(d, order, start, from, Math.min(count, from + per), xDst, xOff, labelDst, targetDst);
    }
  }
}
