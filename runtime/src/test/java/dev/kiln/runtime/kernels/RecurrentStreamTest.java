package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RecurrentKernels#stream}: from a carried state, the same outputs and final state as
 * {@link RecurrentKernels#forward} from that state (to rounding: the products sum in another order),
 * on both backends; the steps fed one call at a time give bitwise what one call over all of them gives;
 * bad arguments are refused.
 */
class RecurrentStreamTest {
  private final Random rnd = new Random(31);

  @Test
  void streamEqualsForwardFromTheSameState() {
    for (boolean vector : Backend.vectorized() ? new boolean[] {false, true} : new boolean[] {false}) {
      for (RecurrentCell cell : RecurrentCell.values()) {
        for (int hidden : new int[] {1, 6, 19, 35}) {
          for (boolean sequences : new boolean[] {false, true}) {
            RecurrentCase c = new RecurrentCase(cell, 3, 5, 7, hidden, false, sequences, null, true, hidden != 6, rnd);
            c.run(vector);
            float[] state = c.state.clone();
            float[] y = new float[c.y.length];
            Arrays.fill(y, Float.NaN);
            float[] ws = new float[c.n * RecurrentKernels.workspacePerSample(cell, c.steps, c.inputs, hidden)];
            RecurrentStreamLoop.forward(vector, cell, c.n, c.steps, c.inputs, hidden, c.x, 0, c.w, c.wIh, c.wHh, c.bIh,
                c.bHh, state, 0, ws, 0, y, 0, c.outWidth, c.outCol, sequences);
            String what = (vector ? "vector " : "scalar ") + c;
            assertClose(c.y, y, what + " outputs");
            assertClose(c.last, state, what + " state after the last step");
          }
        }
      }
    }
  }

  /** Steps one call at a time carry the state exactly as one call over all the steps does. */
  @Test
  void oneStepAtATimeIsBitwiseOneCallOverAllSteps() {
    for (RecurrentCell cell : RecurrentCell.values()) {
      int n = 2, steps = 6, inputs = 5, hidden = 21, gh = cell.gates * hidden;
      float[] x = Reference.random(rnd, n * steps * inputs);
      float[] w = Reference.random(rnd, gh * (inputs + hidden + 2));
      float[] start = Reference.random(rnd, n * RecurrentKernels.stateWidth(cell, hidden));
      float[] all = start.clone();
      float[] yAll = new float[n * steps * hidden];
      float[] ws = new float[n * RecurrentKernels.workspacePerSample(cell, steps, inputs, hidden)];
      RecurrentKernels.stream(cell, n, steps, inputs, hidden, x, 0, w, 0, gh * inputs, gh * (inputs + hidden),
          gh * (inputs + hidden + 1), all, 0, ws, 0, yAll, 0, hidden, 0, true);
      float[] each = start.clone();
      float[] xt = new float[n * inputs];
      float[] yt = new float[n * hidden];
      for (int t = 0; t < steps; t++) {
        for (int b = 0; b < n; b++) {
          System.arraycopy(x, (b * steps + t) * inputs, xt, b * inputs, inputs);
        }
        RecurrentKernels.stream(cell, n, 1, inputs, hidden, xt, 0, w, 0, gh * inputs, gh * (inputs + hidden),
            gh * (inputs + hidden + 1), each, 0, ws, 0, yt, 0, hidden, 0, true);
        for (int b = 0; b < n; b++) {
          assertArrayEquals(Arrays.copyOfRange(yAll, (b * steps + t) * hidden, (b * steps + t + 1) * hidden),
              Arrays.copyOfRange(yt, b * hidden, (b + 1) * hidden), cell + " step " + t + " row " + b);
        }
      }
      assertArrayEquals(all, each, cell + " final state");
    }
  }

  @Test
  void badArgumentsAreRefused() {
    RecurrentCell cell = RecurrentCell.GRU;
    int n = 1, inputs = 2, hidden = 3, gh = 3 * hidden;
    float[] x = new float[4 * inputs], w = new float[gh * (inputs + hidden + 2)], y = new float[4 * hidden];
    float[] ws = new float[n * RecurrentKernels.workspacePerSample(cell, 4, inputs, hidden)];
    float[] state = new float[hidden];
    var none = assertThrows(IllegalArgumentException.class, () -> RecurrentKernels.stream(cell, n, 0, inputs, hidden,
        x, 0, w, 0, gh * inputs, -1, -1, state, 0, ws, 0, y, 0, hidden, 0, true));
    assertEquals("recurrent stream: no steps to run", none.getMessage());
    assertThrows(NullPointerException.class, () -> RecurrentKernels.stream(cell, n, 1, inputs, hidden, x, 0, w, 0,
        gh * inputs, -1, -1, null, 0, ws, 0, y, 0, hidden, 0, true));
    var small = assertThrows(IndexOutOfBoundsException.class, () -> RecurrentKernels.stream(cell, n, 5, inputs,
        hidden, new float[5 * inputs], 0, w, 0, gh * inputs, -1, -1, state, 0, ws, 0, new float[5 * hidden], 0,
        hidden, 0, true));
    assertTrue(small.getMessage().startsWith("ws["), small.getMessage());
  }

  /** ‖actual − expected‖∞ ≤ 1e-6 · max(1, ‖expected‖∞). */
  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double scale = 1, worst = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.isNaN(expected[i])) {
        assertTrue(Float.isNaN(actual[i]), what + ": wrote outside its columns at " + i);
        continue;
      }
      scale = Math.max(scale, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst <= 1e-6 * scale, what + ": max error " + worst);
  }
}
