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
    for (int r = 0; r < rows; r++) {
      int ar = as + r * gh;
      for (int j = 0; j < gh; j++) {
        float bias = bIhOff >= 0 ? w[bIhOff + j] : 0f;
        if (bHhOff >= 0 && !(gru && j >= 2 * hidden)) {
          bias += w[bHhOff + j];
        }
        ws[ar + j] = bias;
      }
    }
    Gemm.nt(rows, gh, inputs, ws, xs, w, wIhOff, ws, as, true);

    // The recurrent GEMM h·W_hhᵀ of every step: the vector backend transposes W_hh once per call into
    // a kernel-owned scratch and runs A·B per step (Gemm.nt would transpose it again at every step;
    // the same products in the same order, so bitwise the same result). The scalar backend's A·Bᵀ
    // sums in another order than its A·B, so it keeps A·Bᵀ.
    float[] whhT = null;
    if (Backend.VECTOR && (steps > 1 || (steps > 0 && state != null))) {
      whhT = transposedWeights(gh, hidden, w, wHhOff);
    }

    for (int s = 0; s < steps; s++) {
      int a = as + s * n * gh, e = es + s * n * hidden;
      int hPrev = s == 0 ? h0 : hs + (s - 1) * n * hidden;
      int cPrev = s == 0 ? c0 : es + (s - 1) * n * hidden;
      if (gru) {
        // E ← the n gate's input part; A's n columns ← b_hn, to which the GEMM adds W_hn·h.
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
      if (s > 0 || state != null) {
        if (whhT != null) {
          Gemm.nn(n, gh, hidden, ws, hPrev, whhT, 0, ws, a, true);
        } else {
          Gemm.nt(n, gh, hidden, ws, hPrev, w, wHhOff, ws, a, true);
        }
      }
      if (vector) {
        VectorRecurrentKernels.forwardStep(cell, n, hidden, s, lengths, lOff, ws, a, e, hPrev, cPrev,
            hs + s * n * hidden, e);
      } else {
        ScalarRecurrentKernels.forwardStep(cell, n, hidden, s, lengths, lOff, ws, a, e, hPrev, cPrev,
            hs + s * n * hidden, e);
      }
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
      if (vector) {
        VectorRecurrentKernels.backwardStep(cell, n, hidden, s, lengths, lOff, ws, a, e, hs + s * n * hidden, e,
            prev, hPrev, cPrev, dh, dc);
      } else {
        ScalarRecurrentKernels.backwardStep(cell, n, hidden, s, lengths, lOff, ws, a, e, hs + s * n * hidden, e,
            prev, hPrev, cPrev, dh, dc);
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
      columnSums(vector, rows, gh, ws, as, g, gbHhOff);
    }
    if (gru) {
      // Input side: the n columns become dn.
      for (int r = 0; r < rows; r++) {
        System.arraycopy(ws, es + r * hidden, ws, as + r * gh + 2 * hidden, hidden);
      }
    }
    if (g != null && gbIhOff >= 0) {
      columnSums(vector, rows, gh, ws, as, g, gbIhOff);
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

  /** This thread's W_hhᵀ scratch: grown when too small, never shrunk, so steady state allocates nothing. */
  private static final ThreadLocal<float[][]> TRANSPOSED = ThreadLocal.withInitial(() -> new float[1][0]);

  /** t[hidden, gh] = w[gh, hidden]ᵀ (at wOff) into this thread's scratch, in 32×32 tiles. */
  private static float[] transposedWeights(int gh, int hidden, float[] w, int wOff) {
    float[][] holder = TRANSPOSED.get();
    if (holder[0].length < gh * hidden) {
      holder[0] = new float[gh * hidden];
    }
    float[] t = holder[0];
    final int tile = 32;
    for (int j0 = 0; j0 < gh; j0 += tile) {
      int j1 = Math.min(gh, j0 + tile);
      for (int p0 = 0; p0 < hidden; p0 += tile) {
        int p1 = Math.min(hidden, p0 + tile);
        for (int j = j0; j < j1; j++) {
          int src = wOff + j * hidden;
          for (int p = p0; p < p1; p++) {
            t[p * gh + j] = w[src + p];
          }
        }
      }
    }
    return t;
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
