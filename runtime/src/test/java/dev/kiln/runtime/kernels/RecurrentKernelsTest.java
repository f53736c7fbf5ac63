package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The recurrent kernels' contract beyond the numbers PyTorch checks (see RecurrentPyTorchReferenceTest). */
class RecurrentKernelsTest {
  private final Random rnd = new Random(29);

  /**
   * The vector path gives bitwise the scalar reference's results (same GEMMs, same per-element
   * formulas) at hidden sizes that leave a tail for every species, including a single column.
   */
  @Test
  void vectorPathEqualsScalarReferenceAtAwkwardHiddenSizes() {
    if (!Backend.vectorized()) {
      return;
    }
    for (RecurrentCell cell : RecurrentCell.values()) {
      for (int hidden : new int[] {1, 5, 13, 19, 35}) {
        for (boolean reverse : new boolean[] {false, true}) {
          int[] lengths = reverse ? new int[] {4, 0, 7, 1, 6} : null;
          RecurrentCase c = new RecurrentCase(cell, 5, 7, 9, hidden, reverse, hidden % 2 == 1, lengths,
              hidden != 5, hidden != 13, rnd);
          c.run(false);
          float[] y = c.y, last = c.last, dx = c.dx, g = c.g;
          c.run(true);
          String what = c.toString();
          assertArrayEquals(y, c.y, what + " y");
          assertArrayEquals(last, c.last, what + " last state");
          assertArrayEquals(dx, c.dx, what + " dx");
          assertArrayEquals(g, c.g, what + " parameter gradients");
        }
      }
    }
  }

  /**
   * A batch large enough that each step's cell work is split over the threads (rows in blocks, with
   * padded rows and an initial state on both sides of the split) gives bitwise the results of one
   * thread, and the vector path bitwise the scalar reference's.
   */
  @Test
  void stepsSplitOverThreadsGiveTheSameBitsAsOneThread() {
    int before = Parallelism.threads();
    try {
      for (RecurrentCell cell : RecurrentCell.values()) {
        for (boolean reverse : new boolean[] {false, true}) {
          int[] lengths = reverse ? new int[] {6, 0, 3, 6, 1, 5, 6, 2, 4, 6, 6, 1, 0, 5, 3, 6, 2} : null;
          RecurrentCase c = new RecurrentCase(cell, 17, 6, 11, 260, reverse, true, lengths, true, true, rnd);
          Parallelism.setThreads(1);
          c.run(Backend.vectorized());
          float[] y = c.y, last = c.last, dx = c.dx, g = c.g;
          Parallelism.setThreads(2);
          assertEquals(2, RecurrentTimeLoop.stepTasks(cell, c.n, c.hidden), c + ": the step is split");
          for (boolean vector : Backend.vectorized() ? new boolean[] {true, false} : new boolean[] {false}) {
            c.run(vector);
            String what = c + (vector ? " vector" : " scalar") + ", 2 threads against 1";
            assertArrayEquals(y, c.y, what + " y");
            assertArrayEquals(last, c.last, what + " last state");
            assertArrayEquals(dx, c.dx, what + " dx");
            assertArrayEquals(g, c.g, what + " parameter gradients");
          }
        }
      }
    } finally {
      Parallelism.setThreads(before);
    }
  }

  /**
   * backward adds into the parameter gradients, and into dx only when told to (up to rounding: the
   * GEMMs add their partial sums into what is there).
   */
  @Test
  void backwardAccumulatesParameterGradientsAndOptionallyTheInputGradient() {
    for (RecurrentCell cell : RecurrentCell.values()) {
      RecurrentCase c = new RecurrentCase(cell, 3, 4, 5, 6, true, true, new int[] {4, 2, 3}, true, true, rnd);
      c.run(Backend.vectorized());
      float[] dx = c.dx.clone(), g = c.g.clone();
      RecurrentKernels.forward(cell, c.n, c.steps, c.inputs, c.hidden, true, c.x, 0, c.w, c.wIh, c.wHh, c.bIh,
          c.bHh, c.lengths, 0, c.state, 0, c.ws, 0, c.y, 0, c.outWidth, c.outCol, true);
      RecurrentKernels.backward(cell, c.n, c.steps, c.inputs, c.hidden, true, c.x, 0, c.w, c.wIh, c.wHh, c.bIh,
          c.bHh, c.lengths, 0, c.state, 0, c.ws, 0, c.r, 0, c.outWidth, c.outCol, true, c.dx, 0, true, c.g,
          c.wIh, c.wHh, c.bIh, c.bHh);
      for (int i = 0; i < dx.length; i++) {
        assertEquals(2 * dx[i], c.dx[i], 1e-6f * Math.max(1f, Math.abs(dx[i])), cell + " dx[" + i + "]");
      }
      for (int i = 0; i < g.length; i++) {
        assertEquals(2 * g[i], c.g[i], 1e-6f * Math.max(1f, Math.abs(g[i])), cell + " g[" + i + "]");
      }
    }
  }

  /**
   * A sample of length 0 outputs zeros at every step, keeps its initial state and gets a zero input
   * gradient; a sample's padded steps output zeros and get zero gradient.
   */
  @Test
  void paddedStepsOutputZerosAndPassTheStateThrough() {
    for (RecurrentCell cell : RecurrentCell.values()) {
      for (boolean reverse : new boolean[] {false, true}) {
        RecurrentCase c = new RecurrentCase(cell, 2, 5, 3, 4, reverse, true, new int[] {0, 3}, true, true, rnd);
        c.run(Backend.vectorized());
        float[] out = c.outputColumns();
        for (int t = 0; t < 5; t++) {
          for (int j = 0; j < 4; j++) {
            assertEquals(0f, out[t * 4 + j], c + " sample 0 step " + t);
            if (t >= 3) {
              assertEquals(0f, out[(5 + t) * 4 + j], c + " sample 1 padded step " + t);
            }
          }
          for (int j = 0; j < 3; j++) {
            assertEquals(0f, c.dx[t * 3 + j], c + " dx sample 0");
            if (t >= 3) {
              assertEquals(0f, c.dx[(5 + t) * 3 + j], c + " dx sample 1 padded step " + t);
            }
          }
        }
        // Sample 0's last state is its initial state (h, and c for the LSTM).
        assertArrayEquals(Arrays.copyOfRange(c.state, 0, 4), Arrays.copyOfRange(c.last, 0, 4), c + " h");
        if (cell == RecurrentCell.LSTM) {
          assertArrayEquals(Arrays.copyOfRange(c.state, 8, 12), Arrays.copyOfRange(c.last, 8, 12), c + " c");
        }
      }
    }
  }

  /** The two directions of a bidirectional layer write the two halves of one row. */
  @Test
  void bidirectionalHalvesShareOneOutputRow() {
    int n = 3, steps = 4, inputs = 5, hidden = 6, width = 2 * hidden;
    RecurrentCell cell = RecurrentCell.GRU;
    int ws = RecurrentKernels.workspacePerSample(cell, steps, inputs, hidden) * n;
    float[] x = Reference.random(rnd, n * steps * inputs), w = Reference.random(rnd, 2 * 3 * hidden * (inputs + hidden + 2));
    int half = 3 * hidden * (inputs + hidden + 2);
    int[] lengths = {4, 1, 3};
    float[] both = new float[n * steps * width], fwd = new float[n * steps * hidden], bwd = new float[n * steps * hidden];
    for (int d = 0; d < 2; d++) {
      int p = d * half, wHh = p + 3 * hidden * inputs, bIh = wHh + 3 * hidden * hidden, bHh = bIh + 3 * hidden;
      RecurrentKernels.forward(cell, n, steps, inputs, hidden, d == 1, x, 0, w, p, wHh, bIh, bHh, lengths, 0, null, 0,
          new float[ws], 0, both, 0, width, d * hidden, true);
      RecurrentKernels.forward(cell, n, steps, inputs, hidden, d == 1, x, 0, w, p, wHh, bIh, bHh, lengths, 0, null, 0,
          new float[ws], 0, d == 0 ? fwd : bwd, 0, hidden, 0, true);
    }
    for (int row = 0; row < n * steps; row++) {
      assertArrayEquals(Arrays.copyOfRange(fwd, row * hidden, (row + 1) * hidden),
          Arrays.copyOfRange(both, row * width, row * width + hidden), "forward half of row " + row);
      assertArrayEquals(Arrays.copyOfRange(bwd, row * hidden, (row + 1) * hidden),
          Arrays.copyOfRange(both, row * width + hidden, (row + 1) * width), "reverse half of row " + row);
    }
  }

  /** finalState reads h (and c), which backward leaves alone: before and after backward alike. */
  @Test
  void finalStateIsTheSameBeforeAndAfterBackward() {
    RecurrentCase c = new RecurrentCase(RecurrentCell.LSTM, 3, 5, 4, 6, false, false, new int[] {5, 2, 3}, true, true,
        rnd);
    c.run(Backend.vectorized());
    float[] after = new float[c.last.length];
    RecurrentKernels.finalState(c.cell, c.n, c.steps, c.hidden, false, c.lengths, 0, c.ws, 0, after, 0);
    assertArrayEquals(c.last, after);
    // and equals the last-state output
    for (int b = 0; b < c.n; b++) {
      assertArrayEquals(Arrays.copyOfRange(c.y, b * c.outWidth + c.outCol, b * c.outWidth + c.outCol + c.hidden),
          Arrays.copyOfRange(after, b * c.hidden, (b + 1) * c.hidden));
    }
  }

  @Test
  void noStepsOutputTheInitialStateAndLeaveItAlone() {
    RecurrentCase c = new RecurrentCase(RecurrentCell.GRU, 2, 0, 3, 4, false, false, null, true, true, rnd);
    float[] last = c.state.clone();
    c.run(Backend.vectorized());
    assertArrayEquals(c.state, c.outputColumns());
    RecurrentKernels.finalState(c.cell, c.n, 0, c.hidden, false, null, 0, c.ws, 0, last, 0);
    assertArrayEquals(c.state, last);
  }

  @Test
  void badArgumentsAreRefusedBeforeAnyWrite() {
    RecurrentCell cell = RecurrentCell.LSTM;
    int n = 2, steps = 3, inputs = 2, hidden = 2;
    float[] x = new float[n * steps * inputs], w = new float[8 * 4 + 8 * 2], y = new float[n * steps * hidden];
    float[] ws = new float[n * RecurrentKernels.workspacePerSample(cell, steps, inputs, hidden)];
    var e = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.forward(cell, n, steps, inputs, hidden,
        false, x, 0, w, 0, 16, -1, -1, new int[] {3, 4}, 0, null, 0, ws, 0, y, 0, hidden, 0, true));
    assertTrue(e.getMessage().contains("length 4 of sample 1"), e.getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> RecurrentKernels.forward(cell, n, steps, inputs, hidden,
        false, x, 0, w, 0, 16, -1, -1, null, 0, null, 0, new float[ws.length - 1], 0, y, 0, hidden, 0, true));
    assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.forward(cell, n, steps, inputs, hidden,
        false, x, 0, w, 0, 16, -1, -1, null, 0, null, 0, ws, 0, y, 0, hidden, 1, true));
    assertThrows(IndexOutOfBoundsException.class, () -> RecurrentKernels.forward(cell, n, steps, inputs, hidden,
        false, x, 0, w, 0, 16, 44, -1, null, 0, null, 0, ws, 0, y, 0, hidden, 0, true));
    for (float v : y) {
      assertEquals(0f, v);
    }
  }
}
