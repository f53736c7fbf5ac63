package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API version of {@link ScalarRecurrentKernels} (same contracts, same workspace use). Loaded
 * only when {@link Backend#VECTOR} is true. Unlike {@link VectorKernels}' activation epilogues, sigmoid
 * and tanh run on vectors too ({@code lanewise(EXP)}, {@code lanewise(TANH)}): the gates are most of a
 * recurrent step's elementwise work, and HotSpot compiles these to its vector math library (x86-64:
 * about 20 times faster than scalar {@code Math.tanh} on 512-bit vectors, under 1 ulp, no allocation).
 * The last {@code hidden mod L} columns use the scalar reference's formulas, so results differ from
 * {@link ScalarRecurrentKernels} by rounding only.
 */
final class VectorRecurrentKernels {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  private VectorRecurrentKernels() {}

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
          int j = 0;
          for (; j + L <= hidden; j += L) {
            FloatVector v = FloatVector.fromArray(S, ws, ar + j).lanewise(VectorOperators.TANH);
            v.intoArray(ws, ar + j);
            v.intoArray(ws, hr + j);
          }
          for (; j < hidden; j++) {
            float v = (float) Math.tanh(ws[ar + j]);
            ws[ar + j] = v;
            ws[hr + j] = v;
          }
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

  /** 1 / (1 + e^-v): e^-v overflows to +inf for v below about -88, giving the right limit 0. */
  private static FloatVector sigmoid(FloatVector v) {
    return FloatVector.broadcast(S, 1f).div(v.neg().lanewise(VectorOperators.EXP).add(1f));
  }

  private static void lstmForwardRow(int hidden, float[] ws, int ar, int cp, int cr, int hr) {
    int f = ar + hidden, g = ar + 2 * hidden, o = ar + 3 * hidden;
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector iv = sigmoid(FloatVector.fromArray(S, ws, ar + j));
      FloatVector fv = sigmoid(FloatVector.fromArray(S, ws, f + j));
      FloatVector gv = FloatVector.fromArray(S, ws, g + j).lanewise(VectorOperators.TANH);
      FloatVector ov = sigmoid(FloatVector.fromArray(S, ws, o + j));
      FloatVector cv = fv.mul(FloatVector.fromArray(S, ws, cp + j)).add(iv.mul(gv));
      iv.intoArray(ws, ar + j);
      fv.intoArray(ws, f + j);
      gv.intoArray(ws, g + j);
      ov.intoArray(ws, o + j);
      cv.intoArray(ws, cr + j);
      ov.mul(cv.lanewise(VectorOperators.TANH)).intoArray(ws, hr + j);
    }
    for (; j < hidden; j++) {
      float i = ActivationMath.sigmoid(ws[ar + j]), fj = ActivationMath.sigmoid(ws[f + j]);
      float gj = (float) Math.tanh(ws[g + j]), oj = ActivationMath.sigmoid(ws[o + j]);
      float cv = fj * ws[cp + j] + i * gj;
      ws[ar + j] = i;
      ws[f + j] = fj;
      ws[g + j] = gj;
      ws[o + j] = oj;
      ws[cr + j] = cv;
      ws[hr + j] = oj * (float) Math.tanh(cv);
    }
  }

  private static void gruForwardRow(int hidden, float[] ws, int ar, int er, int hp, int hr) {
    int z = ar + hidden, hn = ar + 2 * hidden;
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector rv = sigmoid(FloatVector.fromArray(S, ws, ar + j));
      FloatVector zv = sigmoid(FloatVector.fromArray(S, ws, z + j));
      FloatVector nv = FloatVector.fromArray(S, ws, er + j).add(rv.mul(FloatVector.fromArray(S, ws, hn + j)))
          .lanewise(VectorOperators.TANH);
      rv.intoArray(ws, ar + j);
      zv.intoArray(ws, z + j);
      nv.intoArray(ws, er + j);
      // h = (1 - z)·n + z·h_prev
      zv.neg().add(1f).mul(nv).add(zv.mul(FloatVector.fromArray(S, ws, hp + j))).intoArray(ws, hr + j);
    }
    for (; j < hidden; j++) {
      float r = ActivationMath.sigmoid(ws[ar + j]), zj = ActivationMath.sigmoid(ws[z + j]);
      float nv = (float) Math.tanh(ws[er + j] + r * ws[hn + j]);
      ws[ar + j] = r;
      ws[z + j] = zj;
      ws[er + j] = nv;
      ws[hr + j] = (1f - zj) * nv + zj * ws[hp + j];
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
    FloatVector zero = FloatVector.zero(S);
    int j = 0;
    for (; j + L <= hidden; j += L) {
      FloatVector tc = FloatVector.fromArray(S, ws, cr + j).lanewise(VectorOperators.TANH);
      FloatVector ov = FloatVector.fromArray(S, ws, o + j), dhv = FloatVector.fromArray(S, ws, dhr + j);
      FloatVector dct = FloatVector.fromArray(S, ws, dcr + j).add(dhv.mul(ov).mul(tc.mul(tc).neg().add(1f)));
      FloatVector iv = FloatVector.fromArray(S, ws, ar + j), fv = FloatVector.fromArray(S, ws, f + j);
      FloatVector gv = FloatVector.fromArray(S, ws, g + j);
      FloatVector cpv = cp < 0 ? zero : FloatVector.fromArray(S, prev, cp + j);
      dct.mul(gv).mul(iv.mul(iv.neg().add(1f))).intoArray(ws, ar + j);
      dct.mul(cpv).mul(fv.mul(fv.neg().add(1f))).intoArray(ws, f + j);
      dct.mul(iv).mul(gv.mul(gv).neg().add(1f)).intoArray(ws, g + j);
      dhv.mul(tc).mul(ov).mul(ov.neg().add(1f)).intoArray(ws, o + j);
      dct.mul(fv).intoArray(ws, dcr + j);
      zero.intoArray(ws, dhr + j);
    }
    for (; j < hidden; j++) {
      float tc = (float) Math.tanh(ws[cr + j]), oj = ws[o + j], dhv = ws[dhr + j];
      float dct = ws[dcr + j] + dhv * oj * (1f - tc * tc);
      float i = ws[ar + j], fj = ws[f + j], gj = ws[g + j];
      float cpj = cp < 0 ? 0f : prev[cp + j];
      ws[ar + j] = dct * gj * (i * (1f - i));
      ws[f + j] = dct * cpj * (fj * (1f - fj));
      ws[g + j] = dct * i * (1f - gj * gj);
      ws[o + j] = dhv * tc * oj * (1f - oj);
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
