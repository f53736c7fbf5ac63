package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * The time loop of {@link RecurrentKernels} (arguments already checked), shared by both backends: the
 * layout of the workspace and the GEMMs ({@link Gemm}) are here, the cells' elementwise step is
 * {@link VectorRecurrentKernels} or {@link ScalarRecurrentKernels} as {@code vector} says.
 *
 * <p>Workspace, everything time-major in processing order (step s of the reverse direction is time
 * {@code len-1-s} of a sample, and steps {@code s >= len} are padding):
 *
 * <pre>
 *   A   [steps][n][gates·hidden]  gate pre-activations, then activated gates; backward: their gradients
 *   H   [steps][n][hidden]        h after each step (a padded step repeats the previous h)
 *   E   [steps][n][hidden]        LSTM: c after each step; GRU: the n gate (see ScalarRecurrentKernels);
 *                                 none for the plain RNN
 *   S   [2][n][hidden]            forward: the initial h and c; backward: dh and dc
 *   X   [steps][n][inputs]        the input, zero at padded steps; backward: the input gradient
 * </pre>
 *
 * <p>X comes last so that {@link #finalState}, which is not told the input width, finds H and E.
 * Backward overwrites A, E (GRU), S and X; H and the LSTM's c stay, so finalState works after it too.
 */
final class RecurrentTimeLoop {
  private RecurrentTimeLoop() {}

  /** Where sample b's processing step s reads its input and writes its output. */
  private static int time(boolean reverse, int len, int s) {
    return reverse && s < len ? len - 1 - s : s;
  }

  private static int length(int[] lengths, int lOff, int b, int steps) {
    return lengths == null ? steps : lengths[lOff + b];
  }

  static void forward(boolean vector, RecurrentCell cell, int n, int steps, int inputs, int hidden, boolean reverse,
      float[] x, int xOff, float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, int[] lengths, int lOff,
      float[] state, int stateOff, float[] ws, int wsOff, float[] y, int yOff, int outWidth, int outCol,
      boolean sequences) {
    int gh = cell.gates * hidden, rows = steps * n;
    int as = wsOff, hs = as + rows * gh, es = hs + rows * hidden;
    int ss = es + (cell == RecurrentCell.LSTM || cell == RecurrentCell.GRU ? rows * hidden : 0);
    int xs = ss + 2 * n * hidden;
    int h0 = ss, c0 = ss + n * hidden;
    boolean gru = cell == RecurrentCell.GRU;

    // Initial state into S.
    if (state != null) {
      System.arraycopy(state, stateOff, ws, h0, n * hidden);
      if (cell == RecurrentCell.LSTM) {
        System.arraycopy(state, stateOff + n * hidden, ws, c0, n * hidden);
      }
    } else {
      Arrays.fill(ws, h0, h0 + 2 * n * hidden, 0f);
    }

    // X: time-major copy, reversed within each sample's real steps for the reverse direction.
    for (int b = 0; b < n; b++) {
      int len = length(lengths, lOff, b, steps);
      for (int s = 0; s < steps; s++) {
        int dst = xs + (s * n + b) * inputs;
        if (s < len) {
          System.arraycopy(x, xOff + (b * steps + time(reverse, len, s)) * inputs, ws, dst, inputs);
        } else {
          Arrays.fill(ws, dst, dst + inputs, 0f);
        }
      }
    }

    // A = X·W_ihᵀ + b_ih + b_hh for every step in one GEMM (the GRU's n columns get b_in only: b_hn
    // belongs inside the reset product).
    Scratch scratch = SCRATCH.get();
    float[] bias = inputBias(cell, hidden, w, bIhOff, bHhOff);
    if (Backend.VECTOR) {
      // The bias row starts each output's accumulator inside the GEMM (bitwise what filling A with it
      // and accumulating gives, without the pass over A).
      float[] wIhT = scratch.transposed(inputs * gh, 1);
      transpose(gh, inputs, w, wIhOff, wIhT);
      VectorKernels.denseForward(rows, inputs, gh, ws, xs, wIhT, 0, bias, 0, Activation.LINEAR, 0f, ws, as, null, 0);
    } else {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(bias, 0, ws, as + r * gh, gh);
      }
      Gemm.nt(rows, gh, inputs, ws, xs, w, wIhOff, ws, as, true);
    }

    // The recurrent GEMM h·W_hhᵀ of every step: the vector backend transposes W_hh once per call into
    // a kernel-owned scratch and runs A·B per step (Gemm.nt would transpose it again at every step;
    // the same products in the same order, so bitwise the same result). The scalar backend's A·Bᵀ
    // sums in another order than its A·B, so it keeps A·Bᵀ.
    float[] whhT = null;
    if (Backend.VECTOR && (steps > 1 || (steps > 0 && state != null))) {
      whhT = scratch.transposed(gh * hidden, 0);
      transpose(gh, hidden, w, wHhOff, whhT);
    }

    for (int s = 0; s < steps; s++) {
      int a = as + s * n * gh, e = es + s * n * hidden;
      int hPrev = s == 0 ? h0 : hs + (s - 1) * n * hidden;
      int cPrev = s == 0 ? c0 : es + (s - 1) * n * hidden;
      if (gru) {
        prepareGruStep(n, hidden, ws, a, e, w, bHhOff);
      }
      if (s > 0 || state != null) {
        if (whhT != null) {
          Gemm.nn(n, gh, hidden, ws, hPrev, whhT, 0, ws, a, true);
        } else {
          Gemm.nt(n, gh, hidden, ws, hPrev, w, wHhOff, ws, a, true);
        }
      }
      StepJob.forward(vector, cell, n, hidden, s, lengths, lOff, ws, a, e, hPrev, cPrev, hs + s * n * hidden, e);
    }

    // Output.
    for (int b = 0; b < n; b++) {
      int len = length(lengths, lOff, b, steps);
      if (sequences) {
        for (int s = 0; s < steps; s++) {
          int dst = yOff + (b * steps + time(reverse, len, s)) * outWidth + outCol;
          if (s < len) {
            System.arraycopy(ws, hs + (s * n + b) * hidden, y, dst, hidden);
          } else {
            Arrays.fill(y, dst, dst + hidden, 0f);
          }
        }
      } else {
        int src = steps == 0 ? h0 + b * hidden : hs + ((steps - 1) * n + b) * hidden;
        System.arraycopy(ws, src, y, yOff + b * outWidth + outCol, hidden);
      }
    }
  }

  static void backward(boolean vector, RecurrentCell cell, int n, int steps, int inputs, int hidden,
      boolean reverse, float[] w, int wIhOff, int wHhOff, int[] lengths, int lOff, float[] state, int stateOff,
      float[] ws, int wsOff, float[] dy, int dyOff, int outWidth, int outCol, boolean sequences, float[] dx,
      int dxOff, boolean accumulate, float[] g, int gIhOff, int gHhOff, int gbIhOff, int gbHhOff) {
    int gh = cell.gates * hidden, rows = steps * n;
    int as = wsOff, hs = as + rows * gh, es = hs + rows * hidden;
    int ss = es + (cell == RecurrentCell.LSTM || cell == RecurrentCell.GRU ? rows * hidden : 0);
    int xs = ss + 2 * n * hidden;
    int dh = ss, dc = ss + n * hidden;
    boolean gru = cell == RecurrentCell.GRU;

    Arrays.fill(ws, dh, dh + 2 * n * hidden, 0f);
    // Σ_t dG_t column by column, added step by step while the step's rows are in cache (one pass
    // over A after the loop cost 1.4 ms per bias for LSTM(256) over 64 steps at batch 32).
    boolean biasSums = g != null && (gbHhOff >= 0 || (gbIhOff >= 0 && !gru));
    float[] sums = biasSums ? SCRATCH.get().sums(gh) : null;
    for (int s = steps - 1; s >= 0; s--) {
      // dh += the output's gradient at this step (the last state's at the last step: padded steps
      // repeat the state, so it flows back to each sample's last real step unchanged).
      for (int b = 0; b < n; b++) {
        int len = length(lengths, lOff, b, steps);
        int src = -1;
        if (sequences && s < len) {
          src = dyOff + (b * steps + time(reverse, len, s)) * outWidth + outCol;
        } else if (!sequences && s == steps - 1) {
          src = dyOff + b * outWidth + outCol;
        }
        if (src >= 0) {
          int d = dh + b * hidden;
          for (int j = 0; j < hidden; j++) {
            ws[d + j] += dy[src + j];
          }
        }
      }
      int a = as + s * n * gh, e = es + s * n * hidden;
      float[] prev = s > 0 ? ws : state;
      int hPrev = s > 0 ? hs + (s - 1) * n * hidden : state != null ? stateOff : -1;
      int cPrev = s > 0 ? es + (s - 1) * n * hidden : state != null ? stateOff + n * hidden : -1;
      StepJob.backward(vector, cell, n, hidden, s, lengths, lOff, ws, a, e, hs + s * n * hidden, e, prev, hPrev,
          cPrev, dh, dc);
      if (biasSums) {
        // A plain loop (C2 vectorizes it), not VectorKernels.columnSums: called per step with a few
        // rows, that vector method may still run below C2 (boxing its vectors) when training starts.
        for (int b = 0; b < n; b++) {
          int row = a + b * gh;
          for (int j = 0; j < gh; j++) {
            sums[j] += ws[row + j];
          }
        }
      }
      if (s > 0) {
        // dh_{t-1} += dG_t·W_hh (no gradient flows into the initial state)
        Gemm.nn(n, hidden, gh, ws, a, w, wHhOff, ws, dh, true);
      }
    }

    // Hidden side first: dW_hh += Σ_t dG_tᵀ·h_{t-1}, db_hh += Σ dG (the GRU's n columns hold dn·r).
    if (g != null && steps > 1) {
      Gemm.tn(gh, hidden, (steps - 1) * n, ws, as + n * gh, ws, hs, g, gHhOff, true);
    }
    if (g != null && steps > 0 && state != null) {
      Gemm.tn(gh, hidden, n, ws, as, state, stateOff, g, gHhOff, true);
    }
    if (g != null && gbHhOff >= 0) {
      addInto(gh, sums, g, gbHhOff);
    }
    if (gru) {
      // Input side: the n columns become dn.
      for (int r = 0; r < rows; r++) {
        System.arraycopy(ws, es + r * hidden, ws, as + r * gh + 2 * hidden, hidden);
      }
    }
    if (g != null && gbIhOff >= 0) {
      if (gru) {
        columnSums(vector, rows, gh, ws, as, g, gbIhOff);
      } else {
        addInto(gh, sums, g, gbIhOff); // the same gate gradients as the hidden side
      }
    }
    if (g != null) {
      Gemm.tn(gh, inputs, rows, ws, as, ws, xs, g, gIhOff, true);
    }
    if (dx == null) {
      return;
    }
    // dX = dG·W_ih over the time-major copy, then back to [n, steps, inputs].
    Gemm.nn(rows, inputs, gh, ws, as, w, wIhOff, ws, xs, false);
    for (int b = 0; b < n; b++) {
      int len = length(lengths, lOff, b, steps);
      for (int s = 0; s < steps; s++) {
        int src = xs + (s * n + b) * inputs, dst = dxOff + (b * steps + time(reverse, len, s)) * inputs;
        if (accumulate) {
          for (int j = 0; j < inputs; j++) {
            dx[dst + j] += ws[src + j];
          }
        } else {
          System.arraycopy(ws, src, dx, dst, inputs);
        }
      }
    }
  }

  /**
   * One step's elementwise cell work (forward or backward) over the batch rows, split into one
   * contiguous block of rows per thread when the step is large enough: each row's gates depend on
   * that row alone, so the split cannot change a result. Between the step's GEMMs, which are split
   * over the threads, this part would otherwise run on the calling thread alone.
   */
  private static final class StepJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<StepJob> CACHE = new Parallelism.TaskCache<>(StepJob::new);
    /** Rough flops per gate element of a step (the transcendentals), for {@link Parallelism#worthSplitting}. */
    private static final int FLOPS_PER_GATE = 32;
    private boolean isForward, vector;
    private RecurrentCell cell;
    private int n, hidden, step, lOff, a, e, hPrev, cPrev, h, c, dh, dc, tasks;
    private int[] lengths;
    private float[] ws, prev;

    @Override
    public void clear() {
      lengths = null;
      ws = prev = null;
    }


    static void forward(boolean vector, RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
        float[] ws, int a, int e, int hPrev, int cPrev, int h, int c) {
      int tasks = stepTasks(cell, n, hidden);
      if (tasks == 1) {
        forwardRows(vector, cell, 0, n, hidden, step, lengths, lOff, ws, a, e, hPrev, cPrev, h, c);
        return;
      }
      StepJob job = CACHE.acquire();
      try {
        job.set(true, vector, cell, n, hidden, step, lengths, lOff, ws, a, e, hPrev, cPrev, h, c, null, 0, 0,
            tasks);
        Parallelism.forEach(tasks, job);
      } finally {
        CACHE.release(job);
      }
    }

    static void backward(boolean vector, RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
        float[] ws, int a, int e, int h, int c, float[] prev, int hPrev, int cPrev, int dh, int dc) {
      int tasks = stepTasks(cell, n, hidden);
      if (tasks == 1) {
        backwardRows(vector, cell, 0, n, hidden, step, lengths, lOff, ws, a, e, h, c, prev, hPrev, cPrev, dh, dc);
        return;
      }
      StepJob job = CACHE.acquire();
      try {
        job.set(false, vector, cell, n, hidden, step, lengths, lOff, ws, a, e, hPrev, cPrev, h, c, prev, dh, dc,
            tasks);
        Parallelism.forEach(tasks, job);
      } finally {
        CACHE.release(job);
      }
    }

    private void set(boolean isForward, boolean vector, RecurrentCell cell, int n, int hidden, int step,
        int[] lengths, int lOff, float[] ws, int a, int e, int hPrev, int cPrev, int h, int c, float[] prev, int dh,
        int dc, int tasks) {
      this.isForward = isForward;
      this.vector = vector;
      this.cell = cell;
      this.n = n;
      this.hidden = hidden;
      this.step = step;
      this.lengths = lengths;
      this.lOff = lOff;
      this.ws = ws;
      this.a = a;
      this.e = e;
      this.hPrev = hPrev;
      this.cPrev = cPrev;
      this.h = h;
      this.c = c;
      this.prev = prev;
      this.dh = dh;
      this.dc = dc;
      this.tasks = tasks;
    }

    @Override
    public void run(int task) {
      int b0 = (int) ((long) n * task / tasks), b1 = (int) ((long) n * (task + 1) / tasks);
      if (isForward) {
        forwardRows(vector, cell, b0, b1, hidden, step, lengths, lOff, ws, a, e, hPrev, cPrev, h, c);
      } else {
        backwardRows(vector, cell, b0, b1, hidden, step, lengths, lOff, ws, a, e, h, c, prev, hPrev, cPrev, dh, dc);
      }
    }

    /** Rows [b0, b1) of a forward step. */
    private static void forwardRows(boolean vector, RecurrentCell cell, int b0, int b1, int hidden, int step,
        int[] lengths, int lOff, float[] ws, int a, int e, int hPrev, int cPrev, int h, int c) {
      int gh = cell.gates * hidden, r = b0 * hidden;
      if (vector) {
        VectorRecurrentKernels.forwardStep(cell, b1 - b0, hidden, step, lengths, lOff + b0, ws, a + b0 * gh, e + r,
            hPrev + r, cPrev + r, h + r, c + r);
      } else {
        ScalarRecurrentKernels.forwardStep(cell, b1 - b0, hidden, step, lengths, lOff + b0, ws, a + b0 * gh, e + r,
            hPrev + r, cPrev + r, h + r, c + r);
      }
    }

    /** Rows [b0, b1) of a backward step; a previous state at -1 (zeros) stays -1. */
    private static void backwardRows(boolean vector, RecurrentCell cell, int b0, int b1, int hidden, int step,
        int[] lengths, int lOff, float[] ws, int a, int e, int h, int c, float[] prev, int hPrev, int cPrev, int dh,
        int dc) {
      int gh = cell.gates * hidden, r = b0 * hidden;
      int hp = hPrev < 0 ? -1 : hPrev + r, cp = cPrev < 0 ? -1 : cPrev + r;
      if (vector) {
        VectorRecurrentKernels.backwardStep(cell, b1 - b0, hidden, step, lengths, lOff + b0, ws, a + b0 * gh,
            e + r, h + r, c + r, prev, hp, cp, dh + r, dc + r);
      } else {
        ScalarRecurrentKernels.backwardStep(cell, b1 - b0, hidden, step, lengths, lOff + b0, ws, a + b0 * gh,
            e + r, h + r, c + r, prev, hp, cp, dh + r, dc + r);
      }
    }
  }

  /** Tasks one step's cell work over n rows is split into: one per thread when worth splitting, else 1. */
  static int stepTasks(RecurrentCell cell, int n, int hidden) {
    long flops = (long) n * cell.gates * hidden * StepJob.FLOPS_PER_GATE;
    return n > 1 && Parallelism.worthSplitting(flops, false) ? Math.min(n, Parallelism.threads()) : 1;
  }

  /** A thread's buffers: the transposed weights and the bias row of forward, the bias gradient of backward. */
  /**
   * The bias row of the input projection A, b_ih + b_hh (the GRU's n columns get b_in only: b_hn
   * belongs inside the reset product), in this thread's scratch ({@code gates·hidden} floats).
   */
  static float[] inputBias(RecurrentCell cell, int hidden, float[] w, int bIhOff, int bHhOff) {
    int gh = cell.gates * hidden;
    boolean gru = cell == RecurrentCell.GRU;
    float[] bias = SCRATCH.get().bias(gh);
    for (int j = 0; j < gh; j++) {
      float b = bIhOff >= 0 ? w[bIhOff + j] : 0f;
      if (bHhOff >= 0 && !(gru && j >= 2 * hidden)) {
        b += w[bHhOff + j];
      }
      bias[j] = b;
    }
    return bias;
  }

  /**
   * Before a GRU step's recurrent product: E ← the n gate's input part; A's n columns ← b_hn (zeros
   * without biases), to which the product adds W_hn·h.
   */
  static void prepareGruStep(int n, int hidden, float[] ws, int a, int e, float[] w, int bHhOff) {
    int gh = RecurrentCell.GRU.gates * hidden;
    for (int b = 0; b < n; b++) {
      int an = a + b * gh + 2 * hidden;
      System.arraycopy(ws, an, ws, e + b * hidden, hidden);
      if (bHhOff >= 0) {
        System.arraycopy(w, bHhOff + 2 * hidden, ws, an, hidden);
      } else {
        Arrays.fill(ws, an, an + hidden, 0f);
      }
    }
  }

  private static final class Scratch {
    private final float[][] transposed = {new float[0], new float[0]};
    private float[] bias = new float[0];
    private float[] sums = new float[0];

    /** Transposed-weights buffer {@code which} (0: W_hh, 1: W_ih), at least {@code size} floats. */
    float[] transposed(int size, int which) {
      if (transposed[which].length < size) {
        transposed[which] = new float[size];
      }
      return transposed[which];
    }

    float[] bias(int size) {
      if (bias.length < size) {
        bias = new float[size];
      }
      return bias;
    }

    /** A zeroed buffer of {@code size} floats for column sums. */
    float[] sums(int size) {
      if (sums.length < size) {
        sums = new float[size];
      }
      Arrays.fill(sums, 0, size, 0f);
      return sums;
    }
  }

  /** Grown when too small, never shrunk, so steady state allocates nothing. */
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * t[cols, rows] = w[rows, cols]ᵀ (at wOff), in tiles of 8 rows of t by 16 of its columns: with
   * t's rows a power of two apart (4 KB for 1024 gate columns) a taller tile writes more lines that
   * fall into one L1 set than the cache has ways (32×32 tiles took 2 ms for W_hh of LSTM(256)).
   */
  private static void transpose(int rows, int cols, float[] w, int wOff, float[] t) {
    final int tileP = 8, tileJ = 16;
    for (int p0 = 0; p0 < cols; p0 += tileP) {
      int p1 = Math.min(cols, p0 + tileP);
      for (int j0 = 0; j0 < rows; j0 += tileJ) {
        int j1 = Math.min(rows, j0 + tileJ);
        for (int j = j0; j < j1; j++) {
          int src = wOff + j * cols;
          for (int p = p0; p < p1; p++) {
            t[p * rows + j] = w[src + p];
          }
        }
      }
    }
  }

  static void finalState(RecurrentCell cell, int n, int steps, int hidden, float[] ws, int wsOff, float[] state,
      int stateOff) {
    if (steps == 0) {
      return;
    }
    int gh = cell.gates * hidden, rows = steps * n;
    int hs = wsOff + rows * gh, es = hs + rows * hidden;
    System.arraycopy(ws, hs + (steps - 1) * n * hidden, state, stateOff, n * hidden);
    if (cell == RecurrentCell.LSTM) {
      System.arraycopy(ws, es + (steps - 1) * n * hidden, state, stateOff + n * hidden, n * hidden);
    }
  }

  /** dst[dstOff, +len) += src[0, len). */
  private static void addInto(int len, float[] src, float[] dst, int dstOff) {
    for (int j = 0; j < len; j++) {
      dst[dstOff + j] += src[j];
    }
  }

  /** db[cols] += column sums of m[rows, cols]. */
  private static void columnSums(boolean vector, int rows, int cols, float[] m, int mOff, float[] db, int dbOff) {
    if (vector) {
      VectorKernels.columnSums(rows, cols, m, mOff, db, dbOff);
      return;
    }
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < cols; j++) {
        db[dbOff + j] += m[mOff + r * cols + j];
      }
    }
  }
}
