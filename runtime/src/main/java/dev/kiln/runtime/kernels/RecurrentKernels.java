package dev.kiln.runtime.kernels;

/**
 * One direction of a recurrent layer over a batch of sequences, forward and back-propagation through
 * time, called by generated code. PyTorch semantics ({@code batch_first=True}); see
 * {@link RecurrentCell} for the cells.
 *
 * <p>Layouts: the input {@code x} is {@code [n, steps, inputs]} (each sample contiguous); parameters
 * are PyTorch's {@code weight_ih [gates·hidden, inputs]}, {@code weight_hh [gates·hidden, hidden]},
 * {@code bias_ih [gates·hidden]}, {@code bias_hh [gates·hidden]}, each at its own offset of one
 * parameter array (an offset of -1 for both biases means none). The output is written into a row of
 * {@code outWidth} floats starting at column {@code outCol}, so that a bidirectional layer's two
 * directions write the two halves of one {@code [.., 2·hidden]} row: with {@code sequences}, output
 * {@code [n, steps, outWidth]} holds h at every step; without, {@code [n, outWidth]} holds each
 * sample's last state.
 *
 * <p>Lengths: with {@code lengths} (one per sample, in {@code [0, steps]}), only the first
 * {@code lengths[b]} steps of sample b are real, as with PyTorch's packed sequences: padded steps
 * produce zero outputs and get no gradient, the last state is the state after the last real step, and
 * the {@code reverse} direction starts at the last real step. Null lengths mean every step is real.
 *
 * <p>Workspace: forward saves what backward needs in {@code ws}, {@link #workspacePerSample} floats
 * per sample of the batch (the caller gives {@code n} times that); backward reuses it and must see it
 * as forward left it (it overwrites the saved gates with their gradients, so run it once per forward;
 * {@link #finalState} works before or after it). The input projection of all steps is one GEMM before the time loop, the
 * recurrent part one GEMM per step; backward's weight and input gradients are one GEMM each after the
 * loop. Nothing is allocated per call.
 *
 * <p>Initial state: {@code state} ({@code [n, hidden]} h, followed for the LSTM by {@code [n, hidden]}
 * c) or null for zeros. {@link #finalState} copies each sample's last state there for the next batch
 * (stateful training; truncated back-propagation: no gradient flows into the initial state).
 */
public final class RecurrentKernels {
  private RecurrentKernels() {}

  /**
   * Floats of workspace per sample for one direction:
   * {@code steps·(inputs + (gates+1)·hidden) + (LSTM or GRU ? steps·hidden : 0) + 2·hidden}.
   */
  public static int workspacePerSample(RecurrentCell cell, int steps, int inputs, int hidden) {
    int extra = cell == RecurrentCell.LSTM || cell == RecurrentCell.GRU ? steps * hidden : 0;
    return Math.addExact(Math.multiplyExact(steps, inputs + (cell.gates + 1) * hidden) + extra, 2 * hidden);
  }

  /**
   * Runs one direction over the batch and writes its output.
   *
   * @param reverse run from each sample's last real step back to its first (the backward half of a
   *     bidirectional layer); its sequence output at step t is the state after reading steps t..end
   * @param lengths real steps per sample, or null
   * @param state initial state, or null for zeros
   * @param ws workspace, {@code n · workspacePerSample} floats, filled for backward
   * @param y output; see the class comment for {@code outWidth}, {@code outCol} and {@code sequences}
   */
  public static void forward(RecurrentCell cell, int n, int steps, int inputs, int hidden, boolean reverse,
      float[] x, int xOff, float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, int[] lengths, int lengthsOff,
      float[] state, int stateOff, float[] ws, int wsOff, float[] y, int yOff, int outWidth, int outCol,
      boolean sequences) {
    check(cell, n, steps, inputs, hidden, x, xOff, w, wIhOff, wHhOff, bIhOff, bHhOff, lengths, lengthsOff, state,
        stateOff, ws, wsOff, outWidth, outCol);
    Checks.range("y", y, yOff, sequences ? Math.multiplyExact(n, steps) : n, outWidth);
    RecurrentTimeLoop.forward(Backend.VECTOR, cell, n, steps, inputs, hidden, reverse, x, xOff, w, wIhOff, wHhOff,
        bIhOff, bHhOff, lengths, lengthsOff, state, stateOff, ws, wsOff, y, yOff, outWidth, outCol, sequences);
  }

  /**
   * Back-propagation through time for the direction {@link #forward} ran last with the same
   * arguments: adds the parameter gradients into {@code g} (same offsets as the parameters, += ), and
   * writes (or, with {@code accumulate}, adds) the input gradient into {@code dx}. With {@code g}
   * null it computes the input gradient alone (the input-gradient pass of a generated model).
   *
   * @param dy gradient of the output, laid out as {@code y}
   * @param dx input gradient {@code [n, steps, inputs]}, or null when the input needs none
   * @param g parameter gradients, or null for none (then {@code dx} must not be null)
   */
  public static void backward(RecurrentCell cell, int n, int steps, int inputs, int hidden, boolean reverse,
      float[] x, int xOff, float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, int[] lengths, int lengthsOff,
      float[] state, int stateOff, float[] ws, int wsOff, float[] dy, int dyOff, int outWidth, int outCol,
      boolean sequences, float[] dx, int dxOff, boolean accumulate, float[] g, int gIhOff, int gHhOff, int gbIhOff,
      int gbHhOff) {
    check(cell, n, steps, inputs, hidden, x, xOff, w, wIhOff, wHhOff, bIhOff, bHhOff, lengths, lengthsOff, state,
        stateOff, ws, wsOff, outWidth, outCol);
    int gh = cell.gates * hidden;
    Checks.range("dy", dy, dyOff, sequences ? Math.multiplyExact(n, steps) : n, outWidth);
    Checks.optionalRange("dx", dx, dxOff, n, Math.multiplyExact(steps, inputs));
    if (g != null) {
      Checks.range("gradient of weight_ih", g, gIhOff, gh, inputs);
      Checks.range("gradient of weight_hh", g, gHhOff, gh, hidden);
      optionalBias("gradient of bias_ih", g, gbIhOff, gh);
      optionalBias("gradient of bias_hh", g, gbHhOff, gh);
    } else if (dx == null) {
      throw new IllegalArgumentException("recurrent backward: neither parameter nor input gradients asked for");
    }
    RecurrentTimeLoop.backward(Backend.VECTOR, cell, n, steps, inputs, hidden, reverse, w, wIhOff, wHhOff, lengths,
        lengthsOff, state, stateOff, ws, wsOff, dy, dyOff, outWidth, outCol, sequences, dx, dxOff, accumulate, g,
        gIhOff, gHhOff, gbIhOff, gbHhOff);
  }

  /**
   * Copies each sample's last state (h, then c for the LSTM) after {@link #forward} into
   * {@code state}, to start the next batch from it.
   */
  public static void finalState(RecurrentCell cell, int n, int steps, int hidden, boolean reverse, int[] lengths,
      int lengthsOff, float[] ws, int wsOff, float[] state, int stateOff) {
    Checks.dims(n, steps, hidden);
    Checks.range("ws", ws, wsOff, n, lastStateEnd(cell, steps, hidden));
    Checks.range("state", state, stateOff, n, stateWidth(cell, hidden));
    RecurrentTimeLoop.finalState(cell, n, steps, hidden, ws, wsOff, state, stateOff);
  }

  /**
   * Runs one (forward) direction over {@code steps} steps of each of {@code n} rows from the carried
   * {@code state} and leaves the state after the last step there: the streaming pass of a generated
   * model, which feeds a language model one token (or a short prefix) at a time and costs
   * O(steps) instead of a forward over a whole window. Every step is real (no lengths). {@code ws}
   * holds {@code n · workspacePerSample(cell, steps, inputs, hidden)} floats, laid out as for
   * {@link #forward} (which a window's workspace of more steps also fits); {@code y} as for
   * {@link #forward} with {@code steps} steps. Equal to {@link #forward} from the same state to
   * rounding (the products are summed in another order). Nothing is allocated.
   *
   * @param state {@code [n, hidden]} h, then for the LSTM {@code [n, hidden]} c: read, then replaced
   */
  public static void stream(RecurrentCell cell, int n, int steps, int inputs, int hidden, float[] x, int xOff,
      float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, float[] state, int stateOff, float[] ws, int wsOff,
      float[] y, int yOff, int outWidth, int outCol, boolean sequences) {
    java.util.Objects.requireNonNull(state, "state");
    check(cell, n, steps, inputs, hidden, x, xOff, w, wIhOff, wHhOff, bIhOff, bHhOff, null, 0, state, stateOff, ws,
        wsOff, outWidth, outCol);
    if (steps == 0) {
      throw new IllegalArgumentException("recurrent stream: no steps to run");
    }
    Checks.range("y", y, yOff, sequences ? Math.multiplyExact(n, steps) : n, outWidth);
    RecurrentStreamLoop.forward(Backend.VECTOR, cell, n, steps, inputs, hidden, x, xOff, w, wIhOff, wHhOff, bIhOff,
        bHhOff, state, stateOff, ws, wsOff, y, yOff, outWidth, outCol, sequences);
  }

  /** Floats per sample of {@code state}: h, and c for the LSTM. */
  static int stateWidth(RecurrentCell cell, int hidden) {
    return cell == RecurrentCell.LSTM ? 2 * hidden : hidden;
  }

  /** The part of the workspace finalState reads (it is not told the input width, which only X depends on). */
  private static int lastStateEnd(RecurrentCell cell, int steps, int hidden) {
    return Math.multiplyExact(steps, (cell.gates + (cell == RecurrentCell.LSTM ? 2 : 1)) * hidden);
  }

  private static void check(RecurrentCell cell, int n, int steps, int inputs, int hidden, float[] x, int xOff,
      float[] w, int wIhOff, int wHhOff, int bIhOff, int bHhOff, int[] lengths, int lengthsOff, float[] state,
      int stateOff, float[] ws, int wsOff, int outWidth, int outCol) {
    java.util.Objects.requireNonNull(cell, "cell");
    Checks.dims(n, steps, inputs);
    Checks.dims(hidden, outWidth);
    if (outCol < 0 || outCol + hidden > outWidth) {
      throw new IllegalArgumentException("recurrent output columns [" + outCol + ", " + (outCol + hidden)
          + ") do not fit in a row of " + outWidth);
    }
    int gh = Math.multiplyExact(cell.gates, hidden);
    Checks.range("x", x, xOff, n, Math.multiplyExact(steps, inputs));
    Checks.range("weight_ih", w, wIhOff, gh, inputs);
    Checks.range("weight_hh", w, wHhOff, gh, hidden);
    optionalBias("bias_ih", w, bIhOff, gh);
    optionalBias("bias_hh", w, bHhOff, gh);
    Checks.optionalRange("lengths", lengths, lengthsOff, 1, n);
    if (lengths != null) {
      for (int b = 0; b < n; b++) {
        int len = lengths[lengthsOff + b];
        if (len < 0 || len > steps) {
          throw new IllegalArgumentException("recurrent: length " + len + " of sample " + b + " is outside [0, "
              + steps + "]");
        }
      }
    }
    Checks.optionalRange("state", state, stateOff, n, stateWidth(cell, hidden));
    Checks.range("ws", ws, wsOff, n, workspacePerSample(cell, steps, inputs, hidden));
  }

  /** An offset of -1 means no bias. */
  private static void optionalBias(String name, float[] array, int off, int size) {
    if (off != -1) {
      Checks.range(name, array, off, 1, size);
    }
  }
}
