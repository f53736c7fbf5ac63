package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API version of {@link ScalarRecurrentKernels} (same contracts, same workspace use). Loaded
 * only when {@link Backend#VECTOR} is true. Sigmoid and tanh run on vectors too, by
 * {@link VectorTranscendentals} (not the Vector API's EXP/TANH, whose bits depend on the JIT tier),
 * and the last {@code hidden mod L} columns use {@link FloatTranscendentals} and the same formulas
 * per element, so the results are bitwise the scalar reference's.
 */
final class VectorRecurrentKernels {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  /** This thread's scratch row (tanh of the LSTM's c in backward): grown when too small, never shrunk. */
  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

  private VectorRecurrentKernels() {}

  private static float[] scratch(int size) {
    float[][] holder = SCRATCH.get();
    if (holder[0].length < size) {
      holder[0] = new float[size];
    }
    return holder[0];
  }

  static void forwardStep(RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
      float[] ws, int a, int e, int hPrev, int cPrev, int h, int c) {
    int gh = cell.gates * hidden;
    for (int b = 0; b < n; b++) {
      int ar = a + b * gh, hp = hPrev + b * hidden, hr = h + b * hidden;
      if (!ScalarRecurrentKernels.real(lengths, lOff, b, step)) {
        System.arraycopy(ws, hp, ws, hr, hidden);
        if (cell == RecurrentCell.LSTM) {
          System.arraycopy(ws, cPrev + b * hidden, ws, c + b * hidden, hidden);
        }
        continue;
      }
      switch (cell) {
        case RNN_TANH -> {
          VectorTranscendentals.tanh(ws, ar, ws, ar, hidden);
          System.arraycopy(ws, ar, ws, hr, hidden);
        }
        case RNN_RELU -> {
          int j = 0;
          for (; j + L <= hidden; j += L) {
            FloatVector v = FloatVector.fromArray(S, ws, ar + j).max(0f);
            v.intoArray(ws, ar + j);
            v.intoArray(ws, hr + j);
          }
          for (; j < hidden; j++) {
            float v = Math.max(ws[ar + j], 0f);
            ws[ar + j] = v;
            ws[hr + j] = v;
          }
        }
        case LSTM -> lstmForwardRow(hidden, ws, ar, cPrev + b * hidden, c + b * hidden, hr);
        case GRU -> gruForwardRow(hidden, ws, ar, e + b * hidden, hp, hr);
      }
    }
  }

  private static void lstmForwardRow(int hidden, float[] ws, int ar, int cp, int cr, int hr) {
    int f = ar + hidden, g = ar + 2 * hidden, o = ar + 3 * hidden;
    VectorTranscendentals.sigmoid(ws, ar, ws, ar, 2 * hidden); // i and f
    VectorTranscendentals.tanh(ws, g, ws, g, hidden);
    VectorTranscendentals.sigmoid(ws, o, ws, o, hidden);
    // c = f·c_prev + i·g
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector iv = FloatVector.fromArray(S, ws, ar + j), gv = FloatVector.fromArray(S, ws, g + j);
      FloatVector fv = FloatVector.fromArray(S, ws, f + j), cv = FloatVector.fromArray(S, ws, cp + j);
      fv.mul(cv).add(iv.mul(gv)).intoArray(ws, cr + j);
    }
    for (; j < hidden; j++) {
      ws[cr + j] = ws[f + j] * ws[cp + j] + ws[ar + j] * ws[g + j];
    }
    // h = o·tanh(c)
    VectorTranscendentals.tanh(ws, cr, ws, hr, hidden);
    for (j = 0; j + L <= hidden; j += L) {
      FloatVector.fromArray(S, ws, o + j).mul(FloatVector.fromArray(S, ws, hr + j)).intoArray(ws, hr + j);
    }
    for (; j < hidden; j++) {
      ws[hr + j] = ws[o + j] * ws[hr + j];
    }
  }

  private static void gruForwardRow(int hidden, float[] ws, int ar, int er, int hp, int hr) {
    int z = ar + hidden, hn = ar + 2 * hidden;
    VectorTranscendentals.sigmoid(ws, ar, ws, ar, 2 * hidden); // r and z
    // n = tanh(W_in x + b_in + r·(W_hn h + b_hn))
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector rv = FloatVector.fromArray(S, ws, ar + j);
      FloatVector.fromArray(S, ws, er + j).add(rv.mul(FloatVector.fromArray(S, ws, hn + j))).intoArray(ws, er + j);
    }
    for (; j < hidden; j++) {
      ws[er + j] = ws[er + j] + ws[ar + j] * ws[hn + j];
    }
    VectorTranscendentals.tanh(ws, er, ws, er, hidden);
    // h = (1 - z)·n + z·h_prev
    for (j = 0; j + L <= hidden; j += L) {
      FloatVector zv = FloatVector.fromArray(S, ws, z + j), nv = FloatVector.fromArray(S, ws, er + j);
      FloatVector hv = FloatVector.fromArray(S, ws, hp + j);
      zv.neg().add(1f).mul(nv).add(zv.mul(hv)).intoArray(ws, hr + j);
    }
    for (; j < hidden; j++) {
      float zj = ws[z + j];
      ws[hr + j] = (1f - zj) * ws[er + j] + zj * ws[hp + j];
    }
  }

  static void backwardStep(RecurrentCell cell, int n, int hidden, int step, int[] lengths, int lOff,
      float[] ws, int a, int e, int h, int c, float[] prev, int hPrev, int cPrev, int dh, int dc) {
    int gh = cell.gates * hidden;
    for (int b = 0; b < n; b++) {
      int ar = a + b * gh, dhr = dh + b * hidden, dcr = dc + b * hidden;
      if (!ScalarRecurrentKernels.real(lengths, lOff, b, step)) {
        java.util.Arrays.fill(ws, ar, ar + gh, 0f);
        if (cell == RecurrentCell.GRU) {
          java.util.Arrays.fill(ws, e + b * hidden, e + (b + 1) * hidden, 0f);
        }
        continue;
      }
      switch (cell) {
        case RNN_TANH, RNN_RELU -> rnnBackwardRow(cell == RecurrentCell.RNN_TANH, hidden, ws, ar, dhr);
        case LSTM -> lstmBackwardRow(hidden, ws, ar, c + b * hidden, prev, cPrev < 0 ? -1 : cPrev + b * hidden,
            dhr, dcr);
        case GRU -> gruBackwardRow(hidden, ws, ar, e + b * hidden, prev, hPrev < 0 ? -1 : hPrev + b * hidden, dhr);
      }
    }
  }

  private static void rnnBackwardRow(boolean tanh, int hidden, float[] ws, int ar, int dhr) {
    FloatVector zero = FloatVector.zero(S);
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector y = FloatVector.fromArray(S, ws, ar + j), d = FloatVector.fromArray(S, ws, dhr + j);
      FloatVector da = tanh ? d.mul(y.mul(y).neg().add(1f)) : d.blend(0f, y.compare(VectorOperators.LE, 0f));
      da.intoArray(ws, ar + j);
      zero.intoArray(ws, dhr + j);
    }
    for (; j < hidden; j++) {
      float y = ws[ar + j], d = ws[dhr + j];
      ws[ar + j] = tanh ? d * (1f - y * y) : y > 0f ? d : 0f;
      ws[dhr + j] = 0f;
    }
  }

  private static void lstmBackwardRow(int hidden, float[] ws, int ar, int cr, float[] prev, int cp, int dhr,
      int dcr) {
    int f = ar + hidden, g = ar + 2 * hidden, o = ar + 3 * hidden;
    // tanh(c) into this thread's scratch (c itself stays: finalState reads it after backward).
    float[] tanhC = scratch(hidden);
    VectorTranscendentals.tanh(ws, cr, tanhC, 0, hidden);
    // dc_total = dc + dh·o·(1 - tanh²c) into dc, do into o's slot.
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector tc = FloatVector.fromArray(S, tanhC, j);
      FloatVector ov = FloatVector.fromArray(S, ws, o + j), dhv = FloatVector.fromArray(S, ws, dhr + j);
      FloatVector.fromArray(S, ws, dcr + j).add(dhv.mul(ov).mul(tc.mul(tc).neg().add(1f))).intoArray(ws, dcr + j);
      dhv.mul(tc).mul(ov).mul(ov.neg().add(1f)).intoArray(ws, o + j);
    }
    for (; j < hidden; j++) {
      float tc = tanhC[j], ov = ws[o + j], dhv = ws[dhr + j];
      ws[dcr + j] += dhv * ov * (1f - tc * tc);
      ws[o + j] = dhv * tc * ov * (1f - ov);
    }
    FloatVector zero = FloatVector.zero(S);
    for (j = 0; j + L <= hidden; j += L) {
      FloatVector dct = FloatVector.fromArray(S, ws, dcr + j);
      FloatVector iv = FloatVector.fromArray(S, ws, ar + j), fv = FloatVector.fromArray(S, ws, f + j);
      FloatVector gv = FloatVector.fromArray(S, ws, g + j);
      FloatVector cpv = cp < 0 ? zero : FloatVector.fromArray(S, prev, cp + j);
      dct.mul(gv).mul(iv.mul(iv.neg().add(1f))).intoArray(ws, ar + j);
      dct.mul(cpv).mul(fv.mul(fv.neg().add(1f))).intoArray(ws, f + j);
      dct.mul(iv).mul(gv.mul(gv).neg().add(1f)).intoArray(ws, g + j);
      dct.mul(fv).intoArray(ws, dcr + j);
      zero.intoArray(ws, dhr + j);
    }
    for (; j < hidden; j++) {
      float dct = ws[dcr + j], i = ws[ar + j], fj = ws[f + j], gj = ws[g + j];
      float cpj = cp < 0 ? 0f : prev[cp + j];
      ws[ar + j] = dct * gj * (i * (1f - i));
      ws[f + j] = dct * cpj * (fj * (1f - fj));
      ws[g + j] = dct * i * (1f - gj * gj);
      ws[dcr + j] = dct * fj;
      ws[dhr + j] = 0f;
    }
  }

  private static void gruBackwardRow(int hidden, float[] ws, int ar, int er, float[] prev, int hp, int dhr) {
    int z = ar + hidden, hn = ar + 2 * hidden;
    FloatVector zero = FloatVector.zero(S);
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector d = FloatVector.fromArray(S, ws, dhr + j);
      FloatVector rv = FloatVector.fromArray(S, ws, ar + j), zv = FloatVector.fromArray(S, ws, z + j);
      FloatVector hnv = FloatVector.fromArray(S, ws, hn + j), nv = FloatVector.fromArray(S, ws, er + j);
      FloatVector hpv = hp < 0 ? zero : FloatVector.fromArray(S, prev, hp + j);
      FloatVector dn = d.mul(zv.neg().add(1f)).mul(nv.mul(nv).neg().add(1f));
      dn.mul(hnv).mul(rv.mul(rv.neg().add(1f))).intoArray(ws, ar + j);
      d.mul(hpv.sub(nv)).mul(zv.mul(zv.neg().add(1f))).intoArray(ws, z + j);
      dn.mul(rv).intoArray(ws, hn + j);
      dn.intoArray(ws, er + j);
      d.mul(zv).intoArray(ws, dhr + j);
    }
    for (; j < hidden; j++) {
      float d = ws[dhr + j], r = ws[ar + j], zj = ws[z + j], hnj = ws[hn + j], nj = ws[er + j];
      float hpj = hp < 0 ? 0f : prev[hp + j];
      float dn = d * (1f - zj) * (1f - nj * nj);
      ws[ar + j] = dn * hnj * (r * (1f - r));
      ws[z + j] = d * (hpj - nj) * (zj * (1f - zj));
      ws[hn + j] = dn * r;
      ws[er + j] = dn;
      ws[dhr + j] = d * zj;
    }
  }
}
