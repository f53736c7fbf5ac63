package dev.kiln.runtime.kernels;

/**
 * The time loop of {@link RecurrentKernels#stream} (arguments already checked): a few steps from a
 * carried state, for generation one token at a time. Same workspace layout as
 * {@link RecurrentTimeLoop} (A, H, E, S, X; see there) and the same cells' elementwise steps, but the
 * products are row dot products against the weights as PyTorch stores them ({@link RowDots}), because
 * a GEMM would transpose the whole weight matrix at every call, which at one row costs more than the
 * product itself. The sums run in another order than the GEMM's, so a streamed step equals the
 * windowed forward to rounding (about 1e-7 relative), not bitwise.
 */
final class RecurrentStreamLoop {
  private RecurrentStreamLoop() {}

  static void forward(boolean vector, RecurrentCell cell, int n, int steps, int inputs, int hidden, float[] x,
      int xOff, float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, float[] state, int stateOff, float[] ws,
      int wsOff, float[] y, int yOff, int outWidth, int outCol, boolean sequences) {
    int gh = cell.gates * hidden, rows = steps * n;
    int as = wsOff, hs = as + rows * gh, es = hs + rows * hidden;
    int ss = es + (cell == RecurrentCell.LSTM || cell == RecurrentCell.GRU ? rows * hidden : 0);
    int xs = ss + 2 * n * hidden;
    int h0 = ss, c0 = ss + n * hidden;
    boolean gru = cell == RecurrentCell.GRU;

    System.arraycopy(state, stateOff, ws, h0, n * hidden);
    if (cell == RecurrentCell.LSTM) {
      System.arraycopy(state, stateOff + n * hidden, ws, c0, n * hidden);
    }
    // X time-major: [n, steps, inputs] -> [steps][n][inputs].
    for (int b = 0; b < n; b++) {
      for (int s = 0; s < steps; s++) {
        System.arraycopy(x, xOff + (b * steps + s) * inputs, ws, xs + (s * n + b) * inputs, inputs);
      }
    }
    // A = b_ih + b_hh (the GRU's n columns: b_in only) + X·W_ihᵀ.
    float[] bias = RecurrentTimeLoop.inputBias(cell, hidden, w, bIhOff, bHhOff);
    for (int r = 0; r < rows; r++) {
      System.arraycopy(bias, 0, ws, as + r * gh, gh);
    }
    RowDots.add(vector, rows, gh, inputs, ws, xs, w, wIhOff, ws, as);

    for (int s = 0; s < steps; s++) {
      int a = as + s * n * gh, e = es + s * n * hidden;
      int hPrev = s == 0 ? h0 : hs + (s - 1) * n * hidden;
      int cPrev = s == 0 ? c0 : es + (s - 1) * n * hidden;
      if (gru) {
        RecurrentTimeLoop.prepareGruStep(n, hidden, ws, a, e, w, bHhOff);
      }
      RowDots.add(vector, n, gh, hidden, ws, hPrev, w, wHhOff, ws, a);
      if (vector) {
        VectorRecurrentKernels.forwardStep(cell, n, hidden, s, null, 0, ws, a, e, hPrev, cPrev, hs + s * n * hidden, e);
      } else {
        ScalarRecurrentKernels.forwardStep(cell, n, hidden, s, null, 0, ws, a, e, hPrev, cPrev, hs + s * n * hidden, e);
      }
    }

    for (int b = 0; b < n; b++) {
      if (sequences) {
        for (int s = 0; s < steps; s++) {
          System.arraycopy(ws, hs + (s * n + b) * hidden, y, yOff + (b * steps + s) * outWidth + outCol, hidden);
        }
      } else {
        System.arraycopy(ws, hs + ((steps - 1) * n + b) * hidden, y, yOff + b * outWidth + outCol, hidden);
      }
    }
    // The state after the last step carries to the next call.
    System.arraycopy(ws, hs + (steps - 1) * n * hidden, state, stateOff, n * hidden);
    if (cell == RecurrentCell.LSTM) {
      System.arraycopy(ws, es + (steps - 1) * n * hidden, state, stateOff + n * hidden, n * hidden);
    }
  }
}
