package dev.kiln.runtime.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API body of {@link FiniteInputs}; loaded only when the vector module is present. */
final class VectorFiniteInputs {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;

  private VectorFiniteInputs() {}

  static boolean allFinite(float[] x, int n) {
    IntVector acc = IntVector.zero(SI);
    IntVector limit = IntVector.broadcast(SI, 0x7f7fffff);
    int i = 0;
    int bound = S.loopBound(n);
    for (; i < bound; i += S.length()) {
      IntVector magnitude = FloatVector.fromArray(S, x, i).reinterpretAsInts().and(0x7fffffff);
      acc = acc.or(limit.sub(magnitude));
    }
    return acc.reduceLanes(VectorOperators.OR) >= 0 && FiniteInputs.allFiniteScalar(x, i, n);
  }
}
