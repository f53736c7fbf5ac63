package dev.kiln.runtime.kernels;

/**
 * Losses fused with their gradient: one pass gives the loss and the gradient of the logits (no separate
 * softmax or sigmoid backward). Each returns the SUM over rows of the per-row loss, in double; divide
 * by n for the batch mean. {@code grad} may be null (evaluation); {@code gradScale} is typically 1/n.
 *
 * <p>The softmax and sigmoid losses are exp/log bound and cost O(n·classes), tiny next to the GEMMs, so
 * both backends share the scalar code (Math.exp/log are JIT intrinsics); MSE has a vector path. The
 * per-step softmax loss of a sequence output (thousands of rows per batch) splits its rows over the
 * threads.
 */
public final class Losses {
  private Losses() {}

  /**
   * Per row: p = softmax(logits), loss = logsumexp(logits) - logits[label], grad = (p - onehot)·gradScale.
   *
   * @param probs [n,classes] output probabilities, or null
   * @throws IllegalArgumentException if a label is outside [0, classes)
   */
  public static double softmaxCrossEntropy(int n, int classes, float[] logits, int lOff, int[] labels, int labOff,
      float[] probs, int pOff, float[] grad, int gOff, float gradScale) {
    Checks.dims(n, classes);
    Checks.range("logits", logits, lOff, n, classes);
    if (labOff < 0 || labOff + n > labels.length) {
      throw new IndexOutOfBoundsException("labels[" + n + "] at offset " + labOff + " does not fit in " + labels.length);
    }
    Checks.optionalRange("probs", probs, pOff, n, classes);
    Checks.optionalRange("grad", grad, gOff, n, classes);
    return ScalarKernels.softmaxCrossEntropy(n, classes, logits, lOff, labels, labOff, probs, pOff, grad, gOff, gradScale);
  }

  /** The label of a step that has none (padding), as PyTorch's {@code ignore_index}. */
  public static final int IGNORED = -1;

  /**
   * Softmax cross-entropy at every step of {@code n} sequences of {@code steps} rows of
   * {@code classes} logits, against {@code n·steps} labels of which {@link #IGNORED} ones count for
   * nothing: the gradient is {@code (p - onehot) / L} on the {@code L} labelled steps (zero on the
   * others), as PyTorch's {@code CrossEntropyLoss(ignore_index=-1)} over the flattened batch.
   * Returns the mean over labelled steps times {@code n}, so that dividing by {@code n} gives that
   * mean (0 when no step is labelled).
   *
   * @throws IllegalArgumentException naming the sample and step of a label outside {@code [0, classes)}
   */
  public static double softmaxCrossEntropySteps(int n, int steps, int classes, float[] logits, int lOff,
      int[] labels, int labOff, float[] probs, int pOff, float[] grad, int gOff) {
    Checks.dims(n, steps, classes);
    int rows = n * steps;
    Checks.range("logits", logits, lOff, rows, classes);
    if (labOff < 0 || labOff + rows > labels.length) {
      throw new IndexOutOfBoundsException("labels[" + rows + "] at offset " + labOff + " does not fit in " + labels.length);
    }
    Checks.optionalRange("probs", probs, pOff, rows, classes);
    Checks.optionalRange("grad", grad, gOff, rows, classes);
    int labelled = 0;
    for (int i = 0; i < rows; i++) {
      int y = labels[labOff + i];
      if (y != IGNORED) {
        if (y < 0 || y >= classes) {
          throw new IllegalArgumentException("label " + y + " of sample " + i / steps + ", step " + i % steps
              + " is outside [0, " + classes + ") (and is not " + IGNORED + ", the label of an unlabelled step)");
        }
        labelled++;
      }
    }
    float scale = labelled == 0 ? 0f : 1f / labelled;
    // Rows are independent: blocks of rows over the threads, each row's loss into its own slot, summed
    // here in row order afterwards, so the result does not depend on the thread count.
    double[] rowLoss = STEP_LOSSES.get();
    if (rowLoss.length < rows) {
      rowLoss = new double[rows];
      STEP_LOSSES.set(rowLoss);
    }
    int tasks = Parallelism.worthSplitting((long) rows * classes * SOFTMAX_FLOPS_PER_LOGIT, false)
        ? Math.min(rows, Parallelism.threads()) : 1;
    if (tasks == 1) {
      softmaxCrossEntropyRows(0, rows, classes, logits, lOff, labels, labOff, probs, pOff, grad, gOff, scale, rowLoss);
    } else {
      StepsJob job = StepsJob.CACHE.acquire();
      try {
        job.set(rows, tasks, classes, logits, lOff, labels, labOff, probs, pOff, grad, gOff, scale, rowLoss);
        Parallelism.forEach(tasks, job);
      } finally {
        StepsJob.CACHE.release(job);
      }
    }
    double sum = 0;
    for (int i = 0; i < rows; i++) {
      sum += rowLoss[i];
    }
    return labelled == 0 ? 0 : sum * n / labelled;
  }

  /** Rough flops per logit of the softmax cross-entropy (its exp), for {@link Parallelism#worthSplitting}. */
  private static final int SOFTMAX_FLOPS_PER_LOGIT = 20;

  /** This thread's per-row losses of {@link #softmaxCrossEntropySteps}: grown when too small, never shrunk. */
  private static final ThreadLocal<double[]> STEP_LOSSES = ThreadLocal.withInitial(() -> new double[0]);

  /** Rows [r0, r1) of {@link #softmaxCrossEntropySteps}, each row's loss into {@code rowLoss} (0 if unlabelled). */
  private static void softmaxCrossEntropyRows(int r0, int r1, int classes, float[] logits, int lOff, int[] labels,
      int labOff, float[] probs, int pOff, float[] grad, int gOff, float scale, double[] rowLoss) {
    for (int i = r0; i < r1; i++) {
      int row = lOff + i * classes;
      if (labels[labOff + i] == IGNORED) {
        if (probs != null) {
          Activations.apply(Activation.SOFTMAX, 0f, logits, row, probs, pOff + i * classes, 1, classes);
        }
        if (grad != null) {
          java.util.Arrays.fill(grad, gOff + i * classes, gOff + (i + 1) * classes, 0f);
        }
        rowLoss[i] = 0;
        continue;
      }
      rowLoss[i] = ScalarKernels.softmaxCrossEntropy(1, classes, logits, row, labels, labOff + i, probs,
          probs == null ? 0 : pOff + i * classes, grad, grad == null ? 0 : gOff + i * classes, scale);
    }
  }

  /** {@link #softmaxCrossEntropySteps} over blocks of rows, as a reusable task (see {@link Parallelism.TaskCache}). */
  private static final class StepsJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<StepsJob> CACHE = new Parallelism.TaskCache<>(StepsJob::new);
    private int rows, tasks, classes, lOff, labOff, pOff, gOff;
    private float[] logits, probs, grad;
    private int[] labels;
    private double[] rowLoss;
    private float scale;

    void set(int rows, int tasks, int classes, float[] logits, int lOff, int[] labels, int labOff, float[] probs,
        int pOff, float[] grad, int gOff, float scale, double[] rowLoss) {
      this.rows = rows;
      this.tasks = tasks;
      this.classes = classes;
      this.logits = logits;
      this.lOff = lOff;
      this.labels = labels;
      this.labOff = labOff;
      this.probs = probs;
      this.pOff = pOff;
      this.grad = grad;
      this.gOff = gOff;
      this.scale = scale;
      this.rowLoss = rowLoss;
    }

    @Override
    public void run(int task) {
      int r0 = (int) ((long) rows * task / tasks), r1 = (int) ((long) rows * (task + 1) / tasks);
      softmaxCrossEntropyRows(r0, r1, classes, logits, lOff, labels, labOff, probs, pOff, grad, gOff, scale, rowLoss);
    }

    @Override
    public void clear() {
      logits = probs = grad = null;
      labels = null;
      rowLoss = null;
    }
  }

  /**
   * One logit per row: loss = max(z,0) - z·t + log1p(e^-|z|), probs = sigmoid(z), grad = (p - t)·gradScale.
   *
   * @param probs [n] output probabilities, or null
   */
  public static double sigmoidBinaryCrossEntropy(int n, float[] logits, int lOff, float[] targets, int tOff,
      float[] probs, int pOff, float[] grad, int gOff, float gradScale) {
    Checks.dims(n);
    Checks.range("logits", logits, lOff, n, 1);
    Checks.range("targets", targets, tOff, n, 1);
    Checks.optionalRange("probs", probs, pOff, n, 1);
    Checks.optionalRange("grad", grad, gOff, n, 1);
    return ScalarKernels.sigmoidBinaryCrossEntropy(n, logits, lOff, targets, tOff, probs, pOff, grad, gOff, gradScale);
  }

  /**
   * Per row: loss = mean over cols of (p - t)² (so sum/n equals torch.nn.MSELoss), grad = 2(p - t)/cols·gradScale.
   */
  public static double meanSquaredError(int n, int cols, float[] pred, int pOff, float[] targets, int tOff,
      float[] grad, int gOff, float gradScale) {
    Checks.dims(n, cols);
    Checks.range("pred", pred, pOff, n, cols);
    Checks.range("targets", targets, tOff, n, cols);
    Checks.optionalRange("grad", grad, gOff, n, cols);
    if (Backend.VECTOR) {
      return VectorKernels.meanSquaredError(n, cols, pred, pOff, targets, tOff, grad, gOff, gradScale);
    }
    return ScalarKernels.meanSquaredError(n, cols, pred, pOff, targets, tOff, grad, gOff, gradScale);
  }

  static void checkLabel(int row, int label, int classes) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException("label " + label + " at row " + row + " is outside [0, " + classes + ")");
    }
  }
}
