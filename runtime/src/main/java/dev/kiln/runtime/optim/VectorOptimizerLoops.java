package dev.kiln.runtime.optim;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API versions of {@link OptimizerLoops}; loaded only when the module is present. Same expressions, no fma, so results match the scalar loops bitwise. */
final class VectorOptimizerLoops {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorOptimizerLoops() {}

  static void sgd(float[] p, float[] g, float[] buf, int offset, int length, float lr, float momentum,
          boolean nesterov, float wd, boolean first) {
    int end = offset + length;
    int i = offset;
    for (; i <= end - L; i += L) {
      FloatVector pv = FloatVector.fromArray(S, p, i);
      FloatVector gv = FloatVector.fromArray(S, g, i).add(pv.mul(wd));
      if (momentum != 0) {
        FloatVector b = first ? gv : FloatVector.fromArray(S, buf, i).mul(momentum).add(gv);
        b.intoArray(buf, i);
        gv = nesterov ? gv.add(b.mul(momentum)) : b;
      }
      pv.sub(gv.mul(lr)).intoArray(p, i);
    }
    OptimizerLoops.sgdRange(p, g, buf, i, end, lr, momentum, nesterov, wd, first);
  }

  static void adam(float[] p, float[] g, float[] m, float[] v, int offset, int length, float beta1, float beta2,
          float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
    float omb1 = 1f - beta1, omb2 = 1f - beta2;
    int end = offset + length;
    int i = offset;
    for (; i <= end - L; i += L) {
      FloatVector pv = FloatVector.fromArray(S, p, i).mul(decay);
      FloatVector gv = FloatVector.fromArray(S, g, i).add(pv.mul(l2));
      FloatVector mv = FloatVector.fromArray(S, m, i).mul(beta1).add(gv.mul(omb1));
      FloatVector vv = FloatVector.fromArray(S, v, i).mul(beta2).add(gv.mul(gv).mul(omb2));
      mv.intoArray(m, i);
      vv.intoArray(v, i);
      FloatVector denom = vv.sqrt().mul(invSqrtBc2).add(eps);
      pv.sub(mv.mul(stepSize).div(denom)).intoArray(p, i);
    }
    OptimizerLoops.adamRange(p, g, m, v, i, end, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
  }
}
