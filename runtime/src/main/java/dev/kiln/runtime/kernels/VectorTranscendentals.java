package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.FloatTranscendentals.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatTranscendentals} over arrays, on vectors: the same operations in the same order on every
 * lane (lanewise fma is {@link Math#fma}; min/max are {@link Math#min}/{@link Math#max}; the exponent
 * is built by integer shifts of the reinterpreted bits), and the scalar functions themselves for the
 * last {@code len mod L} elements, so every element is bitwise the scalar result, in every JIT tier
 * and at every vector width. No {@code EXP}/{@code TANH} intrinsic: those are not reproducible.
 *
 * <p>Why arrays and not a {@code FloatVector exp(FloatVector)}: such a method is too large for C2 to
 * inline everywhere it is called (and once compiled on its own, it is "already compiled into a big
 * method" and inlined nowhere), and a vector passed to or returned from a call that is not inlined is
 * boxed on the heap, tens of times slower. Here no vector crosses a call: each function is one loop.
 * The rows of a recurrent step are in L1, so the extra pass a kernel makes to call these costs little.
 */
final class VectorTranscendentals {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();
  private static final int EXP = 0, SIGMOID = 1, TANH = 2;

  private VectorTranscendentals() {}

  /** dst[dstOff, +len) = e^src[srcOff, +len); dst may be src at the same offset. */
  static void exp(float[] src, int srcOff, float[] dst, int dstOff, int len) {
    apply(EXP, src, srcOff, dst, dstOff, len);
  }

  /** dst[dstOff, +len) = sigmoid(src[srcOff, +len)); dst may be src at the same offset. */
  static void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int len) {
    apply(SIGMOID, src, srcOff, dst, dstOff, len);
  }

  /** dst[dstOff, +len) = tanh(src[srcOff, +len)); dst may be src at the same offset. */
  static void tanh(float[] src, int srcOff, float[] dst, int dstOff, int len) {
    apply(TANH, src, srcOff, dst, dstOff, len);
  }

  private static void apply(int fn, float[] src, int srcOff, float[] dst, int dstOff, int len) {
    FloatVector one = FloatVector.broadcast(S, 1f), two = FloatVector.broadcast(S, 2f);
    int j = 0;
    for (; j + L <= len; j += L) {
      FloatVector x = FloatVector.fromArray(S, src, srcOff + j);
      FloatVector ax = x.abs();
      // exp(arg): FloatTranscendentals.exp step for step.
      FloatVector arg = fn == EXP ? x : fn == SIGMOID ? x.neg() : ax.add(ax);
      FloatVector xc = arg.min(EXP_HI).max(EXP_LO);
      FloatVector t = xc.fma(LOG2E, ROUND);
      FloatVector n = t.sub(ROUND);
      FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
      r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
      FloatVector p = r.fma(P0, P1);
      p = p.fma(r, FloatVector.broadcast(S, P2));
      p = p.fma(r, FloatVector.broadcast(S, P3));
      p = p.fma(r, FloatVector.broadcast(S, P4));
      p = p.fma(r, FloatVector.broadcast(S, P5));
      FloatVector y = p.fma(r.mul(r), r).add(1f);
      IntVector k = t.reinterpretAsInts().sub(ROUND_BITS);
      IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
      IntVector k2 = k.sub(k1);
      FloatVector e = y.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
          .mul(k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
      FloatVector out;
      if (fn == EXP) {
        out = e;
      } else if (fn == SIGMOID) {
        out = one.div(e.add(1f));
      } else {
        FloatVector z = ax.mul(ax);
        FloatVector q = z.fma(T0, T1);
        q = q.fma(z, FloatVector.broadcast(S, T2));
        q = q.fma(z, FloatVector.broadcast(S, T3));
        q = q.fma(z, FloatVector.broadcast(S, T4));
        FloatVector small = q.mul(z).fma(ax, ax);
        FloatVector big = one.sub(two.div(e.add(1f)));
        FloatVector th = big.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
        out = th.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN)).reinterpretAsFloats();
      }
      out.intoArray(dst, dstOff + j);
    }
    for (; j < len; j++) {
      float x = src[srcOff + j];
      dst[dstOff + j] = fn == EXP ? FloatTranscendentals.exp(x)
          : fn == SIGMOID ? FloatTranscendentals.sigmoid(x) : FloatTranscendentals.tanh(x);
    }
  }
}
