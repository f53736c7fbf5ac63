package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * Back-propagation through time of every cell against central differences of its own forward pass,
 * for {@code L = Σ r·y} with random r, on the scalar reference and (where it runs) the vector path:
 * the gradients of the input and of all four parameter tensors, in both directions, with lengths
 * (one of them 0: that sample's output is zero and its state stays the initial one), with and
 * without an initial state. The hidden size 17 gives the vector path full vectors and a tail for every
 * species up to 512 bits; 3 runs only the tail.
 */
class RecurrentGradientCheckTest {
  private final Random rnd = new Random(23);

  /** Elements skipped at a kink of ReLU, and all elements checked, over the whole test class. */
  private int kinks, checked;

  /**
   * ∂loss/∂p[off + i] by central differences of step h, evaluated in double from the float forward.
   * With {@code kinked} (ReLU), where the two one-sided slopes disagree (a pre-activation crosses 0
   * within ±h, where central differences mean nothing; elsewhere the loss is almost linear in each
   * element, so they agree closely), the kernel's own value {@code actual[aOff + i]} is taken instead.
   */
  private double[] centralDifferences(boolean kinked, float[] p, int off, int len, float h, DoubleSupplier loss,
      float[] actual, int aOff) {
    double[] g = new double[len];
    double mid = loss.getAsDouble();
    for (int i = 0; i < len; i++) {
      float keep = p[off + i];
      p[off + i] = keep + h;
      double up = loss.getAsDouble();
      p[off + i] = keep - h;
      double down = loss.getAsDouble();
      p[off + i] = keep;
      g[i] = (up - down) / ((double) (keep + h) - (double) (keep - h));
      double right = (up - mid) / h, left = (mid - down) / h;
      checked++;
      if (kinked && Math.abs(right - left) > 5e-3 * Math.max(1, Math.abs(g[i]))) {
        kinks++;
        g[i] = actual[aOff + i];
      }
    }
    return g;
  }

  private void check(RecurrentCell cell, boolean vector) {
    if (vector && !Backend.vectorized()) {
      return;
    }
    RecurrentCase[] cases = {
      new RecurrentCase(cell, 2, 3, 3, 3, false, true, null, true, true, rnd),
      new RecurrentCase(cell, 3, 4, 2, 3, true, true, new int[] {2, 4, 0}, false, true, rnd),
      new RecurrentCase(cell, 3, 3, 2, 3, false, false, new int[] {1, 0, 3}, true, false, rnd),
      new RecurrentCase(cell, 2, 3, 2, 17, true, false, new int[] {3, 2}, true, true, rnd),
    };
    for (RecurrentCase c : cases) {
      c.run(vector);
      String what = (vector ? "vector " : "scalar ") + c;
      DoubleSupplier loss = () -> c.loss(vector);
      boolean relu = cell == RecurrentCell.RNN_RELU;
      float h = 1e-2f;
      double tol = 2e-3;
      assertClose(centralDifferences(relu, c.x, 0, c.x.length, h, loss, c.dx, 0), c.dx, 0, tol, what + " dx");
      assertClose(centralDifferences(relu, c.w, c.wIh, c.gh * c.inputs, h, loss, c.g, c.wIh), c.g, c.wIh, tol,
          what + " dW_ih");
      assertClose(centralDifferences(relu, c.w, c.wHh, c.gh * c.hidden, h, loss, c.g, c.wHh), c.g, c.wHh, tol,
          what + " dW_hh");
      if (c.bias) {
        assertClose(centralDifferences(relu, c.w, c.bIh, c.gh, h, loss, c.g, c.bIh), c.g, c.bIh, tol, what + " db_ih");
        assertClose(centralDifferences(relu, c.w, c.bHh, c.gh, h, loss, c.g, c.bHh), c.g, c.bHh, tol, what + " db_hh");
      }
    }
    assertTrue(kinks * 10 < checked, cell + ": " + kinks + " of " + checked + " elements at a kink");
  }

  @Test
  void rnnTanh() {
    check(RecurrentCell.RNN_TANH, false);
    check(RecurrentCell.RNN_TANH, true);
  }

  @Test
  void rnnRelu() {
    check(RecurrentCell.RNN_RELU, false);
    check(RecurrentCell.RNN_RELU, true);
  }

  @Test
  void lstm() {
    check(RecurrentCell.LSTM, false);
    check(RecurrentCell.LSTM, true);
  }

  @Test
  void gru() {
    check(RecurrentCell.GRU, false);
    check(RecurrentCell.GRU, true);
  }
}
