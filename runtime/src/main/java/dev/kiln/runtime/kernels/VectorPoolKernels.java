package dev.kiln.runtime.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API pooling (see {@link PoolKernels}). Loaded only when {@link Backend#VECTOR} is true.
 *
 * <p>Windows that lie wholly inside the input are computed L output columns at a time: for each
 * window cell one load of L inputs (contiguous for stride 1, a gather for strides up to
 * {@link #MAX_GATHER_STRIDE}), a lanewise max or sum; the other windows go through the scalar
 * per-window code. Max pooling's argmax is then found per output by a scalar search of the window for
 * its first cell holding the maximum. Average pooling visits a window's cells in the scalar order, so
 * both forwards are bitwise equal to the scalar reference. The backward passes scatter-add (windows
 * may overlap) and stay scalar.
 */
final class VectorPoolKernels {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();
  static final int MAX_GATHER_STRIDE = 8;
  /** STRIDES[s] = {0, s, 2s, ...}: the input columns of L consecutive outputs at stride s. */
  private static final int[][] STRIDES = strides();
  /**
   * Per-thread lanes of a block's maxima on their way to the argmax search. No vector masks here on
   * purpose: comparing and blending with masks (to track each lane's winner in a vector) polluted the
   * profile of the mask code the GEMM micro-kernels share, and C2 then boxed their masked vectors with
   * the 128-bit species (AllocationFreeTest).
   */
  private static final ThreadLocal<float[]> MAXIMA = ThreadLocal.withInitial(() -> new float[L]);

  private static final int MAX = 0;
  private static final int MAX_BACKWARD = 1;
  private static final int AVG = 2;
  private static final int AVG_BACKWARD = 3;
  private static final int GLOBAL = 4;
  private static final int GLOBAL_BACKWARD = 5;
  private static final int MAX_BACKWARD_RELU = 6;
  /** Planes per task at least: a task should outweigh the ~1 µs it takes a worker to pick it up. */
  private static final int MIN_CELLS_PER_TASK = 4096;
  /** Jobs of at most this many input cells are split into one task per thread (see {@link #run}). */
  private static final long SMALL_JOB_CELLS = 64 * MIN_CELLS_PER_TASK;

  private VectorPoolKernels() {}

  private static int[][] strides() {
    int[][] maps = new int[MAX_GATHER_STRIDE + 1][L];
    for (int s = 1; s <= MAX_GATHER_STRIDE; s++) {
      for (int lane = 0; lane < L; lane++) {
        maps[s][lane] = lane * s;
      }
    }
    return maps;
  }

  static void maxForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff, int[] argmax, int argOff) {
    run(MAX, g, n * g.c(), g.inH() * g.inW(), x, xOff, y, yOff, argmax, argOff, false);
  }

  static void maxBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] dx, int dxOff, boolean accumulate) {
    run(MAX_BACKWARD, g, n * g.c(), g.inH() * g.inW(), dy, dyOff, dx, dxOff, argmax, argOff, accumulate);
  }

  /** {@link PoolKernels#maxBackwardFolded} with RELU: scalar per plane, split like the other passes. */
  static void maxBackwardRelu(Pool2dGeometry g, int n, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] y, int yOff, float[] dx, int dxOff) {
    run(MAX_BACKWARD_RELU, g, n * g.c(), g.inH() * g.inW(), dy, dyOff, dx, dxOff, argmax, argOff, false, y, yOff);
  }

  static void avgForward(Pool2dGeometry g, int n, float[] x, int xOff, float[] y, int yOff) {
    run(AVG, g, n * g.c(), g.inH() * g.inW(), x, xOff, y, yOff, null, 0, false);
  }

  static void avgBackward(Pool2dGeometry g, int n, float[] dy, int dyOff, float[] dx, int dxOff, boolean accumulate) {
    run(AVG_BACKWARD, g, n * g.c(), g.inH() * g.inW(), dy, dyOff, dx, dxOff, null, 0, accumulate);
  }

  static void globalAvgForward(int n, int c, int hw, float[] x, int xOff, float[] y, int yOff) {
    run(GLOBAL, null, n * c, hw, x, xOff, y, yOff, null, 0, false);
  }

  static void globalAvgBackward(int n, int c, int hw, float[] dy, int dyOff, float[] dx, int dxOff, boolean accumulate) {
    run(GLOBAL_BACKWARD, null, n * c, hw, dy, dyOff, dx, dxOff, null, 0, accumulate);
  }

  private static void run(int mode, Pool2dGeometry g, int planes, int planeCells, float[] a, int aOff,
      float[] b, int bOff, int[] idx, int idxOff, boolean accumulate) {
    run(mode, g, planes, planeCells, a, aOff, b, bOff, idx, idxOff, accumulate, null, 0);
  }

  /**
   * Splits the planes into tasks of whole planes (each plane is one task's, so any split gives the same
   * result); {@code y} is the pooled output a folded backward reads, else null.
   */
  private static void run(int mode, Pool2dGeometry g, int planes, int planeCells, float[] a, int aOff,
      float[] b, int bOff, int[] idx, int idxOff, boolean accumulate, float[] y, int yOff) {
    if (planes == 0) {
      return;
    }
    int perTask = Math.max(1, MIN_CELLS_PER_TASK / Math.max(1, planeCells));
    int threads = Parallelism.threads();
    // Small jobs (a batch-1 pooling): one task per thread at most, so the pool pins task w to worker w
    // and a core pools the planes it has just computed when the convolution before was split the same
    // way (VectorConvKernels' shifted kernel: contiguous ranges of filters, one per thread). Larger
    // jobs keep up to four tasks per thread, which balances a core that is busy with something else.
    int tasks = Math.min((planes + perTask - 1) / perTask,
        (long) planes * planeCells <= SMALL_JOB_CELLS ? threads : 4 * threads);
    PoolJob job = PoolJob.CACHE.acquire();
    try {
      job.set(mode, g, planes, planeCells, (planes + tasks - 1) / tasks, a, aOff, b, bOff, idx, idxOff, accumulate,
          y, yOff);
      Parallelism.forEach(tasks, job);
    } finally {
      PoolJob.CACHE.release(job);
    }
  }

  /** One pooling pass over a range of planes, as a reusable task (see {@link Parallelism.TaskCache}). */
  private static final class PoolJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<PoolJob> CACHE = new Parallelism.TaskCache<>(PoolJob::new);
    private int mode, planes, planeCells, chunk, aOff, bOff, idxOff, yOff;
    private Pool2dGeometry g;
    private float[] a, b, y;
    private int[] idx;
    private boolean accumulate;

    @Override
    public void clear() {
      g = null;
      a = b = y = null;
      idx = null;
    }

    void set(int mode, Pool2dGeometry g, int planes, int planeCells, int chunk, float[] a, int aOff,
        float[] b, int bOff, int[] idx, int idxOff, boolean accumulate, float[] y, int yOff) {
      this.mode = mode;
      this.g = g;
      this.planes = planes;
      this.planeCells = planeCells;
      this.chunk = chunk;
      this.a = a;
      this.aOff = aOff;
      this.b = b;
      this.bOff = bOff;
      this.idx = idx;
      this.idxOff = idxOff;
      this.accumulate = accumulate;
      this.y = y;
      this.yOff = yOff;
    }

    @Override
    public void run(int task) {
      int end = Math.min(planes, (task + 1) * chunk);
      for (int p = task * chunk; p < end; p++) {
        switch (mode) {
          case MAX -> {
            if (POOL_2X2_FAST && is2x2Stride2(g)) {
              maxPlane2x2(g, p, a, aOff, b, bOff, idx, idxOff);
            } else {
              windowPlane(true, g, p, a, aOff, b, bOff, idx, idxOff);
            }
          }
          case MAX_BACKWARD -> maxBackwardPlane(g, p, a, aOff, idx, idxOff, null, 0, b, bOff, accumulate);
          case MAX_BACKWARD_RELU -> maxBackwardPlane(g, p, a, aOff, idx, idxOff, y, yOff, b, bOff, false);
          case AVG -> windowPlane(false, g, p, a, aOff, b, bOff, null, 0);
          case AVG_BACKWARD -> ScalarPoolKernels.avgBackwardPlane(g, p, a, aOff, b, bOff, accumulate);
          case GLOBAL -> b[bOff + p] = VectorConvKernels.sum(a, aOff + p * planeCells, planeCells) / planeCells;
          default -> fill(b, bOff + p * planeCells, planeCells, a[aOff + p] / planeCells, accumulate);
        }
      }
    }
  }

  /** The tight 2x2 stride-2 path; {@code -Dkiln.pool.generic=true} restores the generic one (for measuring). */
  private static final boolean POOL_2X2_FAST = !Boolean.getBoolean("kiln.pool.generic");

  /** A 2x2 window at stride 2 without padding: every window lies inside the input. */
  static boolean is2x2Stride2(Pool2dGeometry g) {
    return g.kH() == 2 && g.kW() == 2 && g.strideH() == 2 && g.strideW() == 2
        && g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0;
  }

  /**
   * Plane p of a 2x2 stride-2 unpadded max pooling. Without argmax (inference), planes at least one
   * vector wide take {@link #max2x2Plane}. With argmax, planes whose rows hold at least L windows take
   * {@link #argmaxVector}, other planes at least one vector wide the vector maxima and {@link
   * #argmax2x2}; smaller ones are scalar: the four cells in row-major order
   * with {@link ScalarPoolKernels#maxCell}'s rule (a later cell wins when greater or NaN), so the result
   * and argmax are bitwise the reference's. No masks and no gathers: the rows are short (13 and 5 outputs
   * in FashionCnn, under one vector) and the generic path ran them cell by cell through maxCell.
   */
  private static void maxPlane2x2(Pool2dGeometry g, int p, float[] x, int xOff, float[] y, int yOff,
      int[] argmax, int argOff) {
    int c = g.c(), inHw = g.inH() * g.inW(), ohw = g.outH() * g.outW();
    int s = p / c, ch = p % c;
    maxPlane2x2(g, x, xOff + s * c * inHw, ch * inHw, y, yOff + p * ohw, argmax, argOff + p * ohw);
  }

  /**
   * One plane of a 2x2 stride-2 unpadded max pooling, the plane's cells at {@code x[xs + base + h·inW +
   * w]}, into {@code y[yo]} and, unless argmax is null, each winner recorded as {@code base + h·inW + w}
   * at {@code argmax[ao]} on: its index within the sample when x is the pooling's input tensor
   * ({@link #maxPlane2x2(Pool2dGeometry, int, float[], int, float[], int, int[], int)}), or a plane
   * copied out of a convolution's tile ({@link VectorConvKernels}' fused convolution + pooling in
   * training, {@code xs = -base}).
   */
  static void maxPlane2x2(Pool2dGeometry g, float[] x, int xs, int base, float[] y, int yo, int[] argmax, int ao) {
    int inW = g.inW(), oh = g.outH(), ow = g.outW();
    int last = 2 * (oh - 1) * inW + 2 * (ow - 1); // the last window's first cell, from the plane's start
    if (argmax != null && BRANCH_FREE_ARGMAX && VECTOR_ARGMAX) {
      if (ow >= L && argmaxVector(inW, oh, ow, x, xs, base, y, yo, argmax, ao)) {
        return;
      }
      // The compact path's last read: the last chunk's fourth load, L floats from its last window's last cell.
      long lastRead = (long) xs + base + (2L * oh - 1) * inW + 2L * (ow - L / 2) + L;
      if (ow < L && 2 * ow >= L && oh * ow >= L && lastRead < x.length
          && argmaxCompact(inW, oh, ow, x, xs, base, y, yo, argmax, ao)) {
        return;
      }
    }
    if (argmax != null && BRANCH_FREE_ARGMAX && last + 1 >= L) {
      pool2x2Vector(true, false, inW, oh, ow, x, xs + base, y, yo);
      argmax2x2(inW, oh, ow, x, xs, base, y, yo, argmax, ao);
      return;
    }
    if (argmax == null) {
      max2x2Plane(g, false, x, xs + base, inW, y, yo);
      return;
    }
    for (int i = 0; i < oh; i++) {
      int rel = base + 2 * i * inW;
      int yr = i * ow;
      for (int j = 0; j < ow; j++) {
        int k = rel + 2 * j;
        int at = xs + k;
        float m = x[at];
        int best = k;
        float v = x[at + 1];
        if (v > m || v != v) {
          m = v;
          best = k + 1;
        }
        v = x[at + inW];
        if (v > m || v != v) {
          m = v;
          best = k + inW;
        }
        v = x[at + inW + 1];
        if (v > m || v != v) {
          m = v;
          best = k + inW + 1;
        }
        y[yo + yr + j] = m;
        argmax[ao + yr + j] = best;
      }
    }
  }

  /** {@code -Dkiln.pool.vectorArgmax=false} keeps {@link #argmax2x2} for planes {@link #argmaxVector} takes (for measuring). */
  private static final boolean VECTOR_ARGMAX = !"false".equals(System.getProperty("kiln.pool.vectorArgmax"));

  /** Int lanes as wide as {@link #S}'s. */
  private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());

  /** Lanes {@code 1, 3, ..., L-1} in both halves: the odd lanes of a vector in its first L/2 lanes. */
  private static final VectorShuffle<Float> ODDS = S.iotaShuffle(1, 2, true);

  /** Per lane: the lane, twice the lane, -1 in the lower L/2 lanes (else 0), -1 in the even lanes (else 0). */
  private static final int[] LANE = new int[L], TWICE_LANE = new int[L], LOWER_HALF = new int[L],
      EVEN_LANES = new int[L];

  /** Lanes {@code 0, 0, 1, 1, ...} up to L/2 - 1, and {@code L/2, L/2, ...} up to L - 1: each lane twice. */
  private static final VectorShuffle<Integer> TWICE_LOW, TWICE_HIGH;

  static {
    int[] low = new int[L], high = new int[L];
    for (int lane = 0; lane < L; lane++) {
      LANE[lane] = lane;
      TWICE_LANE[lane] = 2 * lane;
      LOWER_HALF[lane] = lane < L / 2 ? -1 : 0;
      EVEN_LANES[lane] = lane % 2 == 0 ? -1 : 0;
      low[lane] = lane / 2;
      high[lane] = L / 2 + lane / 2;
    }
    TWICE_LOW = VectorShuffle.fromArray(SI, low, 0);
    TWICE_HIGH = VectorShuffle.fromArray(SI, high, 0);
  }

  /**
   * Max pooling with argmax of a 2x2 stride-2 plane (cells at {@code x[xs + base + h·inW + w]}, winners
   * recorded as {@code base + h·inW + w}) whose rows hold at least L windows, L windows at a time and
   * without a branch, a mask or a conversion: the four cells of L windows are deinterleaved into four
   * vectors (even and odd lanes of two rows, joined by their bits), m is their lanewise max, and a cell
   * "differs" from m where the bits of {@code |cell - m|} are nonzero, which for finite m is exactly
   * {@code cell != m} (signed zeros equal). The winner is the first cell (row-major) not differing, as
   * the reference's rule gives (a later cell wins only when strictly greater); its bits are selected
   * with all-ones masks, so y holds the winner itself (a -0 winner stays -0), and its index is {@code
   * 2·lane + the winner's row·inW + column} from the chunk's first cell. A row's last chunk is moved back
   * to end at its last window (it rewrites equal values). Returns false, the plane then being redone by
   * the caller, when a maximum is NaN or infinite (where {@code cell - m} is no test of equality).
   * (The scalar {@link #argmax2x2} spent about 28 cycles a window on FashionCnn's first pooling.)
   */
  private static boolean argmaxVector(int inW, int oh, int ow, float[] x, int xs, int base, float[] y, int yo,
      int[] argmax, int ao) {
    IntVector lower = IntVector.fromArray(SI, LOWER_HALF, 0), upper = lower.not();
    IntVector twiceLane = IntVector.fromArray(SI, TWICE_LANE, 0);
    FloatVector bad = FloatVector.zero(S);
    for (int i = 0; i < oh; i++) {
      int rel = base + 2 * i * inW, yr = i * ow;
      for (int j0 = 0; j0 < ow; j0 += L) {
        int j = Math.min(j0, ow - L), k = rel + 2 * j, at = xs + k;
        FloatVector a0 = FloatVector.fromArray(S, x, at), b0 = FloatVector.fromArray(S, x, at + L);
        FloatVector a1 = FloatVector.fromArray(S, x, at + inW), b1 = FloatVector.fromArray(S, x, at + inW + L);
        IntVector c0 = a0.rearrange(EVENS).reinterpretAsInts().and(lower)
            .or(b0.rearrange(EVENS).reinterpretAsInts().and(upper));
        IntVector c1 = a0.rearrange(ODDS).reinterpretAsInts().and(lower)
            .or(b0.rearrange(ODDS).reinterpretAsInts().and(upper));
        IntVector c2 = a1.rearrange(EVENS).reinterpretAsInts().and(lower)
            .or(b1.rearrange(EVENS).reinterpretAsInts().and(upper));
        IntVector c3 = a1.rearrange(ODDS).reinterpretAsInts().and(lower)
            .or(b1.rearrange(ODDS).reinterpretAsInts().and(upper));
        FloatVector v0 = c0.reinterpretAsFloats(), v1 = c1.reinterpretAsFloats();
        FloatVector v2 = c2.reinterpretAsFloats(), v3 = c3.reinterpretAsFloats();
        FloatVector m = v0.max(v1).max(v2).max(v3);
        bad = bad.add(m.sub(m)); // 0, or NaN where m is NaN or infinite
        // All ones where |v - m| has nonzero bits (v differs from a finite m), else 0.
        IntVector d0 = v0.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d1 = v1.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d2 = v2.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d01 = d0.and(d1);
        IntVector w1 = d0.lanewise(VectorOperators.AND_NOT, d1), w3 = d01.and(d2);
        IntVector bits = c0.lanewise(VectorOperators.AND_NOT, d0).or(c1.and(w1))
            .or(c2.and(d01.lanewise(VectorOperators.AND_NOT, d2))).or(c3.and(w3));
        IntVector index = twiceLane.add(k).add(d01.and(inW)).add(w1.or(w3).and(1));
        bits.reinterpretAsFloats().intoArray(y, yo + yr + j);
        index.intoArray(argmax, ao + yr + j);
      }
    }
    return bad.reduceLanes(VectorOperators.ADD) == 0f;
  }

  /** Lanes {@code 0, 2, 4, ..., L-2} in both halves, of int lanes: {@link #EVENS} for indices. */
  private static final VectorShuffle<Integer> EVENS_INT = SI.iotaShuffle(0, 2, true);

  /** Per-thread scratch of {@link #argmaxCompact}: the winners' indices of a plane. */
  private static final ThreadLocal<int[][]> INT_PLANE = ThreadLocal.withInitial(() -> new int[1][0]);

  /**
   * {@link #argmaxVector} for rows of L/2 to L - 1 windows (FashionCnn's second pooling: 5 a row on
   * AVX2; the first, 13, with 16-float vectors), the way {@link #pool2x2Compact} pools: the four cells of
   * L/2 windows are the even lanes of four loads shifted by 0, 1, inW and inW + 1, the winner is chosen
   * by the same rule, and the results of the even lanes, compacted to L/2 consecutive outputs, are
   * stored whole into per-thread copies of the plane's outputs, which are then copied out. Reads up to L
   * floats past the last window (the caller checks x holds them). Returns false when a maximum is NaN
   * or infinite.
   */
  private static boolean argmaxCompact(int inW, int oh, int ow, float[] x, int xs, int base, float[] y, int yo,
      int[] argmax, int ao) {
    int half = L / 2, lastChunk = ow - half, cells = oh * ow;
    float[][] holder = PLANE.get();
    if (holder[0].length < cells + L) {
      holder[0] = new float[Math.max(holder[0].length, cells + L)];
    }
    int[][] intHolder = INT_PLANE.get();
    if (intHolder[0].length < cells + L) {
      intHolder[0] = new int[cells + L];
    }
    float[] t = holder[0];
    int[] ti = intHolder[0];
    IntVector lane = IntVector.fromArray(SI, LANE, 0);
    FloatVector bad = FloatVector.zero(S);
    for (int i = 0; i < oh; i++) {
      int rel = base + 2 * i * inW, yr = i * ow;
      for (int j0 = 0; j0 < ow; j0 += half) {
        int j = Math.min(j0, lastChunk), k = rel + 2 * j, at = xs + k;
        FloatVector v0 = FloatVector.fromArray(S, x, at), v1 = FloatVector.fromArray(S, x, at + 1);
        FloatVector v2 = FloatVector.fromArray(S, x, at + inW), v3 = FloatVector.fromArray(S, x, at + inW + 1);
        FloatVector m = v0.max(v1).max(v2).max(v3);
        FloatVector windows = m.rearrange(EVENS); // the odd lanes are no windows: their cells may be anything
        bad = bad.add(windows.sub(windows));
        // The winner's selection as in argmaxVector, written out again: as a helper method C2 did not inline
        // it into these loops and boxed the vectors across the call (0.60x).
        IntVector d0 = v0.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d1 = v1.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d2 = v2.sub(m).abs().reinterpretAsInts().min(1).neg();
        IntVector d01 = d0.and(d1);
        IntVector w1 = d0.lanewise(VectorOperators.AND_NOT, d1), w3 = d01.and(d2);
        IntVector bits = v0.reinterpretAsInts().lanewise(VectorOperators.AND_NOT, d0)
            .or(v1.reinterpretAsInts().and(w1))
            .or(v2.reinterpretAsInts().and(d01.lanewise(VectorOperators.AND_NOT, d2)))
            .or(v3.reinterpretAsInts().and(w3));
        IntVector index = lane.add(k).add(d01.and(inW)).add(w1.or(w3).and(1));
        bits.reinterpretAsFloats().rearrange(EVENS).intoArray(t, yr + j);
        index.rearrange(EVENS_INT).intoArray(ti, yr + j);
      }
    }
    if (bad.reduceLanes(VectorOperators.ADD) != 0f) {
      return false;
    }
    for (int k0 = 0; k0 < cells; k0 += L) {
      int k = Math.min(k0, cells - L);
      FloatVector.fromArray(S, t, k).intoArray(y, yo + k);
      IntVector.fromArray(SI, ti, k).intoArray(argmax, ao + k);
    }
    return true;
  }

  /** {@code -Dkiln.pool.vectorScatter=false} keeps the scalar scatter of 2x2 max pooling's backward (for measuring). */
  private static final boolean VECTOR_SCATTER = !"false".equals(System.getProperty("kiln.pool.vectorScatter"));

  /**
   * Plane p of a max pooling's backward: dx overwritten (or added to, with accumulate) with each output
   * cell's gradient at its winner, the folded ReLU derivative applied at the pooled output y when y is
   * not null. A 2x2 stride-2 unpadded pooling whose rows hold at least L windows, overwriting, takes
   * {@link #scatter2x2}; everything else, and a plane holding an index outside its channel (which it
   * then reports), the scalar scatter.
   */
  static void maxBackwardPlane(Pool2dGeometry g, int p, float[] dy, int dyOff, int[] argmax, int argOff, float[] y,
      int yOff, float[] dx, int dxOff, boolean accumulate) {
    if (!accumulate && VECTOR_SCATTER && POOL_2X2_FAST && is2x2Stride2(g) && g.outW() >= L
        && scatter2x2(g, p, dy, dyOff, argmax, argOff, y, yOff, dx, dxOff)) {
      return;
    }
    if (y == null) {
      ScalarPoolKernels.maxBackwardPlane(g, p, dy, dyOff, argmax, argOff, dx, dxOff, accumulate);
    } else {
      ScalarPoolKernels.maxBackwardReluPlane(g, p, dy, dyOff, argmax, argOff, y, yOff, dx, dxOff);
    }
  }

  /**
   * The scalar scatter of a 2x2 stride-2 plane (windows that do not overlap), L windows at a time and
   * without a branch or a mask: each window's winner is one of its four cells, so the winner's offset
   * from the window's first cell (0, 1, inW or inW + 1) selects, with all-ones masks, which of four
   * vectors gets the window's gradient (with the ReLU derivative, {@link ScalarPoolKernels#reluSelect}'s
   * bit rule, when y is not null); the two vectors of a row are interleaved into 2L cells of dx, and +0
   * is added, as the scalar scatter adds each gradient to a zeroed cell (so a -0 gradient lands as +0).
   * The cells no window covers (a last odd row or column) are zeroed. Bitwise the scalar scatter's dx.
   * Returns false, dx then being redone by the caller, when an index is not one of its window's cells.
   */
  private static boolean scatter2x2(Pool2dGeometry g, int p, float[] dy, int dyOff, int[] argmax, int argOff,
      float[] y, int yOff, float[] dx, int dxOff) {
    int c = g.c(), inW = g.inW(), inHw = g.inH() * inW, oh = g.outH(), ow = g.outW();
    int base = p % c * inHw, xp = dxOff + p / c * g.inSize() + base, o = p * oh * ow;
    IntVector even = IntVector.fromArray(SI, EVEN_LANES, 0), odd = even.not();
    IntVector twiceLane = IntVector.fromArray(SI, TWICE_LANE, 0);
    IntVector outside = IntVector.zero(SI);
    for (int i = 0; i < oh; i++) {
      int rel = base + 2 * i * inW, row = xp + 2 * i * inW, yr = o + i * ow;
      for (int j0 = 0; j0 < ow; j0 += L) {
        int j = Math.min(j0, ow - L);
        IntVector code = IntVector.fromArray(SI, argmax, argOff + yr + j).sub(twiceLane.add(rel + 2 * j));
        IntVector gb = FloatVector.fromArray(S, dy, dyOff + yr + j).reinterpretAsInts();
        if (y != null) {
          IntVector yb = FloatVector.fromArray(S, y, yOff + yr + j).reinterpretAsInts();
          IntVector positive = yb.sub(1).or(yb).lanewise(VectorOperators.ASHR, 31).not();
          IntVector nan = yb.and(0x7fffffff).neg().add(0x7f800000).lanewise(VectorOperators.ASHR, 31);
          gb = gb.and(positive.or(nan));
        }
        // All ones where the winner is the cell at that offset: t | -t has its sign bit set unless t is 0.
        IntVector t0 = code, t1 = code.sub(1), t2 = code.sub(inW), t3 = code.sub(inW + 1);
        IntVector e0 = t0.or(t0.neg()).lanewise(VectorOperators.ASHR, 31).not();
        IntVector e1 = t1.or(t1.neg()).lanewise(VectorOperators.ASHR, 31).not();
        IntVector e2 = t2.or(t2.neg()).lanewise(VectorOperators.ASHR, 31).not();
        IntVector e3 = t3.or(t3.neg()).lanewise(VectorOperators.ASHR, 31).not();
        outside = outside.or(e0.or(e1).or(e2).or(e3).not());
        IntVector v0 = gb.and(e0), v1 = gb.and(e1), v2 = gb.and(e2), v3 = gb.and(e3);
        int at = row + 2 * j;
        v0.rearrange(TWICE_LOW).and(even).or(v1.rearrange(TWICE_LOW).and(odd)).reinterpretAsFloats().add(0f)
            .intoArray(dx, at);
        v0.rearrange(TWICE_HIGH).and(even).or(v1.rearrange(TWICE_HIGH).and(odd)).reinterpretAsFloats().add(0f)
            .intoArray(dx, at + L);
        v2.rearrange(TWICE_LOW).and(even).or(v3.rearrange(TWICE_LOW).and(odd)).reinterpretAsFloats().add(0f)
            .intoArray(dx, at + inW);
        v2.rearrange(TWICE_HIGH).and(even).or(v3.rearrange(TWICE_HIGH).and(odd)).reinterpretAsFloats().add(0f)
            .intoArray(dx, at + inW + L);
      }
      if (2 * ow < inW) {
        Arrays.fill(dx, row + 2 * ow, row + inW, 0f);
        Arrays.fill(dx, row + inW + 2 * ow, row + 2 * inW, 0f);
      }
    }
    Arrays.fill(dx, xp + 2 * oh * inW, xp + inHw, 0f);
    return outside.reduceLanes(VectorOperators.OR) == 0;
  }

  /** {@code -Dkiln.pool.branchFreeArgmax=false} keeps the compare-and-branch argmax (for measuring). */
  private static final boolean BRANCH_FREE_ARGMAX =
      !"false".equals(System.getProperty("kiln.pool.branchFreeArgmax"));

  /**
   * The training path's argmax of a 2x2 stride-2 plane after {@link #pool2x2Vector} wrote each
   * window's maximum m to y: the winner is the first of the four cells (row-major) equal to m, chosen
   * by conditional moves instead of the scalar path's branches (which mispredicted on real data:
   * FashionCnn's first pooling took 3.2 ms at batch 128 with its argmax, 1 ms without); y is then
   * rewritten with the winner itself, so a -0 winner stays -0. That is the reference's rule (a later
   * cell wins only when strictly greater, or NaN) whenever m is not NaN; a window holding a NaN runs
   * the reference's rule itself. Bitwise the reference's y and argmax.
   */
  private static void argmax2x2(int inW, int oh, int ow, float[] x, int xs, int base, float[] y, int yo,
      int[] argmax, int ao) {
    for (int i = 0; i < oh; i++) {
      int rel = base + 2 * i * inW, yr = i * ow;
      for (int j = 0; j < ow; j++) {
        int k = rel + 2 * j, at = xs + k;
        float m = y[yo + yr + j];
        float x0 = x[at], x1 = x[at + 1], x2 = x[at + inW], x3 = x[at + inW + 1];
        int best;
        if (m != m) {
          best = k;
          float v = x0;
          if (x1 > v || x1 != x1) {
            v = x1;
            best = k + 1;
          }
          if (x2 > v || x2 != x2) {
            v = x2;
            best = k + inW;
          }
          if (x3 != x3) {
            best = k + inW + 1;
          }
        } else {
          best = x2 == m ? k + inW : k + inW + 1;
          best = x1 == m ? k + 1 : best;
          best = x0 == m ? k : best;
        }
        y[yo + yr + j] = x[xs + best];
        argmax[ao + yr + j] = best;
      }
    }
  }

  /**
   * One plane of a 2x2 stride-2 unpadded max pooling without indices (inference), from the plane at
   * {@code x[xp]} whose rows are {@code stride} floats apart: {@code stride = g.inW()} for a plane of
   * the pooling's input tensor, or more for a convolution's row-strided tile
   * ({@link VectorConvKernels}' fused convolution + pooling), which then gives bitwise what pooling
   * the stored convolution output gives. Planes at least one vector wide (decided on the contiguous
   * layout, whatever the stride) take {@link #pool2x2Vector}; smaller ones compare the four cells in
   * row-major order with {@link ScalarPoolKernels#maxCell}'s rule. With {@code relu} each output is
   * {@code max(m, 0)}: max commutes with the monotone ReLU (NaN and -0 included), so this is bitwise
   * pooling the rectified plane, without a pass over the plane to rectify it first.
   */
  static void max2x2Plane(Pool2dGeometry g, boolean relu, float[] x, int xp, int stride, float[] y, int yo) {
    int oh = g.outH(), ow = g.outW();
    if (2 * (oh - 1) * g.inW() + 2 * (ow - 1) + 1 >= L) {
      pool2x2Vector(true, relu, stride, oh, ow, x, xp, y, yo);
      return;
    }
    for (int i = 0; i < oh; i++) {
      int r = xp + 2 * i * stride;
      int yr = yo + i * ow;
      for (int j = 0; j < ow; j++) {
        int at = r + 2 * j;
        float m = x[at];
        float v = x[at + 1];
        if (v > m || v != v) {
          m = v;
        }
        v = x[at + stride];
        if (v > m || v != v) {
          m = v;
        }
        v = x[at + stride + 1];
        if (v > m || v != v) {
          m = v;
        }
        y[yr + j] = relu ? Math.max(m, 0f) : m;
      }
    }
  }

  /**
   * {@link #max2x2Plane} for average pooling, for the fused convolution + pooling only: the window's
   * four cells summed from 0 in row-major order, then divided by 4, as {@link ScalarPoolKernels#avgCell}
   * and {@link #avgVector} do, so bitwise what {@link #avgForward} gives.
   */
  static void avg2x2Plane(Pool2dGeometry g, float[] x, int xp, int stride, float[] y, int yo) {
    int oh = g.outH(), ow = g.outW();
    if (2 * (oh - 1) * stride + 2 * (ow - 1) + 1 >= L) {
      pool2x2Vector(false, false, stride, oh, ow, x, xp, y, yo);
      return;
    }
    for (int i = 0; i < oh; i++) {
      int r = xp + 2 * i * stride;
      for (int j = 0; j < ow; j++) {
        int at = r + 2 * j;
        y[yo + i * ow + j] = (0f + x[at] + x[at + 1] + x[at + stride] + x[at + stride + 1]) / 4;
      }
    }
  }

  /** Per-thread scratch for {@link #pool2x2Vector}: the window results at every flat input index of a plane. */
  private static final ThreadLocal<float[][]> PLANE = ThreadLocal.withInitial(() -> new float[1][0]);

  /** Lanes {@code 0, 2, 4, ..., L-2} in both halves: the even lanes of a vector in its first L/2 lanes. */
  private static final VectorShuffle<Float> EVENS = S.iotaShuffle(0, 2, true);

  /** {@code -Dkiln.pool.compact=false} keeps the scalar gather of {@link #pool2x2Vector} (for measuring). */
  private static final boolean COMPACT = L >= 4 && !"false".equals(System.getProperty("kiln.pool.compact"));

  /**
   * 2x2 stride-2 pooling of a plane (rows {@code stride} apart), branch-free: at the flat indices f
   * of each row of windows' first cells (the plane's even rows), the lanewise max (as {@link #maxVector}: NaN
   * propagates), or the sum from 0 divided by 4, of x[f], x[f+1], x[f+stride], x[f+stride+1], L
   * indices at a time; output (i, j) is the value at f = 2i·stride + 2j, then {@code max(·, 0)} when
   * {@code relu} (max pooling only: max commutes with ReLU, so this is bitwise pooling the rectified
   * plane). Every read stays inside the plane (2·outW ≤ inW, 2·outH ≤ inH) or, with
   * {@link #pool2x2Compact}, at most L floats past its last window and inside x. The scalar path's
   * compare branches mispredicted on real data: 65 µs instead of 9 for
   * FashionCnn's first pooling at batch 1 when each call sees a new image (the same image every call
   * had hidden it).
   */
  private static void pool2x2Vector(boolean max, boolean relu, int stride, int oh, int ow, float[] x, int xp,
      float[] y, int yo) {
    int half = L / 2;
    // The compact path's last read: the last chunk's fourth load, from f = 2(oh-1)·stride + 2·max(0, ow - L/2).
    long lastRead = (long) xp + 2L * (oh - 1) * stride + 2L * Math.max(0, ow - half) + stride + L;
    if (COMPACT && oh * ow >= L && lastRead < x.length) {
      pool2x2Compact(max, relu, stride, oh, ow, x, xp, y, yo);
      return;
    }
    int last = 2 * (oh - 1) * stride + 2 * (ow - 1); // the last window's first cell
    float[][] holder = PLANE.get();
    if (holder[0].length < last + 1) {
      holder[0] = new float[last + 1];
    }
    float[] t = holder[0];
    for (int i = 0; i < oh; i++) {
      int r = 2 * i * stride, yr = yo + i * ow;
      // Only the window rows' first cells: f in [r, r + 2·(ow-1)].
      for (int f0 = r; f0 <= r + 2 * (ow - 1); f0 += L) {
        int f = Math.min(f0, last + 1 - L);
        int at = xp + f;
        FloatVector a = FloatVector.fromArray(S, x, at), b = FloatVector.fromArray(S, x, at + 1),
            c = FloatVector.fromArray(S, x, at + stride), d = FloatVector.fromArray(S, x, at + stride + 1);
        if (max) {
          FloatVector m = a.max(b).max(c).max(d);
          (relu ? m.max(0f) : m).intoArray(t, f);
        } else {
          FloatVector.zero(S).add(a).add(b).add(c).add(d).div(4f).intoArray(t, f);
        }
      }
      for (int j = 0; j < ow; j++) {
        y[yr + j] = t[r + 2 * j];
      }
    }
  }

  /**
   * {@link #pool2x2Vector} without the scalar gather: each vector of window results is compacted in
   * registers (its even lanes, {@link #EVENS}, are L/2 consecutive outputs) and stored whole, in
   * ascending order, into a per-thread copy of the output plane, where a store's upper L/2 lanes land
   * on outputs a later store rewrites (or past the plane's end, in the copy's slack); the plane is
   * then copied out by whole vectors, the last one moved back to end at the plane's end (it rewrites
   * equal floats). No masks (see {@link #MAXIMA}) and no write outside the plane. A row's last chunk is
   * moved back to end at the row's last output (an even shift, so it still starts on a window). The
   * same lanewise operations as the gather path, so bitwise the same plane; needs {@code oh·ow >= L}.
   * (FashionCnn's first pooling at batch 1: 13 outputs a row, one or two chunks instead of 13 scalar
   * copies.)
   */
  private static void pool2x2Compact(boolean max, boolean relu, int stride, int oh, int ow, float[] x, int xp,
      float[] y, int yo) {
    int half = L / 2, lastChunk = Math.max(0, ow - half), cells = oh * ow;
    float[][] holder = PLANE.get();
    if (holder[0].length < cells + L) {
      holder[0] = new float[Math.max(holder[0].length, cells + L)];
    }
    float[] t = holder[0];
    for (int i = 0; i < oh; i++) {
      int r = xp + 2 * i * stride, yr = i * ow;
      for (int j0 = 0; j0 < ow; j0 += half) {
        int j = Math.min(j0, lastChunk), at = r + 2 * j;
        FloatVector a = FloatVector.fromArray(S, x, at), b = FloatVector.fromArray(S, x, at + 1),
            c = FloatVector.fromArray(S, x, at + stride), d = FloatVector.fromArray(S, x, at + stride + 1);
        FloatVector m;
        if (max) {
          m = a.max(b).max(c).max(d);
          if (relu) {
            m = m.max(0f);
          }
        } else {
          m = FloatVector.zero(S).add(a).add(b).add(c).add(d).div(4f);
        }
        m.rearrange(EVENS).intoArray(t, yr + j);
      }
    }
    for (int k0 = 0; k0 < cells; k0 += L) {
      int k = Math.min(k0, cells - L);
      FloatVector.fromArray(S, t, k).intoArray(y, yo + k);
    }
  }

  /** Plane p of max (with argmax when non-null) or average pooling; see the class comment. */
  private static void windowPlane(boolean max, Pool2dGeometry g, int p, float[] x, int xOff, float[] y, int yOff,
      int[] argmax, int argOff) {
    int s = p / g.c(), ch = p % g.c(), oh = g.outH(), ow = g.outW(), sw = g.strideW();
    int xs = xOff + s * g.inSize();
    int yp = p * oh * ow;
    // Output columns [jLo, jHi) have windows inside the input's columns.
    int jLo = Math.min(ow, (g.padLeft() + sw - 1) / sw);
    int span = g.inW() - g.kW() + g.padLeft();
    int jHi = span < 0 ? jLo : Math.max(jLo, Math.min(ow, span / sw + 1));
    boolean vectorRows = sw <= MAX_GATHER_STRIDE && jHi - jLo >= L;
    float[] maxima = max && argmax != null ? MAXIMA.get() : null;
    for (int i = 0; i < oh; i++) {
      int ih0 = i * g.strideH() - g.padTop();
      if (!vectorRows || ih0 < 0 || ih0 + g.kH() > g.inH()) {
        if (max) {
          ScalarPoolKernels.maxPlane(g, p, i, i + 1, x, xOff, y, yOff, argmax, argOff);
        } else {
          ScalarPoolKernels.avgPlane(g, p, i, i + 1, x, xOff, y, yOff);
        }
        continue;
      }
      int j = 0;
      for (; j < jHi; j++) {
        if (j >= jLo && j + L <= jHi) {
          int corner = (ch * g.inH() + ih0) * g.inW() + j * sw - g.padLeft();
          int at = yp + i * ow + j;
          if (max) {
            maxVector(g, x, xs, corner, y, yOff + at, argmax, argOff + at, maxima);
          } else {
            avgVector(g, x, xs, corner, y, yOff + at);
          }
          j += L - 1;
        } else {
          cell(max, g, p, ch, i, j, x, xs, y, yOff, argmax, argOff);
        }
      }
      for (; j < ow; j++) {
        cell(max, g, p, ch, i, j, x, xs, y, yOff, argmax, argOff);
      }
    }
  }

  private static void cell(boolean max, Pool2dGeometry g, int p, int ch, int i, int j, float[] x, int xs,
      float[] y, int yOff, int[] argmax, int argOff) {
    int at = (p * g.outH() + i) * g.outW() + j;
    if (max) {
      int idx = ScalarPoolKernels.maxCell(g, x, xs, ch, i, j);
      y[yOff + at] = x[xs + idx];
      if (argmax != null) {
        argmax[argOff + at] = idx;
      }
    } else {
      y[yOff + at] = ScalarPoolKernels.avgCell(g, x, xs, ch, i, j);
    }
  }

  /**
   * L adjacent interior windows whose first cell is at sample index {@code corner}: the lanewise
   * maximum (NaN propagates, as in PyTorch), then, for argmax, each window's first cell in row-major
   * order that holds it (or is NaN).
   */
  private static void maxVector(Pool2dGeometry g, float[] x, int xs, int corner, float[] y, int yi,
      int[] argmax, int ai, float[] maxima) {
    int sw = g.strideW();
    int[] map = STRIDES[sw];
    FloatVector best = load(x, xs + corner, sw, map);
    for (int kh = 0; kh < g.kH(); kh++) {
      int row = xs + corner + kh * g.inW();
      for (int kw = kh == 0 ? 1 : 0; kw < g.kW(); kw++) {
        best = best.max(load(x, row + kw, sw, map));
      }
    }
    best.intoArray(y, yi);
    if (argmax != null) {
      best.intoArray(maxima, 0);
      for (int lane = 0; lane < L; lane++) {
        argmax[ai + lane] = firstCellHolding(g, x, xs, corner + lane * sw, maxima[lane]);
      }
    }
  }

  /** The first cell in row-major order of the kH×kW window at sample index {@code corner} equal to m (or NaN when m is). */
  private static int firstCellHolding(Pool2dGeometry g, float[] x, int xs, int corner, float m) {
    boolean nan = Float.isNaN(m);
    for (int kh = 0; kh < g.kH(); kh++) {
      int row = corner + kh * g.inW();
      for (int kw = 0; kw < g.kW(); kw++) {
        float v = x[xs + row + kw];
        if (v == m || (nan && Float.isNaN(v))) {
          return row + kw;
        }
      }
    }
    throw new IllegalStateException("no window cell holds its maximum " + m);
  }

  /** L adjacent interior windows: the sum of their cells in row-major order, divided by kH·kW. */
  private static void avgVector(Pool2dGeometry g, float[] x, int xs, int corner, float[] y, int yi) {
    int sw = g.strideW();
    int[] map = STRIDES[sw];
    FloatVector sum = FloatVector.zero(S);
    for (int kh = 0; kh < g.kH(); kh++) {
      int row = xs + corner + kh * g.inW();
      for (int kw = 0; kw < g.kW(); kw++) {
        sum = sum.add(load(x, row + kw, sw, map));
      }
    }
    sum.div((float) (g.kH() * g.kW())).intoArray(y, yi);
  }

  private static FloatVector load(float[] x, int at, int stride, int[] map) {
    return stride == 1 ? FloatVector.fromArray(S, x, at) : FloatVector.fromArray(S, x, at, map, 0);
  }

  /** dst[len] = (accumulate ? dst : 0) + value. */
  private static void fill(float[] dst, int off, int len, float value, boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(dst, off, off + len, value);
      return;
    }
    int i = 0;
    for (; i <= len - L; i += L) {
      FloatVector.fromArray(S, dst, off + i).add(value).intoArray(dst, off + i);
    }
    for (; i < len; i++) {
      dst[off + i] += value;
    }
  }
}
