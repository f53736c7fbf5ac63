package dev.kiln.runtime.kernels;

/**
 * Plain-Java reference of the recurrent cells' elementwise part for one time step of a batch (the GEMMs
 * around it are {@link RecurrentTimeLoop}'s). Formulas are PyTorch's; see {@link RecurrentCell}. Sigmoid
 * and tanh are {@link FloatTranscendentals}', which the vector kernels reproduce bit for bit.
 *
 * <p>Per step, row b of the batch is real when {@code lengths} is null or {@code step < lengths[b]};
 * a padded row keeps its state ({@code h_t = h_{t-1}}, {@code c_t = c_{t-1}}) and gets a zero gate
 * gradient, while dh and dc pass through it unchanged.
 *
 * <p>Arrays (all but {@code lengths} are the workspace): {@code a [n, gates·hidden]} the step's gate
 * pre-activations, replaced by the activated gates (forward) and then by their gradients (backward);
 * {@code e [n, hidden]} (GRU) the n gate's input part {@code W_in x + b_in}, replaced by the activated
 * n gate and then by its pre-activation gradient, while a's n columns hold {@code W_hn h + b_hn}
 * and then the gradient of that hidden part ({@code dn·r}); {@code c} the LSTM's cell state.
 */
final class ScalarRecurrentKernels {
  private ScalarRecurrentKernels() {}

  static boolean real(int[] lengths, int lOff, int b, int step) {
    return lengths == null || step < lengths[lOff + b];
  }

  /** Activates the gates and writes h (and c) of one step. */
  static void forwardStep(RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
      float[] ws, int a, int e, int hPrev, int cPrev, int h, int c) {
    int gh = cell.gates * hidden;
    for (int b = 0; b < n; b++) {
      int ar = a + b * gh, hp = hPrev + b * hidden, hr = h + b * hidden;
      if (!real(lengths, lOff, b, step)) {
        System.arraycopy(ws, hp, ws, hr, hidden);
        if (cell == RecurrentCell.LSTM) {
          System.arraycopy(ws, cPrev + b * hidden, ws, c + b * hidden, hidden);
        }
        continue;
      }
      for (int j = 0; j < hidden; j++) {
        switch (cell) {
          case RNN_TANH -> {
            float v = FloatTranscendentals.tanh(ws[ar + j]);
            ws[ar + j] = v;
            ws[hr + j] = v;
          }
          case RNN_RELU -> {
            float v = Math.max(ws[ar + j], 0f);
            ws[ar + j] = v;
            ws[hr + j] = v;
          }
          case LSTM -> {
            float i = FloatTranscendentals.sigmoid(ws[ar + j]);
            float f = FloatTranscendentals.sigmoid(ws[ar + hidden + j]);
            float g = FloatTranscendentals.tanh(ws[ar + 2 * hidden + j]);
            float o = FloatTranscendentals.sigmoid(ws[ar + 3 * hidden + j]);
            float cv = f * ws[cPrev + b * hidden + j] + i * g;
            ws[ar + j] = i;
            ws[ar + hidden + j] = f;
            ws[ar + 2 * hidden + j] = g;
            ws[ar + 3 * hidden + j] = o;
            ws[c + b * hidden + j] = cv;
            ws[hr + j] = o * FloatTranscendentals.tanh(cv);
          }
          case GRU -> {
            float r = FloatTranscendentals.sigmoid(ws[ar + j]);
            float z = FloatTranscendentals.sigmoid(ws[ar + hidden + j]);
            float hn = ws[ar + 2 * hidden + j];
            float nv = FloatTranscendentals.tanh(ws[e + b * hidden + j] + r * hn);
            ws[ar + j] = r;
            ws[ar + hidden + j] = z;
            ws[e + b * hidden + j] = nv;
            ws[hr + j] = (1f - z) * nv + z * ws[hp + j];
          }
        }
      }
    }
  }

  /**
   * Replaces the step's gates by their gradients from dh (and dc), the gradient of the step's h (and
   * c). Leaves in dh the part of dh_{t-1} that does not go through W_hh (GRU: dh·z; padded: dh; else 0)
   * and in dc the gradient of c_{t-1}; the caller adds {@code dG·W_hh}. {@code hPrev}/{@code cPrev} of
   * -1 mean a zero previous state; {@code prev} is the array they index (the initial state or ws).
   */
  static void backwardStep(RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
      float[] ws, int a, int e, int h, int c, float[] prev, int hPrev, int cPrev, int dh, int dc) {
    int gh = cell.gates * hidden;
    for (int b = 0; b < n; b++) {
      int ar = a + b * gh, dhr = dh + b * hidden, dcr = dc + b * hidden;
      if (!real(lengths, lOff, b, step)) {
        java.util.Arrays.fill(ws, ar, ar + gh, 0f);
        if (cell == RecurrentCell.GRU) {
          java.util.Arrays.fill(ws, e + b * hidden, e + (b + 1) * hidden, 0f);
        }
        continue;
      }
      for (int j = 0; j < hidden; j++) {
        float dhv = ws[dhr + j];
        switch (cell) {
          case RNN_TANH -> {
            float y = ws[ar + j];
            ws[ar + j] = dhv * (1f - y * y);
            ws[dhr + j] = 0f;
          }
          case RNN_RELU -> {
            ws[ar + j] = ws[ar + j] > 0f ? dhv : 0f;
            ws[dhr + j] = 0f;
          }
          case LSTM -> {
            float i = ws[ar + j], f = ws[ar + hidden + j], g = ws[ar + 2 * hidden + j], o = ws[ar + 3 * hidden + j];
            float cp = cPrev < 0 ? 0f : prev[cPrev + b * hidden + j];
            float tc = FloatTranscendentals.tanh(ws[c + b * hidden + j]);
            float dct = ws[dcr + j] + dhv * o * (1f - tc * tc);
            ws[ar + j] = dct * g * (i * (1f - i));
            ws[ar + hidden + j] = dct * cp * (f * (1f - f));
            ws[ar + 2 * hidden + j] = dct * i * (1f - g * g);
            ws[ar + 3 * hidden + j] = dhv * tc * o * (1f - o);
            ws[dcr + j] = dct * f;
            ws[dhr + j] = 0f;
          }
          case GRU -> {
            float r = ws[ar + j], z = ws[ar + hidden + j], hn = ws[ar + 2 * hidden + j];
            float nv = ws[e + b * hidden + j];
            float hp = hPrev < 0 ? 0f : prev[hPrev + b * hidden + j];
            float dn = dhv * (1f - z) * (1f - nv * nv);
            ws[ar + j] = dn * hn * (r * (1f - r));
            ws[ar + hidden + j] = dhv * (hp - nv) * (z * (1f - z));
            ws[ar + 2 * hidden + j] = dn * r;
            ws[e + b * hidden + j] = dn;
            ws[dhr + j] = dhv * z;
          }
        }
      }
    }
  }
}
