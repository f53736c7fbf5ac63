package dev.kiln.runtime.optim;

import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.VectorShape;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link OptimizerLoops}; loaded only when the module is present. Same
 * expressions, no fma, so results match the scalar loops bitwise. Large arenas are split into one
 * contiguous slice per thread.
 */
final class VectorOptimizerLoops {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  private VectorOptimizerLoops() {}

  /** Arenas at least this long are updated by all threads, one contiguous slice each. */
  private static final int PARALLEL_LENGTH = 1 << 15;

  static void sgd(float[] p, float[] g, float[] buf, int offset, int length, float lr, float momentum,
          boolean nesterov, float wd, boolean first) {
    int slices = slices(length);
    if (slices == 1) {
      sgdSlice(p, g, buf, offset, length, lr, momentum, nesterov, wd, first);
      return;
    }
    Job job = Job.CACHE.acquire();
    try {
      job.sgd(p, g, buf, offset, length, slices, lr, momentum, nesterov, wd, first);
      Parallelism.forEach(slices, job);
    } finally {
      Job.CACHE.release(job);
    }
  }

  static void adam(float[] p, float[] g, float[] m, float[] v, int offset, int length, float beta1, float beta2,
          float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
    int slices = slices(length);
    if (slices == 1) {
      adamSlice(p, g, m, v, offset, length, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
      return;
    }
    Job job = Job.CACHE.acquire();
    try {
      job.adam(p, g, m, v, offset, length, slices, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
      Parallelism.forEach(slices, job);
    } finally {
      Job.CACHE.release(job);
    }
  }

  private static int slices(int length) {
    return length < PARALLEL_LENGTH ? 1 : Math.max(1, Parallelism.threads());
  }

  /**
   * One optimizer update split into contiguous slices (elementwise, so the split cannot change a
   * result), as a reusable task (see {@link Parallelism.TaskCache}).
   */
  private static final class Job implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<Job> CACHE = new Parallelism.TaskCache<>(Job::new);
    private boolean isAdam;
    private float[] p, g, m, v, buf;
    private int offset, length, slices;
    private float beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2, lr, momentum, wd;
    private boolean nesterov, first;

    @Override
    public void clear() {
      p = g = m = v = buf = null;
    }

    void adam(float[] p, float[] g, float[] m, float[] v, int offset, int length, int slices, float beta1,
        float beta2, float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
      this.isAdam = true;
      this.p = p;
      this.g = g;
      this.m = m;
      this.v = v;
      this.offset = offset;
      this.length = length;
      this.slices = slices;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.eps = eps;
      this.stepSize = stepSize;
      this.invSqrtBc2 = invSqrtBc2;
      this.decay = decay;
      this.l2 = l2;
    }

    void sgd(float[] p, float[] g, float[] buf, int offset, int length, int slices, float lr, float momentum,
        boolean nesterov, float wd, boolean first) {
      this.isAdam = false;
      this.p = p;
      this.g = g;
      this.buf = buf;
      this.offset = offset;
      this.length = length;
      this.slices = slices;
      this.lr = lr;
      this.momentum = momentum;
      this.nesterov = nesterov;
      this.wd = wd;
      this.first = first;
    }

    @Override
    public void run(int slice) {
      // Slice boundaries on whole vectors.
      int per = (length / slices + L - 1) / L * L;
      int from = Math.min(length, slice * per);
      int to = slice == slices - 1 ? length : Math.min(length, from + per);
      if (to <= from) {
        return;
      }
      if (isAdam) {
        adamSlice(p, g, m, v, offset + from, to - from, beta1, beta2, eps, stepSize, invSqrtBc2, decay, l2);
      } else {
        sgdSlice(p, g, buf, offset + from, to - from, lr, momentum, nesterov, wd, first);
      }
    }
  }

  private static void sgdSlice(float[] p, float[] g, float[] buf, int offset, int length, float lr, float momentum,
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

  private static void adamSlice(float[] p, float[] g, float[] m, float[] v, int offset, int length, float beta1,
          float beta2, float eps, float stepSize, float invSqrtBc2, float decay, float l2) {
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
