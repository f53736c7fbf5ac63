package dev.kiln.runtime.data;

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
     * labels into {@code labelDst[0 .. count)}, for regression the targets into
     * {@code targetDst[0 .. count * targetCols)}. The buffer not used by the data set's kind may be null.
     */
    public static void gather(Dataset d, int[] order, int start, int count,
                              float[] xDst, int xOff, int[] labelDst, float[] targetDst) {
        Objects.checkFromIndexSize(start, count, order.length);
        int cols = d.cols();
        Objects.checkFromIndexSize(xOff, count * cols, xDst.length);
        float[] x = d.features();
        int rows = d.rows();
        if (d.isClassification()) {
            Objects.requireNonNull(labelDst, "labelDst (classification data set)");
            Objects.checkFromIndexSize(0, count, labelDst.length);
            int[] labels = d.labels();
            for (int k = 0; k < count; k++) {
                int r = Objects.checkIndex(order[start + k], rows);
                System.arraycopy(x, r * cols, xDst, xOff + k * cols, cols);
                labelDst[k] = labels[r];
            }
        } else {
            Objects.requireNonNull(targetDst, "targetDst (regression data set)");
            int tc = d.targetCols();
            Objects.checkFromIndexSize(0, count * tc, targetDst.length);
            float[] t = d.targets();
            for (int k = 0; k < count; k++) {
                int r = Objects.checkIndex(order[start + k], rows);
                System.arraycopy(x, r * cols, xDst, xOff + k * cols, cols);
                System.arraycopy(t, r * tc, targetDst, k * tc, tc);
            }
        }
    }
}
