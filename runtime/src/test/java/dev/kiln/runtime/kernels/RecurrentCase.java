package dev.kiln.runtime.kernels;

import java.util.Arrays;
import java.util.Random;

/**
 * One recurrent direction with random inputs, parameters and output gradient, run forward and backward
 * on either backend; the fixture of the recurrent kernel tests. Parameters sit in one array at offset
 * {@link #P0} as {@code [weight_ih | weight_hh | bias_ih | bias_hh]}, the output in columns
 * {@code [outCol, outCol + hidden)} of rows of {@code outWidth = 2·hidden + 3} (NaN elsewhere).
 */
final class RecurrentCase {
  static final int P0 = 3;

  final RecurrentCell cell;
  final int n, steps, inputs, hidden, gh, outWidth, outCol;
  final boolean reverse, sequences, bias;
  final int[] lengths;
  final float[] x, w, state, r;
  final int wIh, wHh, bIh, bHh;

  /** Results of the last {@link #run}. */
  float[] y, last, dx, g, ws;

  RecurrentCase(RecurrentCell cell, int n, int steps, int inputs, int hidden, boolean reverse, boolean sequences,
      int[] lengths, boolean withState, boolean bias, Random rnd) {
    this.cell = cell;
    this.n = n;
    this.steps = steps;
    this.inputs = inputs;
    this.hidden = hidden;
    this.reverse = reverse;
    this.sequences = sequences;
    this.lengths = lengths;
    this.bias = bias;
    gh = cell.gates * hidden;
    outWidth = 2 * hidden + 3;
    outCol = reverse ? hidden + 2 : 1;
    wIh = P0;
    wHh = wIh + gh * inputs;
    bIh = bias ? wHh + gh * hidden : -1;
    bHh = bias ? bIh + gh : -1;
    int size = wHh + gh * hidden + (bias ? 2 * gh : 0);
    x = Reference.random(rnd, n * steps * inputs);
    w = Reference.random(rnd, size + 2);
    // PyTorch's default initialisation scale, so that the gates are neither saturated nor linear.
    float scale = (float) (1 / Math.sqrt(hidden));
    for (int i = 0; i < w.length; i++) {
      w[i] *= scale;
    }
    state = withState ? Reference.random(rnd, n * RecurrentKernels.stateWidth(cell, hidden)) : null;
    r = Reference.random(rnd, (sequences ? n * steps : n) * outWidth);
  }

  int stateWidth() {
    return RecurrentKernels.stateWidth(cell, hidden);
  }

  /** Forward, final state and backward (L = Σ r·y) on the chosen backend (vector only where available). */
  void run(boolean vector) {
    int rows = sequences ? n * steps : n;
    y = new float[rows * outWidth];
    Arrays.fill(y, Float.NaN);
    ws = new float[n * RecurrentKernels.workspacePerSample(cell, steps, inputs, hidden)];
    Arrays.fill(ws, Float.NaN); // the kernels must not read what they did not write
    last = new float[n * stateWidth()];
    dx = new float[x.length];
    g = new float[w.length];
    if (vector == Backend.vectorized()) {
      RecurrentKernels.forward(cell, n, steps, inputs, hidden, reverse, x, 0, w, wIh, wHh, bIh, bHh, lengths, 0,
          state, 0, ws, 0, y, 0, outWidth, outCol, sequences);
      RecurrentKernels.finalState(cell, n, steps, hidden, reverse, lengths, 0, ws, 0, last, 0);
      RecurrentKernels.backward(cell, n, steps, inputs, hidden, reverse, x, 0, w, wIh, wHh, bIh, bHh, lengths, 0,
          state, 0, ws, 0, r, 0, outWidth, outCol, sequences, dx, 0, false, g, wIh, wHh, bIh, bHh);
    } else {
      RecurrentTimeLoop.forward(vector, cell, n, steps, inputs, hidden, reverse, x, 0, w, wIh, wHh, bIh, bHh,
          lengths, 0, state, 0, ws, 0, y, 0, outWidth, outCol, sequences);
      RecurrentTimeLoop.finalState(cell, n, steps, hidden, ws, 0, last, 0);
      RecurrentTimeLoop.backward(vector, cell, n, steps, inputs, hidden, reverse, w, wIh, wHh, lengths, 0, state,
          0, ws, 0, r, 0, outWidth, outCol, sequences, dx, 0, false, g, wIh, wHh, bIh, bHh);
    }
  }

  /** Forward only, returning L = Σ r·y in double (for central differences). */
  double loss(boolean vector) {
    int rows = sequences ? n * steps : n;
    float[] out = new float[rows * outWidth];
    float[] work = new float[n * RecurrentKernels.workspacePerSample(cell, steps, inputs, hidden)];
    RecurrentTimeLoop.forward(vector, cell, n, steps, inputs, hidden, reverse, x, 0, w, wIh, wHh, bIh, bHh,
        lengths, 0, state, 0, work, 0, out, 0, outWidth, outCol, sequences);
    double s = 0;
    for (int row = 0; row < rows; row++) {
      for (int j = 0; j < hidden; j++) {
        s += (double) r[row * outWidth + outCol + j] * out[row * outWidth + outCol + j];
      }
    }
    return s;
  }

  /** The output's own columns, [rows, hidden]. */
  float[] outputColumns() {
    int rows = sequences ? n * steps : n;
    float[] o = new float[rows * hidden];
    for (int row = 0; row < rows; row++) {
      System.arraycopy(y, row * outWidth + outCol, o, row * hidden, hidden);
    }
    return o;
  }

  /** Columns outside the direction's own must still hold their NaN. */
  boolean othersUntouched() {
    for (int i = 0; i < y.length; i++) {
      int col = i % outWidth;
      if ((col < outCol || col >= outCol + hidden) && !Float.isNaN(y[i])) {
        return false;
      }
    }
    return true;
  }

  float[] slice(float[] a, int off, int len) {
    return Arrays.copyOfRange(a, off, off + len);
  }

  @Override
  public String toString() {
    return cell + (reverse ? " reverse" : " forward") + (sequences ? " sequences" : " last-state")
        + (lengths != null ? " lengths=" + Arrays.toString(lengths) : "") + (state != null ? " with state" : "")
        + (bias ? "" : " no bias") + " n=" + n + " T=" + steps + " F=" + inputs + " H=" + hidden;
  }
}
