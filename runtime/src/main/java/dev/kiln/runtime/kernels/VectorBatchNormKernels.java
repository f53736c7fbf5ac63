package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API batch normalization (see {@link BatchNormKernels}). Loaded only when {@link Backend#VECTOR}
 * is true. One task per block of channels; a channel's sums are lanewise float sums over each
 * (sample, channel) plane, finished in a fixed lane order and added in sample order in double.
 */
final class VectorBatchNormKernels {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();
  private static final int TRAIN = 0;
  private static final int EVAL = 1;
  private static final int BACKWARD = 2;
  /** Elements per task at least, so a task outweighs handing it to a worker. */
  private static final int MIN_CELLS_PER_TASK = 8192;

  private VectorBatchNormKernels() {}

  static void trainForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float momentum, float[] runMean, int rmOff, float[] runVar, int rvOff,
      float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] y, int yOff) {
    BatchNormJob job = BatchNormJob.CACHE.acquire();
    try {
      job.set(TRAIN, n, c, hw, x, xOff, null, 0, gamma, gOff, beta, bOff, eps, momentum, runMean, rmOff,
          runVar, rvOff, saveMean, smOff, saveInvStd, siOff, y, yOff, false, null, 0, null, 0);
      run(job, n, c, hw);
    } finally {
      BatchNormJob.CACHE.release(job);
    }
  }

  static void evalForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float[] runMean, int rmOff, float[] runVar, int rvOff, float[] y, int yOff) {
    BatchNormJob job = BatchNormJob.CACHE.acquire();
    try {
      job.set(EVAL, n, c, hw, x, xOff, null, 0, gamma, gOff, beta, bOff, eps, 0f, runMean, rmOff,
          runVar, rvOff, null, 0, null, 0, y, yOff, false, null, 0, null, 0);
      run(job, n, c, hw);
    } finally {
      BatchNormJob.CACHE.release(job);
    }
  }

  static void backward(int n, int c, int hw, float[] x, int xOff, float[] dy, int dyOff, float[] gamma,
      int gOff, float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] dx, int dxOff,
      boolean accumulate, float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
    BatchNormJob job = BatchNormJob.CACHE.acquire();
    try {
      job.set(BACKWARD, n, c, hw, x, xOff, dy, dyOff, gamma, gOff, null, 0, 0f, 0f, null, 0, null, 0,
          saveMean, smOff, saveInvStd, siOff, dx, dxOff, accumulate, dgamma, dgOff, dbeta, dbOff);
      run(job, n, c, hw);
    } finally {
      BatchNormJob.CACHE.release(job);
    }
  }

  private static void run(BatchNormJob job, int n, int c, int hw) {
    if (c == 0) {
      return;
    }
    long perChannel = Math.max(1L, (long) n * hw);
    int perTask = (int) Math.max(1, Math.min(c, MIN_CELLS_PER_TASK / perChannel));
    int tasks = Math.min((c + perTask - 1) / perTask, 4 * Parallelism.threads());
    job.chunk = (c + tasks - 1) / tasks;
    Parallelism.forEach((c + job.chunk - 1) / job.chunk, job);
  }

  /** One batch-norm pass over a block of channels, as a reusable task (see {@link Parallelism.TaskCache}). */
  private static final class BatchNormJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<BatchNormJob> CACHE = new Parallelism.TaskCache<>(BatchNormJob::new);
    private int mode, n, c, hw, chunk, xOff, dyOff, gOff, bOff, rmOff, rvOff, smOff, siOff, yOff, dgOff, dbOff;
    private float eps, momentum;
    private float[] x, dy, gamma, beta, runMean, runVar, saveMean, saveInvStd, y, dgamma, dbeta;
    private boolean accumulate;

    @Override
    public void clear() {
      x = dy = gamma = beta = runMean = runVar = saveMean = saveInvStd = y = dgamma = dbeta = null;
    }

    void set(int mode, int n, int c, int hw, float[] x, int xOff, float[] dy, int dyOff, float[] gamma, int gOff,
        float[] beta, int bOff, float eps, float momentum, float[] runMean, int rmOff, float[] runVar, int rvOff,
        float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] y, int yOff, boolean accumulate,
        float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
      this.mode = mode;
      this.n = n;
      this.c = c;
      this.hw = hw;
      this.x = x;
      this.xOff = xOff;
      this.dy = dy;
      this.dyOff = dyOff;
      this.gamma = gamma;
      this.gOff = gOff;
      this.beta = beta;
      this.bOff = bOff;
      this.eps = eps;
      this.momentum = momentum;
      this.runMean = runMean;
      this.rmOff = rmOff;
      this.runVar = runVar;
      this.rvOff = rvOff;
      this.saveMean = saveMean;
      this.smOff = smOff;
      this.saveInvStd = saveInvStd;
      this.siOff = siOff;
      this.y = y;
      this.yOff = yOff;
      this.accumulate = accumulate;
      this.dgamma = dgamma;
      this.dgOff = dgOff;
      this.dbeta = dbeta;
      this.dbOff = dbOff;
    }

    @Override
    public void run(int task) {
      int end = Math.min(c, (task + 1) * chunk);
      for (int ch = task * chunk; ch < end; ch++) {
        switch (mode) {
          case TRAIN -> trainChannel(ch);
          case EVAL -> {
            float invStd = (float) (1 / Math.sqrt((double) runVar[rvOff + ch] + eps));
            normalize(n, c, hw, ch, x, xOff, runMean[rmOff + ch], invStd, gamma[gOff + ch], beta[bOff + ch], y, yOff);
          }
          default -> backwardChannel(ch);
        }
      }
    }

    private void trainChannel(int ch) {
      long count = (long) n * hw;
      double sum = 0;
      for (int s = 0; s < n; s++) {
        sum += VectorConvKernels.sum(x, xOff + (s * c + ch) * hw, hw);
      }
      float mean = (float) (sum / count);
      double sq = 0;
      for (int s = 0; s < n; s++) {
        sq += squaredDeviations(x, xOff + (s * c + ch) * hw, hw, mean);
      }
      double var = sq / count;
      float invStd = (float) (1 / Math.sqrt(var + eps));
      saveMean[smOff + ch] = mean;
      saveInvStd[siOff + ch] = invStd;
      runMean[rmOff + ch] = (1 - momentum) * runMean[rmOff + ch] + momentum * mean;
      runVar[rvOff + ch] = (1 - momentum) * runVar[rvOff + ch] + momentum * (float) (var * count / (count - 1));
      normalize(n, c, hw, ch, x, xOff, mean, invStd, gamma[gOff + ch], beta[bOff + ch], y, yOff);
    }

    private void backwardChannel(int ch) {
      long count = (long) n * hw;
      float mean = saveMean[smOff + ch], invStd = saveInvStd[siOff + ch];
      double sumDy = 0, sumDyXhat = 0;
      for (int s = 0; s < n; s++) {
        int at = (s * c + ch) * hw;
        sumDy += VectorConvKernels.sum(dy, dyOff + at, hw);
        sumDyXhat += dotXhat(dy, dyOff + at, x, xOff + at, hw, mean, invStd);
      }
      dbeta[dbOff + ch] += (float) sumDy;
      dgamma[dgOff + ch] += (float) sumDyXhat;
      float meanDy = (float) (sumDy / count), meanDyXhat = (float) (sumDyXhat / count);
      float scale = gamma[gOff + ch] * invStd;
      for (int s = 0; y != null && s < n; s++) {
        int at = (s * c + ch) * hw;
        inputGradient(x, xOff + at, dy, dyOff + at, y, yOff + at, hw, mean, invStd, meanDy, meanDyXhat, scale,
            accumulate);
      }
    }
  }

  /** y = gamma·((x - mean)·invStd) + beta over channel ch's planes. */
  private static void normalize(int n, int c, int hw, int ch, float[] x, int xOff, float mean, float invStd,
      float gamma, float beta, float[] y, int yOff) {
    for (int s = 0; s < n; s++) {
      int xa = xOff + (s * c + ch) * hw, ya = yOff + (s * c + ch) * hw;
      int k = 0;
      for (; k <= hw - L; k += L) {
        FloatVector.fromArray(S, x, xa + k).sub(mean).mul(invStd).fma(gamma, beta).intoArray(y, ya + k);
      }
      for (; k < hw; k++) {
        y[ya + k] = gamma * ((x[xa + k] - mean) * invStd) + beta;
      }
    }
  }

  /** Σ (x - mean)² over one plane. */
  private static double squaredDeviations(float[] x, int off, int len, float mean) {
    FloatVector acc = FloatVector.zero(S);
    int k = 0;
    for (; k <= len - L; k += L) {
      FloatVector d = FloatVector.fromArray(S, x, off + k).sub(mean);
      acc = d.fma(d, acc);
    }
    double s = 0;
    for (int lane = 0; lane < L; lane++) {
      s += acc.lane(lane);
    }
    for (; k < len; k++) {
      double d = x[off + k] - mean;
      s += d * d;
    }
    return s;
  }

  /** Σ dy·((x - mean)·invStd) over one plane. */
  private static double dotXhat(float[] dy, int dyOff, float[] x, int xOff, int len, float mean, float invStd) {
    FloatVector acc = FloatVector.zero(S);
    int k = 0;
    for (; k <= len - L; k += L) {
      FloatVector xhat = FloatVector.fromArray(S, x, xOff + k).sub(mean).mul(invStd);
      acc = xhat.fma(FloatVector.fromArray(S, dy, dyOff + k), acc);
    }
    double s = 0;
    for (int lane = 0; lane < L; lane++) {
      s += acc.lane(lane);
    }
    for (; k < len; k++) {
      s += (double) dy[dyOff + k] * ((x[xOff + k] - mean) * invStd);
    }
    return s;
  }

  /** dx = (accumulate ? dx : 0) + scale·(dy - meanDy - xhat·meanDyXhat) over one plane. */
  private static void inputGradient(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int len,
      float mean, float invStd, float meanDy, float meanDyXhat, float scale, boolean accumulate) {
    int k = 0;
    for (; k <= len - L; k += L) {
      FloatVector xhat = FloatVector.fromArray(S, x, xOff + k).sub(mean).mul(invStd);
      FloatVector g = FloatVector.fromArray(S, dy, dyOff + k).sub(meanDy).sub(xhat.mul(meanDyXhat)).mul(scale);
      if (accumulate) {
        g = FloatVector.fromArray(S, dx, dxOff + k).add(g);
      }
      g.intoArray(dx, dxOff + k);
    }
    // Scalar tail: no vector masks in these kernels (see VectorPoolKernels.MAXIMA).
    for (; k < len; k++) {
      float xhat = (x[xOff + k] - mean) * invStd;
      float g = scale * (dy[dyOff + k] - meanDy - xhat * meanDyXhat);
      dx[dxOff + k] = accumulate ? dx[dxOff + k] + g : g;
    }
  }
}
