package dev.kiln.runtime.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API convolution (see {@link ConvKernels}): im2col into a per-thread buffer, then the GEMM
 * micro-kernels of {@link VectorKernels}; the forward pass of an ungrouped, unpadded stride-1
 * convolution instead runs the shifted-window direct kernel ({@link #shiftedSample}), which needs no
 * im2col matrix, and at inference may pool its tiles in cache ({@link #forwardPooled}); the input
 * gradient of an ungrouped stride-1 convolution runs in scatter form with 16 registers
 * ({@link #backwardInputScatter}) and as the shifted-window kernel on the transposed geometry with 32
 * ({@link #backwardInputShifted}). Loaded only when {@link Backend#VECTOR} is true.
 *
 * <p>Work split: the shifted forward runs one task per sample, or with fewer samples than threads one
 * task per thread over contiguous ranges of a sample's filters. The other forwards and the input
 * gradient run one task per sample (a GEMM called from inside a
 * task runs on that thread; with fewer samples than threads the GEMM itself is split over the pool,
 * in the forward pass only above {@link Parallelism#MIN_SPLIT_FLOPS_FRESH_OPERAND}). The weight
 * gradient runs one task per (group, block of im2col rows): each task owns those rows of dWᵀ, builds
 * only its rows of every sample's im2col matrix and adds the samples in order, so no two tasks write
 * the same element and the batch sum has one order for any thread count.
 */
final class VectorConvKernels {
  private static final VectorSpecies<Float> S = VectorShape.FLOAT;
  private static final int L = S.length();

  private static final int FORWARD = 0;
  private static final int BACKWARD_INPUT = 1;
  private static final int BACKWARD_PARAMS = 2;
  private static final int FORWARD_BLOCKS = 3;
  private static final int BACKWARD_PARAMS_IMPLICIT = 4;
  private static final int BACKWARD_INPUT_SHIFTED = 5;
  private static final int FORWARD_MAX_POOLED = 6;
  private static final int FORWARD_AVG_POOLED = 7;
  private static final int BACKWARD_INPUT_SCATTER = 8;

  /**
   * Per-thread buffers, grown and never shrunk: [0] im2col columns, [1] a task's dWᵀ rows, [2] the
   * implicit weight gradient's per-block partial sums (the caller's), [3] a task's transposed dy, [4] a
   * row of the partial sums' total, [5] the flipped weights of the shifted input gradient (the
   * caller's), [6] a task's zero-padded dy, [7] the packed weights of the scatter-form input gradient
   * (the caller's), [8] a task's input-gradient planes of the scatter form, [9] a task's packed tile of
   * input windows ({@link #shiftedTile4x2Packed}).
   */
  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[11][0]);

  private VectorConvKernels() {}

  static void forward(Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    forward(shiftedFor(g, n) && shifted(g), g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
  }

  /** {@link #forward} through im2col + GEMM (or the one-channel direct kernel) whatever g is: for tests. */
  static void forwardIm2col(Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    forward(false, g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
  }

  /**
   * Whether {@link #forwardPooled} fuses the convolution g with the pooling: the shifted-window kernel
   * takes g ({@link #shifted}; at every batch size, even where the unfused forward takes the one-channel
   * {@link #direct} kernel: FashionCnn's conv1 + pool1 at batch 128 on 16 registers took 1.6 ms fused
   * against 2.5 ms through the direct kernel and the pooling), its activation is applied in the tile
   * (RELU or none) with no pre-activation to save, the window is 2x2 at stride 2 without padding, and the
   * conv rows the pooling reads hold at least {@code 3·L} positions (see {@link #pooledSpan}).
   */
  static boolean fusesPooling(Conv2dGeometry g, Pool2dGeometry pool, Activation act, boolean savesPre) {
    return FUSE_POOLING && shifted(g) && !savesPre && (act == Activation.RELU || act == Activation.LINEAR)
        && VectorPoolKernels.is2x2Stride2(pool) && pooledSpan(g, pool) >= SHIFTED_VECTORS * L;
  }

  /** {@code -Dkiln.conv.fusePooling=false} runs fused calls as convolution then pooling (for measuring). */
  private static final boolean FUSE_POOLING = !"false".equals(System.getProperty("kiln.conv.fusePooling"));

  /**
   * {@code p = pool(act(conv(x, w) + b))} for a pair {@link #fusesPooling} accepts: the shifted-window
   * tiles of each block of filters are pooled straight from the per-thread tile buffer into p (with
   * the max pooling's winners into argmax when it is not null), so the convolution's output is never
   * stored, and the convolution rows and columns no window reads
   * are not computed. Split over the threads as {@link #forward} splits the shifted kernel.
   */
  static void forwardPooled(boolean max, Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff,
      float[] w, int wOff, float[] b, int bOff, Activation act, float[] p, int pOff, int[] argmax, int argOff) {
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(max ? FORWARD_MAX_POOLED : FORWARD_AVG_POOLED, g, n, x, xOff, w, wOff, b, bOff, act, 0f, p, pOff,
          null, 0, false, 0);
      job.pool = pool;
      job.argmax = argmax;
      job.argOff = argOff;
      job.blocks = shiftedBlocks(g);
      if (Parallelism.worthSplitting(g.flops(n), false)) {
        job.parts = Math.max(1, Math.min(job.blocks, Parallelism.threads() / n));
        Parallelism.forEach(n * job.parts, job);
      } else {
        job.parts = 1;
        Parallelism.runOnCaller(n, job);
      }
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  private static void forward(boolean shifted, Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff,
      float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(FORWARD, g, n, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff, false, 0);
      if (shifted) {
        // The shifted-window kernel at every batch size: a worker reads only its samples' input, not a
        // freshly written im2col matrix, and it was faster than im2col + GEMM at FashionCnn's shapes
        // at batch 1 and 128 (CnnKernelTimes: conv2 at batch 128 4.2 -> 2.5 ms on 2 threads).
        job.mode = FORWARD_BLOCKS;
        job.blocks = shiftedBlocks(g);
        if (Parallelism.worthSplitting(g.flops(n), false)) {
          // With fewer samples than threads a sample is split into contiguous ranges of its filter
          // blocks, one task per thread: with as many tasks as threads the pool pins task w to worker
          // w, so a core computes the same filters (and keeps their weights in its cache) call after
          // call, and a following pooling split the same way (VectorPoolKernels) reads the planes its
          // own core wrote. Larger batches run one task per sample.
          job.parts = Math.max(1, Math.min(job.blocks, Parallelism.threads() / n));
          Parallelism.forEach(n * job.parts, job);
        } else {
          job.parts = 1;
          Parallelism.runOnCaller(n, job);
        }
      } else if (n < Parallelism.threads() && !Parallelism.worthSplitting(g.flops(n), !g.pointwise())) {
        // The sample's GEMM would be split by columns over the im2col matrix this thread just wrote.
        Parallelism.runOnCaller(n, job);
      } else {
        Parallelism.forEach(n, job);
      }
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  static void backwardInput(Conv2dGeometry g, int n, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    if (SCATTER_DX && scatterInputGradient(g)) {
      backwardInputScatter(g, n, dy, dyOff, w, wOff, dx, dxOff, accumulate);
      return;
    }
    if (SHIFTED_DX && shiftedInputGradient(g)) {
      backwardInputShifted(g, n, dy, dyOff, w, wOff, dx, dxOff, accumulate);
      return;
    }
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(BACKWARD_INPUT, g, n, dx, dxOff, w, wOff, null, 0, Activation.LINEAR, 0f, dy, dyOff, null, 0,
          accumulate, 0);
      Parallelism.forEach(n, job);
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  static void backwardParams(Conv2dGeometry g, int n, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    if (n == 0) {
      return;
    }
    if (IMPLICIT_DW && implicitWeightGradient(g)) {
      backwardParamsImplicit(g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff);
      return;
    }
    // Enough row blocks per group that every thread has work; a block is a whole number of 4-row tiles.
    int rows = g.patchSize();
    int blocks = Math.max(1, Math.min((rows + 3) / 4, (Parallelism.threads() + g.groups() - 1) / g.groups()));
    int blockRows = ((rows + blocks - 1) / blocks + 3) / 4 * 4;
    blocks = (rows + blockRows - 1) / blockRows;
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(BACKWARD_PARAMS, g, n, x, xOff, dw, dwOff, db, dbOff, Activation.LINEAR, 0f, dy, dyOff, null, 0,
          false, blockRows);
      job.blocks = blocks;
      Parallelism.forEach(g.groups() * blocks, job);
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  /** One convolution pass as a reusable task (see {@link Parallelism.TaskCache}); fields named for forward. */
  private static final class ConvJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<ConvJob> CACHE = new Parallelism.TaskCache<>(ConvJob::new);
    private int mode, n, xOff, wOff, bOff, yOff, zOff, blockRows, blocks, parts, argOff;
    private Conv2dGeometry g, transposed;
    /** The pooling of the fused forward modes (y is then the pooled output). */
    private Pool2dGeometry pool;
    /** The fused max pooling's winners in training, else null. */
    private int[] argmax;
    /** The fused max pooling's gradient (backward), else null. */
    private float[] pooledGrad;
    private int pooledGradOff;
    private float[] x, w, b, y, z;
    private Activation act;
    private float alpha;
    private boolean accumulate;

    @Override
    public void clear() {
      g = transposed = null;
      pool = null;
      argmax = null;
      pooledGrad = null;
      x = w = b = y = z = null;
    }

    void set(int mode, Conv2dGeometry g, int n, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
        Activation act, float alpha, float[] y, int yOff, float[] z, int zOff, boolean accumulate, int blockRows) {
      this.mode = mode;
      this.g = g;
      this.n = n;
      this.x = x;
      this.xOff = xOff;
      this.w = w;
      this.wOff = wOff;
      this.b = b;
      this.bOff = bOff;
      this.act = act;
      this.alpha = alpha;
      this.y = y;
      this.yOff = yOff;
      this.z = z;
      this.zOff = zOff;
      this.accumulate = accumulate;
      this.blockRows = blockRows;
    }

    @Override
    public void run(int task) {
      switch (mode) {
        case FORWARD -> forwardSample(g, task, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff);
        case FORWARD_BLOCKS -> shiftedSample(g, null, false, task / parts, task % parts * blocks / parts,
            (task % parts + 1) * blocks / parts, x, xOff, w, wOff, b, bOff, act, alpha, y, yOff, z, zOff, null, 0);
        case FORWARD_MAX_POOLED, FORWARD_AVG_POOLED -> shiftedSample(g, pool, mode == FORWARD_MAX_POOLED,
            task / parts, task % parts * blocks / parts, (task % parts + 1) * blocks / parts, x, xOff, w, wOff, b,
            bOff, act, alpha, y, yOff, null, 0, argmax, argOff);
        // x: dx, y: dy
        case BACKWARD_INPUT -> backwardInputSample(g, task, y, yOff, w, wOff, x, xOff, accumulate);
        // x: dx, y: dy, w: the flipped weights
        case BACKWARD_INPUT_SHIFTED ->
            backwardInputShiftedSample(g, transposed, task, y, yOff, w, x, xOff, accumulate);
        // x: dx, y: dy, w: the packed weights
        case BACKWARD_INPUT_SCATTER -> backwardInputScatterSample(g, task, y, yOff, w, x, xOff, accumulate);
        // w: the per-block partial sums, y: dy, blockRows: the kind
        case BACKWARD_PARAMS_IMPLICIT ->
            backwardParamsSamples(g, n, task, blockRows, x, xOff, y, yOff, w, pool == null ? null : this);
        // w: dw, b: db, y: dy
        default -> backwardParamsBlock(g, n, task / blocks, task % blocks, blockRows, x, xOff, y, yOff,
            w, wOff, b, bOff);
      }
    }
  }

  /** Sample s: per group {@code t[outC/g, OHW] = b + W·col}, then y = act(t) over the whole sample. */
  private static void forwardSample(Conv2dGeometry g, int s, float[] x, int xOff, float[] w, int wOff,
      float[] b, int bOff, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    int ohw = g.outH() * g.outW(), inHw = g.inH() * g.inW();
    int cin = g.groupInC(), cout = g.groupOutC(), ckk = g.patchSize();
    float[] t = z != null ? z : y;
    int ts = (z != null ? zOff : yOff) + s * g.outSize();
    int xs = xOff + s * g.inSize();
    if (DIRECT && direct(g)) {
      directForward(g, x, xs, w, wOff, b, bOff, t, ts);
    } else {
      for (int grp = 0; grp < g.groups(); grp++) {
        float[] cols = x;
        int colsOff = xs + grp * cin * inHw;
        if (!g.pointwise()) {
          cols = scratch(0, ckk * ohw);
          im2col(g, x, colsOff, 0, ckk, cols);
          colsOff = 0;
        }
        int to = ts + grp * cout * ohw;
        if (b != null) {
          for (int o = 0; o < cout; o++) {
            Arrays.fill(t, to + o * ohw, to + (o + 1) * ohw, b[bOff + grp * cout + o]);
          }
        }
        VectorKernels.gemmNn(cout, ohw, ckk, w, wOff + grp * cout * ckk, cols, colsOff, t, to, b != null);
      }
    }
    if (act != Activation.LINEAR || z != null) {
      int size = g.outSize();
      VectorKernels.forwardTile(act, alpha, t, ts, y, yOff + s * g.outSize(), 1, size, size);
    }
  }

  /** Direct forward for one-channel 3x3 kernels; {@code -Dkiln.conv.im2col=true} keeps im2col+GEMM (for measuring). */
  private static final boolean DIRECT = !Boolean.getBoolean("kiln.conv.im2col");

  /**
   * Whether {@link #directForward} takes g: one input channel, 3x3, stride and dilation 1, no padding,
   * rows at least one vector wide (FashionCnn's conv1, where im2col's GEMM has k = 9).
   */
  static boolean direct(Conv2dGeometry g) {
    return g.groups() == 1 && g.inC() == 1 && g.kH() == 3 && g.kW() == 3 && g.strideH() == 1 && g.strideW() == 1
        && g.dilationH() == 1 && g.dilationW() == 1
        && g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0 && g.outW() >= L;
  }

  /**
   * {@code t[o, i, j] = (b[o] or 0) + Σ_{kh,kw} w[o, kh, kw]·x[i+kh, j+kw]}, one sample, FMAs in the
   * patch's row-major order, the nine weights of a channel held in registers while it sweeps the plane.
   * Each output row is covered by whole vectors at columns 0, L, 2L, ... and a last one at outW - L that
   * may overlap its neighbour (it recomputes the same values in the same order, so the overlap writes
   * equal floats); no masks.
   */
  private static void directForward(Conv2dGeometry g, float[] x, int xs, float[] w, int wOff, float[] b, int bOff,
      float[] t, int ts) {
    int oh = g.outH(), ow = g.outW(), inW = g.inW();
    for (int o = 0; o < g.outC(); o++) {
      int wo = wOff + 9 * o;
      FloatVector w0 = FloatVector.broadcast(S, w[wo]), w1 = FloatVector.broadcast(S, w[wo + 1]),
          w2 = FloatVector.broadcast(S, w[wo + 2]), w3 = FloatVector.broadcast(S, w[wo + 3]),
          w4 = FloatVector.broadcast(S, w[wo + 4]), w5 = FloatVector.broadcast(S, w[wo + 5]),
          w6 = FloatVector.broadcast(S, w[wo + 6]), w7 = FloatVector.broadcast(S, w[wo + 7]),
          w8 = FloatVector.broadcast(S, w[wo + 8]);
      FloatVector bias = FloatVector.broadcast(S, b == null ? 0f : b[bOff + o]);
      int to = ts + o * oh * ow;
      for (int i = 0; i < oh; i++) {
        int r0 = xs + i * inW, yr = to + i * ow;
        for (int j0 = 0; j0 < ow; j0 += L) {
          int j = Math.min(j0, ow - L), p = r0 + j;
          FloatVector acc = FloatVector.fromArray(S, x, p).fma(w0, bias);
          acc = FloatVector.fromArray(S, x, p + 1).fma(w1, acc);
          acc = FloatVector.fromArray(S, x, p + 2).fma(w2, acc);
          acc = FloatVector.fromArray(S, x, p + inW).fma(w3, acc);
          acc = FloatVector.fromArray(S, x, p + inW + 1).fma(w4, acc);
          acc = FloatVector.fromArray(S, x, p + inW + 2).fma(w5, acc);
          acc = FloatVector.fromArray(S, x, p + 2 * inW).fma(w6, acc);
          acc = FloatVector.fromArray(S, x, p + 2 * inW + 1).fma(w7, acc);
          acc = FloatVector.fromArray(S, x, p + 2 * inW + 2).fma(w8, acc);
          acc.intoArray(t, yr + j);
        }
      }
    }
  }

  /**
   * {@code -Dkiln.conv.shifted=true|false}: the shifted-window direct forward on or off for every batch
   * and geometry it takes (for measuring), or null: Kiln chooses ({@link #shiftedFor}).
   */
  private static final Boolean SHIFTED_FORCED = forced("kiln.conv.shifted");

  /**
   * Whether a forward of g over n samples takes the shifted-window kernels (when they take g): always
   * with 32 registers; with 16 (the {@link #shiftedTile4x2} tile) at batch 1, where the forward is fused
   * with a following pooling, and at any batch unless the one-channel {@link #direct} kernel takes g.
   * Measured on the Zen 3 machine (AVX2, 2 threads, 2026-12-07) with {@code PairedAb} (the settings
   * loaded in one JVM, alternating samples; {@code -XX:ObjectAlignmentInBytes=64}; 30 pairs, the
   * baseline loaded twice): FashionCnn's conv2 at batch 128 ran 1.064x (quartiles 1.017-1.119) as fast as
   * im2col + GEMM, whose second copy read 0.980x (0.860-1.041); its conv1 0.875x (0.846-0.910; no second
   * copy) as fast as the direct kernel. (The 4x3 tile the 4x2 one replaced spilled on 16 registers: conv2
   * took 13.6 ms a batch of 128 against 7.0 through GEMM, {@code CnnTrainPhases 30 2}.)
   */
  private static boolean shiftedFor(Conv2dGeometry g, int n) {
    return SHIFTED_FORCED != null ? SHIFTED_FORCED : VectorShape.REGISTERS >= 32 || n == 1 || !direct(g);
  }

  /** {@code -Dproperty} when it is set (true unless "false"), else null: Kiln chooses. */
  private static Boolean forced(String property) {
    String v = System.getProperty(property);
    return v == null || v.isBlank() ? null : !"false".equals(v.trim());
  }

  /**
   * Filters per register tile of the shifted-window kernels, chosen once from the register file: 8
   * ({@link #shiftedTile8}: 24 accumulators, 3 input vectors and a broadcast weight, 28 of 32
   * registers) where the JIT addresses 32 vector registers, else 4 ({@link #shiftedTile4x2}: 8
   * accumulators, 14 of 16 registers; see {@link #TILE4X2}). {@code -Dkiln.conv.tileFilters=4} keeps the
   * 4-filter tiles on 32 registers (for measuring). Channels left over after whole tiles take one
   * 4-filter tile (with 8-filter tiles) and then single filters ({@link #shiftedTile1}).
   *
   * <p>Why the first 8x3 tile (written like {@link #shiftedTile4x3}) was 8x slower at FashionCnn's
   * conv2, found with {@code -XX:+PrintInlining} and the C2 code disassembled (2026-12-07, JDK 25):
   * <ol>
   *   <li>Inlining budget: every Vector API call parses to many IR nodes before they fold (index
   *       checks, species checks, the intrinsic), and C2 stops inlining once a compilation holds
   *       {@code NodeCountInliningCutoff} (18,000, a develop flag: not settable in a product JVM) nodes.
   *       8 bias broadcasts + 3 loads + 8 weight broadcasts + 24 FMAs + 8 calls of {@link #store3}
   *       (3 max + 3 stores each) passed it: the last six {@code store3} calls were "failed to inline:
   *       NodeCountInliningCutoff", so their 18 accumulators were boxed as heap objects. The
   *       bytecode limits (DesiredMethodLimit, InlineSmallCode, MaxNodeLimit) were not what hit.
   *       Rule: count the Vector API call sites of a kernel method (not its bytecodes); keep them near
   *       70 or below; store accumulators with plain {@code intoArray} calls and apply the activation
   *       in a later pass rather than per accumulator; do not move accumulator stores into helpers.
   *   <li>Spills: with everything inlined the tile still ran at half the speed of the 4-filter one.
   *       C2 fully unrolls a loop with a constant trip count of 3 (the taps of a kernel row), and
   *       with 72 FMAs in one block it hoisted the weight broadcasts of later taps and spilled
   *       accumulators to the stack (300 zmm moves to and from [rsp] in the method). One flat loop
   *       over the patch entries, each entry's input offset read from a per-geometry table
   *       ({@link #tapOffsets}), keeps the body to one tap: no spills in the loop (24 vfmadd231ps,
   *       3 vmovups, 8 vbroadcastss from memory, no unrolling), and the tile beat the 4-filter one.
   * </ol>
   * The same holds for any kernel with more than 12 vector accumulators (GEMM, recurrent, attention).
   */
  static final int SHIFTED_FILTERS = tileFilters();

  private static int tileFilters() {
    int forced = VectorShape.forcedChoice("kiln.conv.tileFilters", 4, 8);
    return forced != 0 ? forced : VectorShape.REGISTERS >= 32 ? 8 : 4;
  }

  private static final int SHIFTED_VECTORS = 3;

  /**
   * Whether {@link #shiftedSample} takes g: one group, stride 1, unpadded (any kernel size, channel
   * count and dilation), and at least {@code 3·L} output positions in the row-strided numbering below
   * (FashionCnn's two convolutions).
   */
  static boolean shifted(Conv2dGeometry g) {
    return g.groups() == 1 && g.strideH() == 1 && g.strideW() == 1
        && g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0
        && shiftedSpan(g) >= SHIFTED_VECTORS * L;
  }

  /** Output positions {@code q = i·inW + j} from (0, 0) to (outH-1, outW-1), row-strided like the input. */
  private static int shiftedSpan(Conv2dGeometry g) {
    return (g.outH() - 1) * g.inW() + g.outW();
  }

  /**
   * The positions of {@link #shiftedSpan} that a 2x2 stride-2 unpadded pooling reads: up to row
   * {@code 2·poolOutH - 1} and column {@code 2·poolOutW - 1} (a last odd row or column is never read).
   */
  private static int pooledSpan(Conv2dGeometry g, Pool2dGeometry pool) {
    return (2 * pool.outH() - 1) * g.inW() + 2 * pool.outW();
  }

  /** Blocks of filters of {@link #shiftedSample}: see {@link #blockStart}. */
  static int shiftedBlocks(Conv2dGeometry g) {
    return blocks(g.outC());
  }

  /**
   * Blocks of {@code channels} filters: whole tiles of {@link #SHIFTED_FILTERS}, then (with 8-filter
   * tiles) one tile of 4 if 4 or more are left, then one filter per block.
   */
  private static int blocks(int channels) {
    int full = channels / SHIFTED_FILTERS, rest = channels % SHIFTED_FILTERS;
    return full + rest / 4 + rest % 4;
  }

  /** The first filter of block blk of {@link #blocks}. */
  private static int blockStart(int channels, int blk) {
    int full = channels / SHIFTED_FILTERS, fours = channels % SHIFTED_FILTERS / 4;
    if (blk <= full) {
      return blk * SHIFTED_FILTERS;
    }
    return full * SHIFTED_FILTERS + 4 * Math.min(blk - full, fours) + Math.max(0, blk - full - fours);
  }

  /** Filters in block blk of {@link #blocks}: {@link #SHIFTED_FILTERS}, 4 or 1. */
  private static int blockFilters(int channels, int blk) {
    int full = channels / SHIFTED_FILTERS, fours = channels % SHIFTED_FILTERS / 4;
    return blk < full ? SHIFTED_FILTERS : blk < full + fours ? 4 : 1;
  }

  /**
   * Filter blocks [blk0, blk1) of sample s: {@code t[o, i, j] = (b[o] or 0) + Σ_{c,kh,kw} w[o, c, kh, kw]·
   * x[c, i + kh·dH, j + kw·dW]}, FMAs in the patch's row-major order (im2col's order), without an
   * im2col matrix. With output positions numbered {@code q = i·inW + j} (the input's row stride), the
   * input element of patch entry (c, kh, kw) is at {@code c·inH·inW + kh·dH·inW + kw·dW + q}: one
   * contiguous vector load per patch entry and vector of positions, and the weight a broadcast. The
   * positions j >= outW between rows are computed and dropped; the last tile of positions is moved back
   * to end at the span's end (it recomputes equal values in the same order), so no masks and no read
   * past the sample. Each tile is stored row-strided in a per-thread buffer (ReLU applied on the way
   * when there is no z to save), then its rows are copied out; or, with a {@code pool} (the fused
   * inference call, y then being the pooled output), each filter's plane is pooled from the buffer
   * and only the positions the pooling reads are computed.
   */
  private static void shiftedSample(Conv2dGeometry g, Pool2dGeometry pool, boolean max, int s, int blk0, int blk1,
      float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activation act, float alpha, float[] y, int yOff,
      float[] z, int zOff, int[] argmax, int argOff) {
    int span = pool == null ? shiftedSpan(g) : pooledSpan(g, pool), ohw = g.outH() * g.outW();
    boolean fuseRelu = act == Activation.RELU && z == null;
    float[] t = z != null ? z : y;
    int ts = (z != null ? zOff : yOff) + s * g.outSize();
    int xs = xOff + s * g.inSize();
    int channels = g.outC();
    int[] taps = tapOffsets(g);
    // With 4-filter tiles the whole blocks go through packed tiles, and only single filters (the channels
    // past the last multiple of 4) block by block.
    int packedEnd = SHIFTED_FILTERS == 4 && TILE4X2 ? Math.max(blk0, Math.min(blk1, channels / 4)) : blk0;
    if (packedEnd > blk0) {
      packedSample(g, pool, max, s, blk0, packedEnd, x, xs, w, wOff, b, bOff, fuseRelu, t, ts, y, yOff, argmax, argOff,
          span, taps);
    }
    if (blk1 > packedEnd) {
      float[] buf = scratch(0, SHIFTED_FILTERS * span + L); // + L: copyRows reads up to a vector past a row
      blockSamples(g, pool, max, s, packedEnd, blk1, x, xs, w, wOff, b, bOff, fuseRelu, t, ts, y, yOff, argmax, argOff,
          span, taps, buf);
    }
    if (pool != null) {
      return;
    }
    if ((act != Activation.LINEAR && !fuseRelu) || z != null) {
      // Only the blocks' filters: other tasks own the other filters of this sample.
      int o0 = blockStart(channels, blk0), o1 = blockStart(channels, blk1);
      VectorKernels.forwardTile(act, alpha, t, ts + o0 * ohw, y, yOff + s * g.outSize() + o0 * ohw, 1,
          (o1 - o0) * ohw, (o1 - o0) * ohw);
    }
  }

  /**
   * {@link #shiftedSample}'s filter blocks [blk0, blk1), all of 4 filters, by tiles of 2·L positions: each
   * tile's input windows (one 2·L-float window per patch entry) are copied once into a packed buffer,
   * then every block's {@link #shiftedTile4x2Packed} reads them at a constant stride, without the offset
   * table and the two range checks per patch entry of {@link #shiftedTile4x2}. The same FMAs in the same
   * order, so bitwise the same output; the blocks' sums go into one buffer of {@code (blk1-blk0)·4}
   * planes, then are copied out (or pooled) as in {@link #blockSamples}. Against the offset-table loop
   * it replaced ({@code PairedAb} on the Zen 3 machine, 2026-12-07, one JVM, the baseline loaded twice,
   * {@code -XX:ObjectAlignmentInBytes=64}), FashionCnn's conv2 forward: batch 128 1.18x (1 thread,
   * quartiles 1.16-1.23) and 1.19x (2 threads, 1.11-1.29), batch 1 1.11x and 1.08x (1.07-1.12); the
   * baseline's copy 0.98-1.06x.
   */
  private static void packedSample(Conv2dGeometry g, Pool2dGeometry pool, boolean max, int s, int blk0, int blk1,
      float[] x, int xs, float[] w, int wOff, float[] b, int bOff, boolean fuseRelu, float[] t, int ts, float[] y,
      int yOff, int[] argmax, int argOff, int span, int[] taps) {
    int ckk = g.patchSize(), tile = 2 * L;
    int filters = 4 * (blk1 - blk0);
    float[] buf = scratch(0, filters * span + L); // + L: copyRows reads up to a vector past a row
    for (int q0 = 0; q0 < span; q0 += tile) {
      // The last tile is moved back to end at the span's end.
      int q = Math.min(q0, span - tile);
      float[] packed = packTile(taps, ckk, x, xs + q);
      for (int blk = blk0; blk < blk1; blk++) {
        int o0 = 4 * blk;
        shiftedTile4x2Packed(packed, ckk, w, wOff + o0 * ckk, b, bOff + o0, fuseRelu, buf,
            4 * (blk - blk0) * span + q, span);
      }
    }
    planesOut(g, pool, max, s, 4 * blk0, filters, buf, span, false, t, ts, y, yOff, argmax, argOff);
  }

  /**
   * Filters [o0, o0 + filters) of sample s out of buf, where they lie a filter every span floats with
   * rows g.inW() apart: their rows copied to t (ReLU on the way when {@code relu}), or, with a pool (the
   * fused call, y then being the pooled output), each plane pooled into y: without argmax with ReLU
   * after the max (bitwise the max of the rectified cells, as max commutes with ReLU), with argmax (the
   * max pooling's winners, in training) from cells already rectified, as the unfused pooling reads them.
   */
  private static void planesOut(Conv2dGeometry g, Pool2dGeometry pool, boolean max, int s, int o0, int filters,
      float[] buf, int span, boolean relu, float[] t, int ts, float[] y, int yOff, int[] argmax, int argOff) {
    int ohw = g.outH() * g.outW();
    int pohw = pool == null ? 0 : pool.outH() * pool.outW();
    // With argmax each plane is copied out to a contiguous one first (in the core's cache): the argmax
    // loop indexes the plane as the pooling's input tensor lays it out, and a second, row-strided set of
    // offsets in that loop made it 1.6-2x slower (mispredicted branches instead of conditional moves).
    // + 2L: the compact argmax reads up to L floats past the plane.
    float[] plane = max && argmax != null ? scratch(1, ohw + 2 * L) : null;
    for (int f = 0; f < filters; f++) {
      if (pool == null) {
        copyRows(buf, f * span, g.inW(), t, ts + (o0 + f) * ohw, g.outH(), g.outW(), relu);
        continue;
      }
      int yo = s * pool.outSize() + (o0 + f) * pohw;
      if (plane != null) {
        copyRows(buf, f * span, g.inW(), plane, 0, g.outH(), g.outW(), false);
        int base = (o0 + f) * ohw;
        VectorPoolKernels.maxPlane2x2(pool, plane, -base, base, y, yOff + yo, argmax, argOff + yo);
      } else if (max) {
        VectorPoolKernels.max2x2Plane(pool, relu, buf, f * span, g.inW(), y, yOff + yo);
      } else {
        VectorPoolKernels.avg2x2Plane(pool, buf, f * span, g.inW(), y, yOff + yo);
      }
    }
  }

  /**
   * {@link #shiftedTile4x2} on a tile packed by {@link #packTile}: patch entry r's two input vectors at
   * {@code packed[2L·r]}, read at a constant stride (C2 hoists their range checks out of the loop).
   */
  private static void shiftedTile4x2Packed(float[] packed, int ckk, float[] w, int wo, float[] b, int bo,
      boolean relu, float[] buf, int q, int span) {
    FloatVector a00 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 0]), a01 = a00;
    FloatVector a10 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 1]), a11 = a10;
    FloatVector a20 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 2]), a21 = a20;
    FloatVector a30 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 3]), a31 = a30;
    for (int r = 0, p = 0, k = wo; r < ckk; r++, p += 2 * L, k++) {
      FloatVector x0 = FloatVector.fromArray(S, packed, p), x1 = FloatVector.fromArray(S, packed, p + L);
      FloatVector w0 = FloatVector.broadcast(S, w[k]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      FloatVector w1 = FloatVector.broadcast(S, w[k + ckk]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      FloatVector w2 = FloatVector.broadcast(S, w[k + 2 * ckk]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      FloatVector w3 = FloatVector.broadcast(S, w[k + 3 * ckk]);
      a30 = x0.fma(w3, a30);
      a31 = x1.fma(w3, a31);
    }
    store2(a00, a01, relu, buf, q);
    store2(a10, a11, relu, buf, q + span);
    store2(a20, a21, relu, buf, q + 2 * span);
    store2(a30, a31, relu, buf, q + 3 * span);
  }

  /** {@link #shiftedSample}'s filter blocks [blk0, blk1) one block at a time, through buf. */
  private static void blockSamples(Conv2dGeometry g, Pool2dGeometry pool, boolean max, int s, int blk0, int blk1,
      float[] x, int xs, float[] w, int wOff, float[] b, int bOff, boolean fuseRelu, float[] t, int ts, float[] y,
      int yOff, int[] argmax, int argOff, int span, int[] taps, float[] buf) {
    int channels = g.outC();
    for (int blk = blk0; blk < blk1; blk++) {
      int o0 = blockStart(channels, blk), filters = blockFilters(channels, blk);
      // The 8-filter tile stores its sums as they are; ReLU is then applied on the way out of buf.
      boolean reluAfter = fuseRelu && filters == 8;
      if (filters == 4 && TILE4X2) {
        // Two vectors of positions per tile; the last tile is moved back to end at the span's end.
        for (int q0 = 0; q0 < span; q0 += 2 * L) {
          int q = Math.min(q0, span - 2 * L);
          shiftedTile4x2(g, taps, x, xs + q, w, wOff + o0 * g.patchSize(), b, bOff + o0, fuseRelu, buf, q, span);
        }
      } else {
        for (int q0 = 0; q0 < span; q0 += SHIFTED_VECTORS * L) {
          int q = Math.min(q0, span - SHIFTED_VECTORS * L);
          boolean threeTaps = filters == 4 && THREE_TAPS && g.kW() == 3 && g.dilationW() == 1;
          if (filters == 8 && span - q0 <= 2 * L) {
            // The last positions fit two vectors: two 4x2 tiles (filters 0-3 and 4-7; ReLU, if any, comes
            // out of buf as for the 8-filter tile) instead of moving a 3-vector tile back.
            int ckk = g.patchSize(), at = span - 2 * L;
            shiftedTile4x2(g, taps, x, xs + at, w, wOff + o0 * ckk, b, bOff + o0, false, buf, at, span);
            shiftedTile4x2(g, taps, x, xs + at, w, wOff + (o0 + 4) * ckk, b, bOff + o0 + 4, false, buf,
                at + 4 * span, span);
          } else if (filters == 8) {
            shiftedTile8(g, taps, x, xs + q, w, wOff + o0 * g.patchSize(), b, bOff + o0, buf, q, span);
          } else if (threeTaps && span - q0 <= 2 * L) {
            // The last positions fit two vectors: a narrower tile instead of moving a 3-vector one back.
            shiftedTile4x2(g, taps, x, xs + span - 2 * L, w, wOff + o0 * g.patchSize(), b, bOff + o0, fuseRelu, buf,
                span - 2 * L, span);
          } else if (threeTaps) {
            shiftedTile4x3(g, x, xs + q, w, wOff + o0 * g.patchSize(), b, bOff + o0, fuseRelu, buf, q, span);
          } else if (filters == 4) {
            shiftedTile4(g, x, xs + q, w, wOff + o0 * g.patchSize(), b, bOff + o0, fuseRelu, buf, q, span);
          } else {
            shiftedTile1(g, x, xs + q, w, wOff + o0 * g.patchSize(), b, bOff + o0, fuseRelu, buf, q);
          }
        }
      }
      // Average pooling, and a max pooling's argmax, read the rectified cells: the buffer is rectified first.
      boolean rectify = reluAfter && pool != null && (!max || argmax != null);
      if (rectify) {
        reluInPlace(buf, filters * span);
      }
      planesOut(g, pool, max, s, o0, filters, buf, span, reluAfter && !rectify, t, ts, y, yOff, argmax, argOff);
    }
  }

  /**
   * {@code t[to + i·ow + j] = buf[from + i·stride + j]} for the rows i < oh and columns j < ow of one
   * output plane, by whole vectors: a row's last vector may run past the row's end into the next
   * row, which is written after it, so every float ends up right; only where a vector would pass the
   * plane's end (the last rows) the rest of the row is copied one float at a time. Reads up to L - 1
   * floats past a row's end in buf. (A System.arraycopy per row cost more than the convolution
   * itself for FashionCnn's conv1 at batch 1: 832 copies of 26 floats.)
   */
  private static void copyRows(float[] buf, int from, int stride, float[] t, int to, int oh, int ow, boolean relu) {
    int end = oh * ow;
    for (int i = 0; i < oh; i++) {
      int src = from + i * stride, dst = i * ow;
      int j = 0;
      if (relu) {
        for (; j < ow && dst + j + L <= end; j += L) {
          FloatVector.fromArray(S, buf, src + j).max(0f).intoArray(t, to + dst + j);
        }
        for (; j < ow; j++) {
          t[to + dst + j] = Math.max(buf[src + j], 0f);
        }
      } else {
        for (; j < ow && dst + j + L <= end; j += L) {
          FloatVector.fromArray(S, buf, src + j).intoArray(t, to + dst + j);
        }
        for (; j < ow; j++) {
          t[to + dst + j] = buf[src + j];
        }
      }
    }
  }

  /** {@code buf[0, len) = max(buf, 0)}, as the tiles' {@code max(0f)} (len a multiple of L is not needed). */
  private static void reluInPlace(float[] buf, int len) {
    int i = 0;
    for (; i <= len - L; i += L) {
      FloatVector.fromArray(S, buf, i).max(0f).intoArray(buf, i);
    }
    for (; i < len; i++) {
      buf[i] = Math.max(buf[i], 0f);
    }
  }

  /** One filter, three vectors of positions from x[xq], stored at buf[q]. */
  private static void shiftedTile1(Conv2dGeometry g, float[] x, int xq, float[] w, int wo, float[] b, int bo,
      boolean relu, float[] buf, int q) {
    int inHw = g.inH() * g.inW(), rowStep = g.dilationH() * g.inW(), dw = g.dilationW();
    FloatVector a0 = FloatVector.broadcast(S, b == null ? 0f : b[bo]), a1 = a0, a2 = a0;
    int r = wo;
    for (int c = 0; c < g.inC(); c++) {
      for (int kh = 0; kh < g.kH(); kh++) {
        int p = xq + c * inHw + kh * rowStep;
        for (int kw = 0; kw < g.kW(); kw++, r++, p += dw) {
          FloatVector wv = FloatVector.broadcast(S, w[r]);
          a0 = FloatVector.fromArray(S, x, p).fma(wv, a0);
          a1 = FloatVector.fromArray(S, x, p + L).fma(wv, a1);
          a2 = FloatVector.fromArray(S, x, p + 2 * L).fma(wv, a2);
        }
      }
    }
    if (relu) {
      a0 = a0.max(0f);
      a1 = a1.max(0f);
      a2 = a2.max(0f);
    }
    a0.intoArray(buf, q);
    a1.intoArray(buf, q + L);
    a2.intoArray(buf, q + 2 * L);
  }

  /** Four filters (weights ckk apart), three vectors of positions; buf holds a filter every span floats. */
  private static void shiftedTile4(Conv2dGeometry g, float[] x, int xq, float[] w, int wo, float[] b, int bo,
      boolean relu, float[] buf, int q, int span) {
    int inHw = g.inH() * g.inW(), rowStep = g.dilationH() * g.inW(), dw = g.dilationW(), ckk = g.patchSize();
    FloatVector a00 = FloatVector.broadcast(S, b == null ? 0f : b[bo]), a01 = a00, a02 = a00;
    FloatVector a10 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 1]), a11 = a10, a12 = a10;
    FloatVector a20 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 2]), a21 = a20, a22 = a20;
    FloatVector a30 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 3]), a31 = a30, a32 = a30;
    int r = wo;
    for (int c = 0; c < g.inC(); c++) {
      for (int kh = 0; kh < g.kH(); kh++) {
        int p = xq + c * inHw + kh * rowStep;
        for (int kw = 0; kw < g.kW(); kw++, r++, p += dw) {
          FloatVector x0 = FloatVector.fromArray(S, x, p), x1 = FloatVector.fromArray(S, x, p + L),
              x2 = FloatVector.fromArray(S, x, p + 2 * L);
          FloatVector wv = FloatVector.broadcast(S, w[r]);
          a00 = x0.fma(wv, a00);
          a01 = x1.fma(wv, a01);
          a02 = x2.fma(wv, a02);
          wv = FloatVector.broadcast(S, w[r + ckk]);
          a10 = x0.fma(wv, a10);
          a11 = x1.fma(wv, a11);
          a12 = x2.fma(wv, a12);
          wv = FloatVector.broadcast(S, w[r + 2 * ckk]);
          a20 = x0.fma(wv, a20);
          a21 = x1.fma(wv, a21);
          a22 = x2.fma(wv, a22);
          wv = FloatVector.broadcast(S, w[r + 3 * ckk]);
          a30 = x0.fma(wv, a30);
          a31 = x1.fma(wv, a31);
          a32 = x2.fma(wv, a32);
        }
      }
    }
    store3(a00, a01, a02, relu, buf, q);
    store3(a10, a11, a12, relu, buf, q + span);
    store3(a20, a21, a22, relu, buf, q + 2 * span);
    store3(a30, a31, a32, relu, buf, q + 3 * span);
  }

  /**
   * Eight filters (weights ckk apart), three vectors of positions from x[xq], stored at buf[q] and a
   * filter every span floats after it, without an activation (the caller applies ReLU on the way out
   * of buf): the tile for 32 registers. One flat loop over the patch entries, each entry's input
   * offset from {@link #tapOffsets}, so each output sums the entries in the patch's row-major order as
   * the other tiles do (see {@link #SHIFTED_FILTERS} for why it is written this way).
   */
  private static void shiftedTile8(Conv2dGeometry g, int[] taps, float[] x, int xq, float[] w, int wo, float[] b,
      int bo, float[] buf, int q, int span) {
    int ckk = g.patchSize();
    FloatVector a00 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 0]), a01 = a00, a02 = a00;
    FloatVector a10 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 1]), a11 = a10, a12 = a10;
    FloatVector a20 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 2]), a21 = a20, a22 = a20;
    FloatVector a30 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 3]), a31 = a30, a32 = a30;
    FloatVector a40 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 4]), a41 = a40, a42 = a40;
    FloatVector a50 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 5]), a51 = a50, a52 = a50;
    FloatVector a60 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 6]), a61 = a60, a62 = a60;
    FloatVector a70 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 7]), a71 = a70, a72 = a70;
    for (int r = 0; r < ckk; r++) {
      int p = xq + taps[r], k = wo + r;
      FloatVector x0 = FloatVector.fromArray(S, x, p), x1 = FloatVector.fromArray(S, x, p + L),
          x2 = FloatVector.fromArray(S, x, p + 2 * L);
      FloatVector w0 = FloatVector.broadcast(S, w[k]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      a02 = x2.fma(w0, a02);
      FloatVector w1 = FloatVector.broadcast(S, w[k + ckk]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      a12 = x2.fma(w1, a12);
      FloatVector w2 = FloatVector.broadcast(S, w[k + 2 * ckk]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      a22 = x2.fma(w2, a22);
      FloatVector w3 = FloatVector.broadcast(S, w[k + 3 * ckk]);
      a30 = x0.fma(w3, a30);
      a31 = x1.fma(w3, a31);
      a32 = x2.fma(w3, a32);
      FloatVector w4 = FloatVector.broadcast(S, w[k + 4 * ckk]);
      a40 = x0.fma(w4, a40);
      a41 = x1.fma(w4, a41);
      a42 = x2.fma(w4, a42);
      FloatVector w5 = FloatVector.broadcast(S, w[k + 5 * ckk]);
      a50 = x0.fma(w5, a50);
      a51 = x1.fma(w5, a51);
      a52 = x2.fma(w5, a52);
      FloatVector w6 = FloatVector.broadcast(S, w[k + 6 * ckk]);
      a60 = x0.fma(w6, a60);
      a61 = x1.fma(w6, a61);
      a62 = x2.fma(w6, a62);
      FloatVector w7 = FloatVector.broadcast(S, w[k + 7 * ckk]);
      a70 = x0.fma(w7, a70);
      a71 = x1.fma(w7, a71);
      a72 = x2.fma(w7, a72);
    }
    a00.intoArray(buf, q);
    a01.intoArray(buf, q + L);
    a02.intoArray(buf, q + 2 * L);
    a10.intoArray(buf, q + span);
    a11.intoArray(buf, q + span + L);
    a12.intoArray(buf, q + span + 2 * L);
    a20.intoArray(buf, q + 2 * span);
    a21.intoArray(buf, q + 2 * span + L);
    a22.intoArray(buf, q + 2 * span + 2 * L);
    a30.intoArray(buf, q + 3 * span);
    a31.intoArray(buf, q + 3 * span + L);
    a32.intoArray(buf, q + 3 * span + 2 * L);
    a40.intoArray(buf, q + 4 * span);
    a41.intoArray(buf, q + 4 * span + L);
    a42.intoArray(buf, q + 4 * span + 2 * L);
    a50.intoArray(buf, q + 5 * span);
    a51.intoArray(buf, q + 5 * span + L);
    a52.intoArray(buf, q + 5 * span + 2 * L);
    a60.intoArray(buf, q + 6 * span);
    a61.intoArray(buf, q + 6 * span + L);
    a62.intoArray(buf, q + 6 * span + 2 * L);
    a70.intoArray(buf, q + 7 * span);
    a71.intoArray(buf, q + 7 * span + L);
    a72.intoArray(buf, q + 7 * span + 2 * L);
  }

  /**
   * The tap offsets the flat-loop tiles ({@link #shiftedTile8}, {@link #shiftedTile4x2}) need for g,
   * looked up once per sample rather than once per tile (the lookup hashes and compares the geometry
   * record).
   */
  private static int[] tapOffsets(Conv2dGeometry g) {
    // The weight gradient's table of patch-row offsets (its first patchSize entries) is this table.
    return dwOffsets(g);
  }

  /**
   * Whether 4-filter blocks take {@link #shiftedTile4x2}: by default with 16 registers, where the
   * 3-vector tiles ({@link #shiftedTile4x3}, {@link #shiftedTile4}: 12 accumulators, 3 input vectors and
   * the 4 weight broadcasts C2 loads ahead, 19 registers) spill. On the Zen 3 machine (AVX2, 2 threads,
   * {@code CnnLatency 2 phases}, two fresh JVMs each, 2026-12-07) FashionCnn's fused conv2 + pool2 at
   * batch 1 took 65.6 and 68.7 µs with it against 96.2 and 94.0 with the 4x3 tile, and {@code predict}
   * 102-119 µs against 136-164. At batch 128 (where the forward goes through im2col + GEMM on 16
   * registers before) conv2 took 7.79 ms with it against 7.71 through GEMM in separate JVMs; paired in one
   * JVM it was about 6 % faster (see {@link #shiftedFor}). {@code -Dkiln.conv.tile4x2=true|false} forces it (for measuring;
   * false on 16 registers brings back the spilling 4x3 tiles).
   */
  static final boolean TILE4X2 =
      java.util.Objects.requireNonNullElse(forced("kiln.conv.tile4x2"), VectorShape.REGISTERS < 32);

  /**
   * Four filters (weights ckk apart), two vectors of positions from x[xq], stored at buf[q] and a filter
   * every span floats after it (ReLU on the way when {@code relu}): 8 accumulators, 2 input vectors and
   * 4 weight broadcasts, 14 registers. The tile's input windows (each entry's offset from
   * {@link #tapOffsets}) are packed first ({@link #packTile}), then {@link #shiftedTile4x2Packed} runs one
   * flat loop over the patch entries: the same FMAs in the same order per position as the other tiles
   * and im2col + GEMM. (Reading x through the offsets in the loop, as {@link #shiftedTile8} does, kept
   * two range checks per entry in C2's loop; see {@link #packedSample}.)
   */
  private static void shiftedTile4x2(Conv2dGeometry g, int[] taps, float[] x, int xq, float[] w, int wo,
      float[] b, int bo, boolean relu, float[] buf, int q, int span) {
    shiftedTile4x2Packed(packTile(taps, g.patchSize(), x, xq), g.patchSize(), w, wo, b, bo, relu, buf, q, span);
  }

  /**
   * The input windows of a tile of 2·L positions from x[xq], packed: patch entry r's two vectors at
   * {@code packed[2L·r]}, in a per-thread buffer.
   */
  private static float[] packTile(int[] taps, int ckk, float[] x, int xq) {
    float[] packed = scratch(9, ckk * 2 * L);
    for (int r = 0; r < ckk; r++) {
      FloatVector.fromArray(S, x, xq + taps[r]).intoArray(packed, 2 * L * r);
      FloatVector.fromArray(S, x, xq + taps[r] + L).intoArray(packed, 2 * L * r + L);
    }
    return packed;
  }

  /** {@code -Dkiln.conv.threeTaps=false} keeps {@link #shiftedTile4} for 3-wide kernels (for measuring). */
  private static final boolean THREE_TAPS = !"false".equals(System.getProperty("kiln.conv.threeTaps"));

  /**
   * {@link #shiftedTile4} for a kernel 3 wide at horizontal dilation 1 (FashionCnn's): the three taps
   * of a kernel row written out, so the loop runs over (channel, kernel row) only. The same FMAs in
   * the same order.
   */
  private static void shiftedTile4x3(Conv2dGeometry g, float[] x, int xq, float[] w, int wo, float[] b, int bo,
      boolean relu, float[] buf, int q, int span) {
    int inHw = g.inH() * g.inW(), rowStep = g.dilationH() * g.inW(), ckk = g.patchSize(), kh = g.kH();
    FloatVector a00 = FloatVector.broadcast(S, b == null ? 0f : b[bo]), a01 = a00, a02 = a00;
    FloatVector a10 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 1]), a11 = a10, a12 = a10;
    FloatVector a20 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 2]), a21 = a20, a22 = a20;
    FloatVector a30 = FloatVector.broadcast(S, b == null ? 0f : b[bo + 3]), a31 = a30, a32 = a30;
    int r = wo;
    for (int c = 0; c < g.inC(); c++) {
      for (int k = 0, p = xq + c * inHw; k < kh; k++, p += rowStep, r += 3) {
        for (int t = 0; t < 3; t++) {
          FloatVector x0 = FloatVector.fromArray(S, x, p + t), x1 = FloatVector.fromArray(S, x, p + t + L),
              x2 = FloatVector.fromArray(S, x, p + t + 2 * L);
          FloatVector wv = FloatVector.broadcast(S, w[r + t]);
          a00 = x0.fma(wv, a00);
          a01 = x1.fma(wv, a01);
          a02 = x2.fma(wv, a02);
          wv = FloatVector.broadcast(S, w[r + t + ckk]);
          a10 = x0.fma(wv, a10);
          a11 = x1.fma(wv, a11);
          a12 = x2.fma(wv, a12);
          wv = FloatVector.broadcast(S, w[r + t + 2 * ckk]);
          a20 = x0.fma(wv, a20);
          a21 = x1.fma(wv, a21);
          a22 = x2.fma(wv, a22);
          wv = FloatVector.broadcast(S, w[r + t + 3 * ckk]);
          a30 = x0.fma(wv, a30);
          a31 = x1.fma(wv, a31);
          a32 = x2.fma(wv, a32);
        }
      }
    }
    store3(a00, a01, a02, relu, buf, q);
    store3(a10, a11, a12, relu, buf, q + span);
    store3(a20, a21, a22, relu, buf, q + 2 * span);
    store3(a30, a31, a32, relu, buf, q + 3 * span);
  }

  private static void store2(FloatVector a0, FloatVector a1, boolean relu, float[] buf, int q) {
    if (relu) {
      a0 = a0.max(0f);
      a1 = a1.max(0f);
    }
    a0.intoArray(buf, q);
    a1.intoArray(buf, q + L);
  }

  private static void store3(FloatVector a0, FloatVector a1, FloatVector a2, boolean relu, float[] buf, int q) {
    if (relu) {
      a0 = a0.max(0f);
      a1 = a1.max(0f);
      a2 = a2.max(0f);
    }
    a0.intoArray(buf, q);
    a1.intoArray(buf, q + L);
    a2.intoArray(buf, q + 2 * L);
  }

  /**
   * The shifted-window input gradient, by default wherever the scatter form ({@link #SCATTER_DX}, the
   * default with 16 registers) is off; {@code
   * -Dkiln.conv.shiftedDx=true|false} forces it either way (for measuring). With 16 registers it runs the
   * {@link #shiftedTile4x2} tile; FashionCnn's conv2 at batch 128 on the Zen 3 machine, measured as in
   * {@link #shiftedFor}: 1.065x (quartiles 0.943-1.094) as fast as GEMM + col2im, whose second copy read
   * 1.034x (0.962-1.115), so no difference beyond the noise (with the 4x3 tile it took 16.1 ms against 7.9).
   */
  private static final boolean SHIFTED_DX =
      java.util.Objects.requireNonNullElse(forced("kiln.conv.shiftedDx"), true);

  /**
   * Whether {@link #backwardInputShifted} takes g: one group, stride 1 (any padding, kernel size,
   * dilation and channel count), and at least {@code 3·L} positions in its row-strided numbering
   * (FashionCnn's conv2; its conv1's input gradient is never computed in training).
   */
  static boolean shiftedInputGradient(Conv2dGeometry g) {
    return g.groups() == 1 && g.strideH() == 1 && g.strideW() == 1
        && (g.inH() - 1) * dxRowStride(g) + g.inW() >= SHIFTED_VECTORS * L;
  }

  /**
   * Row stride of the zero-padded dy and of the positions of {@link #backwardInputShifted}: wide
   * enough that every column a window reads left of dy's first column or right of its last lands on
   * the zeros between rows.
   */
  private static int dxRowStride(Conv2dGeometry g) {
    int reach = (g.kW() - 1) * g.dilationW();
    return Math.max(Math.max(g.inW() + g.padLeft(), g.outW() + reach - g.padLeft()), reach + 1);
  }

  /** Zeros before a padded dy channel's first row, so that no window reads before the channel. */
  private static int dxLead(Conv2dGeometry g) {
    int first = (g.padTop() - (g.kH() - 1) * g.dilationH()) * dxRowStride(g) + g.padLeft()
        - (g.kW() - 1) * g.dilationW();
    return Math.max(0, -first);
  }

  /** Index in a padded dy channel of the first element the window of position 0 reads. */
  private static int dxBase(Conv2dGeometry g) {
    return dxLead(g) + (g.padTop() - (g.kH() - 1) * g.dilationH()) * dxRowStride(g) + g.padLeft()
        - (g.kW() - 1) * g.dilationW();
  }

  /** The transposed geometry of each convolution whose input gradient runs shifted (see {@link #transposed}). */
  private static final java.util.concurrent.ConcurrentHashMap<Conv2dGeometry, Conv2dGeometry> TRANSPOSED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The forward geometry whose shifted tiles compute g's input gradient: the outC channels of the
   * zero-padded dy (rows {@link #dxRowStride} wide, enough rows that every window stays inside a
   * channel) convolved to inC filters with g's kernel, flipped.
   */
  private static Conv2dGeometry transposed(Conv2dGeometry g) {
    int stride = dxRowStride(g), span = (g.inH() - 1) * stride + g.inW();
    int lastRead = dxBase(g) + span - 1 + (g.kH() - 1) * g.dilationH() * stride + (g.kW() - 1) * g.dilationW();
    int floats = Math.max(lastRead + 1, dxLead(g) + g.outH() * stride);
    return new Conv2dGeometry(g.outC(), (floats + stride - 1) / stride, stride, g.inC(), g.kH(), g.kW(), 1, 1,
        0, 0, 0, 0, g.dilationH(), g.dilationW(), 1);
  }

  /**
   * The input gradient as a forward convolution run by the shifted-window tiles ({@link #shiftedTile4x3},
   * {@link #shiftedTile4}, {@link #shiftedTile1}): {@code dx[c, p] = Σ_{o,k,t} w[o, c, kH-1-k, kW-1-t]·
   * dy''[o, base + p + k·dH·S + t·dW]}, with positions {@code p = y·S + x} numbered with the row
   * stride S of the zero-padded copy dy'' of each sample's dy (see {@link #dxRowStride}). Where S is
   * dx's own width and dx is overwritten (FashionCnn's conv2), the tiles store straight into dx; else
   * into a buffer whose rows are then copied or added. Every element sums (o, k, t) in order, so the
   * result does not depend on the thread count. (GEMM + col2im per sample ran at 135 GFLOP/s at
   * FashionCnn's conv2.)
   */
  static void backwardInputShifted(Conv2dGeometry g, int n, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    Conv2dGeometry t = TRANSPOSED.computeIfAbsent(g, VectorConvKernels::transposed);
    int kk = g.kH() * g.kW(), ckk = g.patchSize(), tckk = t.patchSize();
    float[] flipped = scratch(5, g.weightSize());
    // flipped[c, o, k] = w[o, c, kk - 1 - k]: filter c of the transposed convolution
    for (int o = 0; o < g.outC(); o++) {
      for (int c = 0; c < g.inC(); c++) {
        int src = wOff + o * ckk + c * kk, dst = c * tckk + o * kk + kk - 1;
        for (int k = 0; k < kk; k++) {
          flipped[dst - k] = w[src + k];
        }
      }
    }
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(BACKWARD_INPUT_SHIFTED, g, n, dx, dxOff, flipped, 0, null, 0, Activation.LINEAR, 0f, dy, dyOff, null,
          0, accumulate, 0);
      job.transposed = t;
      Parallelism.forEach(n, job);
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  /** Sample s of {@link #backwardInputShifted}; {@code t} is g's {@link #transposed} geometry. */
  private static void backwardInputShiftedSample(Conv2dGeometry g, Conv2dGeometry t, int s, float[] dy, int dyOff,
      float[] flipped, float[] dx, int dxOff, boolean accumulate) {
    int stride = t.inW(), channel = t.inH() * stride, lead = dxLead(g), oh = g.outH(), ow = g.outW();
    float[] pad = scratch(6, g.outC() * channel);
    int ys = dyOff + s * g.outSize();
    for (int o = 0; o < g.outC(); o++) {
      int d = o * channel, end = d + channel, src = ys + o * oh * ow;
      for (int e = d + lead; d < e; d++) {
        pad[d] = 0f;
      }
      for (int i = 0; i < oh; i++, src += ow) {
        for (int j = 0; j < ow; j++) {
          pad[d + j] = dy[src + j];
        }
        for (int e = d + stride, j = d + ow; j < e; j++) {
          pad[j] = 0f;
        }
        d += stride;
      }
      for (; d < end; d++) {
        pad[d] = 0f;
      }
    }
    int inHw = g.inH() * g.inW(), span = (g.inH() - 1) * stride + g.inW(), base = dxBase(g);
    int xs = dxOff + s * g.inSize();
    boolean direct = !accumulate && stride == g.inW();
    float[] buf = direct ? dx : scratch(0, SHIFTED_FILTERS * span + L); // + L: copyRows reads past a row
    int channels = g.inC(), blocks = blocks(channels);
    int[] taps = tapOffsets(t);
    boolean threeTaps = THREE_TAPS && g.kW() == 3 && g.dilationW() == 1;
    for (int blk = 0; blk < blocks; blk++) {
      int c0 = blockStart(channels, blk), filters = blockFilters(channels, blk);
      int at = direct ? xs + c0 * inHw : 0, planes = direct ? inHw : span;
      if (filters == 4 && TILE4X2) {
        for (int q0 = 0; q0 < span; q0 += 2 * L) {
          int q = Math.min(q0, span - 2 * L);
          shiftedTile4x2(t, taps, pad, base + q, flipped, c0 * t.patchSize(), null, 0, false, buf, at + q, planes);
        }
      } else {
        for (int q0 = 0; q0 < span; q0 += SHIFTED_VECTORS * L) {
          int q = Math.min(q0, span - SHIFTED_VECTORS * L);
          if (filters == 8) {
            shiftedTile8(t, taps, pad, base + q, flipped, c0 * t.patchSize(), null, 0, buf, at + q, planes);
          } else if (filters == 4 && threeTaps) {
            shiftedTile4x3(t, pad, base + q, flipped, c0 * t.patchSize(), null, 0, false, buf, at + q, planes);
          } else if (filters == 4) {
            shiftedTile4(t, pad, base + q, flipped, c0 * t.patchSize(), null, 0, false, buf, at + q, planes);
          } else {
            shiftedTile1(t, pad, base + q, flipped, c0 * t.patchSize(), null, 0, false, buf, at + q);
          }
        }
      }
      if (!direct) {
        for (int f = 0; f < filters; f++) {
          rowsOut(buf, f * span, stride, dx, xs + (c0 + f) * inHw, g.inH(), g.inW(), accumulate);
        }
      }
    }
  }

  /**
   * A plane of {@code rows} rows of {@code width} floats, {@code stride} apart in buf from {@code from},
   * into the contiguous plane at {@code dx[to]}: copied ({@link #copyRows}, which reads up to L - 1
   * floats past a row), or added when {@code accumulate}.
   */
  private static void rowsOut(float[] buf, int from, int stride, float[] dx, int to, int rows, int width,
      boolean accumulate) {
    if (accumulate) {
      for (int y = 0; y < rows; y++) {
        addInto(buf, from + y * stride, dx, to + y * width, width);
      }
    } else {
      copyRows(buf, from, stride, dx, to, rows, width, false);
    }
  }

  /**
   * Whether the input gradient takes the scatter form ({@link #backwardInputScatter}): by default with 16
   * registers. On the Zen 3 machine it replaced {@link #backwardInputShifted}, whose full convolution
   * over the zero-padded dy spends 28 % of FashionCnn's conv2 FMAs on zeros and whose offset-table loop
   * keeps two range checks per patch entry; the scatter form computes 17 % fewer FMAs in a loop without
   * them. {@code PairedAb} (2026-12-07, one JVM, the baseline loaded twice, {@code
   * -XX:ObjectAlignmentInBytes=64}): conv2's input gradient at batch 128 1.27x (1 thread, quartiles
   * 1.10-1.34; the baseline's copy 1.00x) and 1.28x (2 threads, 1.25-1.38; copy 1.06x), at batch 1 1.33x;
   * FashionCnn training 1.10x (quartiles 0.97-1.19; copy 1.02x). Not measured on 32 registers, which
   * keep the 8-filter shifted tile. {@code -Dkiln.conv.scatterDx=true|false} forces it (for measuring).
   */
  private static final boolean SCATTER_DX =
      java.util.Objects.requireNonNullElse(forced("kiln.conv.scatterDx"), VectorShape.REGISTERS < 32);

  /** Filters (input channels) per block of the scatter form: 4, with 2 vectors of positions, 14 registers. */
  private static final int SCATTER_FILTERS = 4;

  /** Whether {@link #backwardInputScatter} takes g: one group, stride 1 (any padding, kernel and dilation). */
  static boolean scatterInputGradient(Conv2dGeometry g) {
    return g.groups() == 1 && g.strideH() == 1 && g.strideW() == 1 && scatterPlane(g) >= 2 * L;
  }

  /**
   * Row stride of the scatter form: the full convolution's width {@code outW + (kW-1)·dW}, so that every
   * tap's shift of a dy row stays inside its row of the gradient planes.
   */
  private static int scatterStride(Conv2dGeometry g) {
    return g.outW() + (g.kW() - 1) * g.dilationW();
  }

  /** Floats per channel of the zero-padded dy: its positions, rounded up to whole tiles of 2·L. */
  private static int scatterPlane(Conv2dGeometry g) {
    int span = (g.outH() - 1) * scatterStride(g) + g.outW();
    return (span + 2 * L - 1) / (2 * L) * (2 * L);
  }

  /** Floats per gradient plane of the scatter form: every tap's shift of the padded dy, + L for copyRows. */
  private static int scatterGradientPlane(Conv2dGeometry g) {
    return scatterPlane(g) + (g.kH() - 1) * g.dilationH() * scatterStride(g) + (g.kW() - 1) * g.dilationW() + L;
  }

  /**
   * The input gradient in scatter form: {@code dx[c, i·dH·S + j·dW + p] += Σ_o w[o, c, i, j]·dy'[o, p]}
   * for each tap (i, j) in row-major order, where dy' is dy with rows padded by zeros to the row stride
   * S of the full convolution ({@link #scatterStride}) and p runs over dy's positions in that numbering;
   * dx then is the full-convolution plane cropped by the padding. Each tap's sum over o is a tile of 4
   * channels by 2 vectors of positions whose inner loop steps one dy channel and four packed weights at
   * a time (no offset table), added into per-task planes; only the positions of dy are computed, where
   * the gather form ({@link #backwardInputShifted}) computes every dx position over all taps, also those
   * whose windows read the zero border: at FashionCnn's conv2, 141 positions a tap instead of 169, 17 %
   * fewer FMAs. Every dx element sums its taps in order, each tap's channels o in order, whatever the
   * thread count; the samples are split over {@link Parallelism}.
   */
  static void backwardInputScatter(Conv2dGeometry g, int n, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    int kk = g.kH() * g.kW(), ckk = g.patchSize(), outC = g.outC(), inC = g.inC();
    int blocks = (inC + SCATTER_FILTERS - 1) / SCATTER_FILTERS;
    float[] packed = scratch(7, blocks * kk * outC * SCATTER_FILTERS);
    // packed[((cb·kk + tap)·outC + o)·4 + f] = w[o, 4·cb + f, tap], 0 past the last channel
    for (int cb = 0, k = 0; cb < blocks; cb++) {
      for (int tap = 0; tap < kk; tap++) {
        for (int o = 0; o < outC; o++) {
          for (int f = 0; f < SCATTER_FILTERS; f++, k++) {
            int c = cb * SCATTER_FILTERS + f;
            packed[k] = c < inC ? w[wOff + o * ckk + c * kk + tap] : 0f;
          }
        }
      }
    }
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      job.set(BACKWARD_INPUT_SCATTER, g, n, dx, dxOff, packed, 0, null, 0, Activation.LINEAR, 0f, dy, dyOff, null,
          0, accumulate, 0);
      Parallelism.forEach(n, job);
    } finally {
      ConvJob.CACHE.release(job);
    }
  }

  /** Sample s of {@link #backwardInputScatter}. */
  private static void backwardInputScatterSample(Conv2dGeometry g, int s, float[] dy, int dyOff, float[] packed,
      float[] dx, int dxOff, boolean accumulate) {
    int stride = scatterStride(g), plane = scatterPlane(g), oh = g.outH(), ow = g.outW(), outC = g.outC();
    // Tile-major: pad[(t·outC + o)·2L + v] = dy'[o, t·2L + v], so a tile's inner loop reads consecutive
    // floats (a constant stride, whose range checks C2 hoists out of the loop).
    int tile = 2 * L;
    float[] pad = scratch(6, outC * plane);
    Arrays.fill(pad, 0, outC * plane, 0f);
    int ys = dyOff + s * g.outSize();
    for (int o = 0; o < outC; o++) {
      for (int i = 0, src = ys + o * oh * ow; i < oh; i++, src += ow) {
        for (int j = 0, q = i * stride; j < ow; j++, q++) {
          pad[(q / tile * outC + o) * tile + q % tile] = dy[src + j];
        }
      }
    }
    int kh = g.kH(), kw = g.kW(), kk = kh * kw, inC = g.inC(), inH = g.inH(), inW = g.inW();
    int gradPlane = scatterGradientPlane(g), blocks = (inC + SCATTER_FILTERS - 1) / SCATTER_FILTERS;
    int crop = g.padTop() * stride + g.padLeft(), xs = dxOff + s * g.inSize(), inHw = inH * inW;
    float[] grad = scratch(8, SCATTER_FILTERS * gradPlane);
    for (int cb = 0; cb < blocks; cb++) {
      Arrays.fill(grad, 0, SCATTER_FILTERS * gradPlane, 0f);
      // Taps inside positions: the tile's dy lines (outC channels by 2·L floats) stay in L1 for its taps.
      for (int q = 0; q < plane; q += 2 * L) {
        for (int tap = 0; tap < kk; tap++) {
          int shift = tap / kw * g.dilationH() * stride + tap % kw * g.dilationW();
          scatterTile4x2(pad, q * outC, outC, packed, (cb * kk + tap) * outC * SCATTER_FILTERS, grad, q + shift,
              gradPlane);
        }
      }
      for (int f = 0; f < SCATTER_FILTERS && cb * SCATTER_FILTERS + f < inC; f++) {
        rowsOut(grad, f * gradPlane + crop, stride, dx, xs + (cb * SCATTER_FILTERS + f) * inHw, inH, inW,
            accumulate);
      }
    }
  }

  /**
   * One tap of {@link #backwardInputScatterSample}: {@code grad[f·gradPlane + at + v] += Σ_o packed[k + 4·o + f]·
   * pad[p + 2L·o + v]} for the 4 filters f and the 2·L positions v, o from 0 in order.
   */
  private static void scatterTile4x2(float[] pad, int p, int outC, float[] packed, int k, float[] grad, int at,
      int gradPlane) {
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
        a31 = a00;
    for (int o = 0; o < outC; o++, p += 2 * L, k += SCATTER_FILTERS) {
      FloatVector x0 = FloatVector.fromArray(S, pad, p), x1 = FloatVector.fromArray(S, pad, p + L);
      FloatVector w0 = FloatVector.broadcast(S, packed[k]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      FloatVector w1 = FloatVector.broadcast(S, packed[k + 1]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      FloatVector w2 = FloatVector.broadcast(S, packed[k + 2]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      FloatVector w3 = FloatVector.broadcast(S, packed[k + 3]);
      a30 = x0.fma(w3, a30);
      a31 = x1.fma(w3, a31);
    }
    addTo(grad, at, a00, a01);
    addTo(grad, at + gradPlane, a10, a11);
    addTo(grad, at + 2 * gradPlane, a20, a21);
    addTo(grad, at + 3 * gradPlane, a30, a31);
  }

  private static void addTo(float[] buf, int at, FloatVector a0, FloatVector a1) {
    FloatVector.fromArray(S, buf, at).add(a0).intoArray(buf, at);
    FloatVector.fromArray(S, buf, at + L).add(a1).intoArray(buf, at + L);
  }

  /** Sample s: per group {@code dcol[CKK, OHW] = Wᵀ·dy}, scattered back onto dx (col2im). */
  private static void backwardInputSample(Conv2dGeometry g, int s, float[] dy, int dyOff, float[] w, int wOff,
      float[] dx, int dxOff, boolean accumulate) {
    int ohw = g.outH() * g.outW(), inHw = g.inH() * g.inW();
    int cin = g.groupInC(), cout = g.groupOutC(), ckk = g.patchSize();
    int xs = dxOff + s * g.inSize();
    int ys = dyOff + s * g.outSize();
    if (g.pointwise()) {
      for (int grp = 0; grp < g.groups(); grp++) {
        VectorKernels.gemmTn(cin, ohw, cout, w, wOff + grp * cout * cin, dy, ys + grp * cout * ohw,
            dx, xs + grp * cin * inHw, accumulate);
      }
      return;
    }
    if (!accumulate) {
      Arrays.fill(dx, xs, xs + g.inSize(), 0f);
    }
    float[] cols = scratch(0, ckk * ohw);
    for (int grp = 0; grp < g.groups(); grp++) {
      VectorKernels.gemmTn(ckk, ohw, cout, w, wOff + grp * cout * ckk, dy, ys + grp * cout * ohw, cols, 0, false);
      col2im(g, cols, dx, xs + grp * cin * inHw);
    }
  }

  /**
   * Rows [r0, r0 + blockRows) of group grp's dWᵀ[CKK, outC/g] = Σs col_s[CKK, OHW]·dy_s[outC/g, OHW]ᵀ,
   * summed over the samples in order in a per-thread buffer, then added to dw; and, in the group's last
   * block, its bias gradient.
   */
  private static void backwardParamsBlock(Conv2dGeometry g, int n, int grp, int block, int blockRows,
      float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, float[] db, int dbOff) {
    int ohw = g.outH() * g.outW(), inHw = g.inH() * g.inW();
    int cin = g.groupInC(), cout = g.groupOutC(), ckk = g.patchSize();
    int r0 = block * blockRows, r1 = Math.min(ckk, r0 + blockRows), rows = r1 - r0;
    float[] part = scratch(1, rows * cout);
    float[] cols = g.pointwise() ? x : scratch(0, rows * ohw);
    for (int s = 0; s < n; s++) {
      int xg = xOff + s * g.inSize() + grp * cin * inHw;
      int colsOff = xg + r0 * inHw;
      if (!g.pointwise()) {
        im2col(g, x, xg, r0, r1, cols);
        colsOff = 0;
      }
      VectorKernels.gemmNt(rows, cout, ohw, cols, colsOff, dy, dyOff + s * g.outSize() + grp * cout * ohw,
          part, 0, s > 0);
    }
    for (int o = 0; o < cout; o++) {
      int wo = dwOff + (grp * cout + o) * ckk;
      for (int r = r0; r < r1; r++) {
        dw[wo + r] += part[(r - r0) * cout + o];
      }
    }
    if (db != null && r1 == ckk) {
      for (int o = 0; o < cout; o++) {
        float sum = 0f;
        for (int s = 0; s < n; s++) {
          sum += sum(dy, dyOff + s * g.outSize() + (grp * cout + o) * ohw, ohw);
        }
        db[dbOff + grp * cout + o] += sum;
      }
    }
  }

  /** {@code -Dkiln.conv.implicitDw=false} keeps im2col + per-sample GEMMs for the weight gradient (for measuring). */
  private static final boolean IMPLICIT_DW = !"false".equals(System.getProperty("kiln.conv.implicitDw"));

  /**
   * Samples per task of the implicit weight gradient. Fixed (not derived from the thread count), so the
   * batch sum has one order whatever the thread count.
   */
  static final int DW_SAMPLES = 8;

  /**
   * Patch rows per register tile of {@link #dwTile} (x 2 vectors of filters: 12 accumulators). With 16
   * registers a 4-row tile (8 accumulators; the 6-row one needs 20 registers with the broadcasts C2 loads
   * ahead) measured no faster on the Zen 3 machine (FashionCnn's conv2 at batch 128, {@code PairedAb 2 40}
   * with each setting loaded twice: 6 rows 1.38x and 1.34x the first copy of 4 rows, whose second copy read
   * 1.25x), so there is one tile.
   */
  private static final int DW_ROWS = 6;

  /** Patch rows and vectors of filters per register tile of {@link #dwTileWide}: 16 accumulators. */
  private static final int WIDE_ROWS = 4, WIDE_VECTORS = 4;

  /** Patch rows and filters per register tile of {@link #backwardParamsDot}: 3 x 8 with 32 registers, 3 x 4 with 16. */
  private static final int DOT_ROWS = 3, DOT_FILTERS = VectorShape.REGISTERS >= 32 ? 8 : 4;

  /**
   * The largest patch {@link #backwardParamsDot} takes: it reads dy as it lies, while the transposed
   * kernel first transposes each sample's dy, a cost that only a large patch (many FMAs per dy element)
   * hides. Measured at batch 128 on 2 threads, 28x28 inputs, 32 filters, 3x3 (AVX-512 machine): with 32
   * registers the direct kernel took 651 / 935 / 1345 us for 1 / 2 / 3 input channels against 1777 /
   * 1253 / 1505 transposed; with 16 (-XX:UseAVX=2) 1575-1989 us against 2525-2557 for one channel, a tie
   * for two and a loss for three.
   */
  private static final int DOT_MAX_PATCH = VectorShape.REGISTERS >= 32 ? 27 : 9;

  /** The kinds of implicit weight gradient: transposed dy with the 6 x 2 or the 4 x 4 tile, or direct. */
  static final int DW_NARROW = 0, DW_WIDE = 1, DW_DOT = 2;

  /**
   * {@code -Dkiln.conv.dwTile=narrow} keeps the 6 x 2 tile with 32 registers, {@code -Dkiln.conv.dotDw=false}
   * the transposed kernel for every geometry (both for measuring).
   */
  private static final boolean WIDE_DW =
      VectorShape.REGISTERS >= 32 && !"narrow".equals(System.getProperty("kiln.conv.dwTile"));
  private static final boolean DOT_DW = !"false".equals(System.getProperty("kiln.conv.dotDw"));

  /** L zeros then L ones: the vector at {@code L - s} keeps all but its first s lanes. */
  private static final float[] ZEROS_THEN_ONES = new float[2 * L];

  static {
    Arrays.fill(ZEROS_THEN_ONES, L, 2 * L, 1f);
  }

  /**
   * Whether {@link #backwardParamsImplicit} takes g: one group and no padding (any stride, dilation,
   * kernel and channel count; FashionCnn's two convolutions).
   */
  static boolean implicitWeightGradient(Conv2dGeometry g) {
    return g.groups() == 1 && g.padTop() == 0 && g.padLeft() == 0 && g.padBottom() == 0 && g.padRight() == 0;
  }

  /**
   * The kind of implicit weight gradient g gets, chosen per call from the geometry and, once at class
   * initialisation, from the register file: {@link #DW_DOT} for a small patch at horizontal stride 1 with
   * output rows of at least one vector; else {@link #DW_WIDE} with 32 registers and more than two vectors
   * of filters; else {@link #DW_NARROW}.
   */
  static int dwKind(Conv2dGeometry g) {
    if (DOT_DW && dotWeightGradient(g) && g.patchSize() <= DOT_MAX_PATCH) {
      return DW_DOT;
    }
    return WIDE_DW && g.outC() > 2 * L ? DW_WIDE : DW_NARROW;
  }

  /** Whether {@link #backwardParamsDot} can take g (an implicit geometry): horizontal stride 1, rows of a vector or more. */
  static boolean dotWeightGradient(Conv2dGeometry g) {
    return g.strideW() == 1 && g.outW() >= L;
  }

  /**
   * The weight gradient as one implicit GEMM over the whole batch, {@code dWᵀ[CKK, outC] = Σ_s Σ_q
   * col_s[CKK, q]·dyᵀ_s[q, outC]}, with no im2col matrix. A task takes a block of {@value #DW_SAMPLES}
   * samples and sums them in order into its own partial dWᵀ (and bias row); the caller then adds the
   * blocks' partials in block order into dw and db. Per block, by {@link #dwKind}: the transposed kernels
   * ({@link #backwardParamsSamples}) broadcast the im2col element {@code col_s[r, q]} straight from x
   * against vectors of filters of the sample's transposed dy; the direct one ({@link #backwardParamsDot})
   * multiplies vectors of positions of x and of dy as they lie. (im2col + a GEMM per sample had K = OH·OW
   * = 121 at FashionCnn's conv2 and an M of 9 rows split 8 + 1 over two threads at its conv1: 124 and 12
   * GFLOP/s.)
   */
  private static void backwardParamsImplicit(Conv2dGeometry g, int n, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    backwardParamsImplicit(dwKind(g), g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff, null, null, 0, null, 0, null, 0);
  }

  /** Whether {@link #backwardParamsMaxPooled} takes g: the implicit weight gradient does. */
  static boolean fusesPoolingBackward(Conv2dGeometry g) {
    return IMPLICIT_DW && implicitWeightGradient(g);
  }

  /**
   * {@link #backwardParams} with dy scattered, sample by sample, from the gradient dp of the max pooling
   * that reads the convolution's output alone (its winners argmax; with the pooled output p, RELU's
   * derivative folded in as {@link PoolKernels#maxBackwardFolded} does, else none) into a per-thread
   * buffer that the sample's tiles then read: dy is never stored. The same scatter and the same tiles
   * in the same order as the two kernels through a dy tensor, so bitwise their result. For a geometry
   * {@link #fusesPoolingBackward} accepts.
   */
  static void backwardParamsMaxPooled(Conv2dGeometry g, Pool2dGeometry pool, int n, float[] x, int xOff, float[] dp,
      int dpOff, int[] argmax, int argOff, float[] p, int pOff, float[] dw, int dwOff, float[] db, int dbOff) {
    if (n == 0) {
      return;
    }
    backwardParamsImplicit(dwKind(g), g, n, x, xOff, null, 0, dw, dwOff, db, dbOff, pool, dp, dpOff, argmax, argOff, p,
        pOff);
  }

  /** {@link #backwardParamsImplicit} with the given kind (for tests: {@link #DW_DOT} needs {@link #dotWeightGradient}). */
  static void backwardParamsImplicit(int kind, Conv2dGeometry g, int n, float[] x, int xOff, float[] dy, int dyOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    backwardParamsImplicit(kind, g, n, x, xOff, dy, dyOff, dw, dwOff, db, dbOff, null, null, 0, null, 0, null, 0);
  }

  /** {@link #backwardParamsImplicit}, with dy read from a max pooling's backward when pool is not null. */
  private static void backwardParamsImplicit(int kind, Conv2dGeometry g, int n, float[] x, int xOff, float[] dy,
      int dyOff, float[] dw, int dwOff, float[] db, int dbOff, Pool2dGeometry pool, float[] dp, int dpOff,
      int[] argmax, int argOff, float[] p, int pOff) {
    int ckk = g.patchSize(), rows = dwRows(g, kind), cols = dwCols(g, kind), stride = (rows + 1) * cols;
    int blocks = (n + DW_SAMPLES - 1) / DW_SAMPLES;
    float[] part = scratch(2, blocks * stride);
    ConvJob job = ConvJob.CACHE.acquire();
    try {
      // blockRows carries the kind
      job.set(BACKWARD_PARAMS_IMPLICIT, g, n, x, xOff, part, 0, null, 0, Activation.LINEAR, 0f, dy, dyOff, null, 0,
          false, kind);
      if (pool != null) {
        job.pool = pool;
        job.pooledGrad = dp;
        job.pooledGradOff = dpOff;
        job.argmax = argmax;
        job.argOff = argOff;
        job.b = p; // the pooled output, or null: no derivative to fold
        job.bOff = pOff;
      }
      Parallelism.forEach(blocks, job);
    } finally {
      ConvJob.CACHE.release(job);
    }
    float[] total = scratch(4, cols);
    for (int r = 0; r <= ckk; r++) {
      if (r == ckk && db == null) {
        break;
      }
      int row = r == ckk ? rows : r; // the bias row follows the tile rows
      for (int v = 0; v < cols; v += L) {
        FloatVector acc = FloatVector.fromArray(S, part, row * cols + v);
        for (int blk = 1; blk < blocks; blk++) {
          acc = acc.add(FloatVector.fromArray(S, part, blk * stride + row * cols + v));
        }
        acc.intoArray(total, v);
      }
      if (r == ckk) {
        for (int o = 0; o < g.outC(); o++) {
          db[dbOff + o] += total[o];
        }
      } else {
        for (int o = 0; o < g.outC(); o++) {
          dw[dwOff + o * ckk + r] += total[o];
        }
      }
    }
  }

  /**
   * Sample s's dy for {@link #backwardParamsMaxPooled}: the fused pooling's gradient scattered to its
   * winners (with the folded ReLU derivative when the job holds the pooled output) into a per-thread
   * buffer, exactly as the pooling's own backward writes the sample's planes.
   */
  private static float[] pooledSampleGrad(ConvJob job, int s) {
    Pool2dGeometry pool = job.pool;
    float[] d = scratch(10, pool.inSize());
    for (int p = s * pool.c(); p < (s + 1) * pool.c(); p++) {
      VectorPoolKernels.maxBackwardPlane(pool, p, job.pooledGrad, job.pooledGradOff, job.argmax, job.argOff, job.b,
          job.bOff, d, -s * pool.inSize(), false);
    }
    return d;
  }

  /** Rows of the implicit weight gradient's partial dWᵀ: the patch rounded up to whole tiles. */
  private static int dwRows(Conv2dGeometry g, int kind) {
    int tile = kind == DW_DOT ? DOT_ROWS : kind == DW_WIDE ? WIDE_ROWS : DW_ROWS;
    return (g.patchSize() + tile - 1) / tile * tile;
  }

  /** Columns of the implicit weight gradient's partial dWᵀ: the filters rounded up to whole tiles and vectors. */
  private static int dwCols(Conv2dGeometry g, int kind) {
    int tile = kind == DW_DOT ? Math.max(DOT_FILTERS, L) : kind == DW_WIDE ? WIDE_VECTORS * L : 2 * L;
    return (g.outC() + tile - 1) / tile * tile;
  }

  /**
   * Block blk of {@link #backwardParamsImplicit}: its samples' {@code dWᵀ} and bias sums, in sample
   * order, into {@code part}'s block (rows beyond the patch are scratch: their tiles read row 0 of the patch).
   * The transposed kinds: each sample's dy is transposed to [OH·OW, outC] (zero-padded to whole tiles of
   * filters), and a register tile of {@value #DW_ROWS} patch rows x 2 vectors of filters ({@link #dwTile})
   * or {@value #WIDE_ROWS} x {@value #WIDE_VECTORS} ({@link #dwTileWide}) accumulates over the sample's
   * positions.
   */
  private static void backwardParamsSamples(Conv2dGeometry g, int n, int blk, int kind, float[] x, int xOff,
      float[] dy, int dyOff, float[] part, ConvJob pooled) {
    if (kind == DW_DOT) {
      backwardParamsDot(g, n, blk, x, xOff, dy, dyOff, part, pooled);
      return;
    }
    int ohw = g.outH() * g.outW(), rows = dwRows(g, kind), cols = dwCols(g, kind);
    int width = (kind == DW_WIDE ? WIDE_VECTORS : 2) * L;
    int rstep = kind == DW_WIDE ? WIDE_ROWS : DW_ROWS;
    int p = blk * (rows + 1) * cols, bias = p + rows * cols;
    float[] dyT = scratch(3, ohw * cols);
    int[] offs = dwOffsets(g);
    int s0 = blk * DW_SAMPLES, s1 = Math.min(n, s0 + DW_SAMPLES);
    for (int s = s0; s < s1; s++) {
      float[] d = pooled == null ? dy : pooledSampleGrad(pooled, s);
      int ys = pooled == null ? dyOff + s * g.outSize() : 0;
      transpose(d, ys, g.outC(), ohw, dyT, cols);
      int xs = xOff + s * g.inSize();
      for (int r0 = 0; r0 < rows; r0 += rstep) {
        for (int c0 = 0; c0 < cols; c0 += width) {
          if (kind == DW_WIDE) {
            dwTileWide(g, offs, x, xs, r0, dyT, cols, c0, part, p + r0 * cols + c0, s == s0);
          } else {
            dwTile(g, offs, x, xs, r0, dyT, cols, c0, part, p + r0 * cols + c0, s == s0);
          }
        }
      }
      for (int o = 0; o < g.outC(); o++) {
        float sum = sum(d, ys + o * ohw, ohw);
        part[bias + o] = s == s0 ? sum : part[bias + o] + sum;
      }
    }
  }

  /**
   * Block blk of {@link #backwardParamsImplicit} for a geometry {@link #dotWeightGradient} accepts, with
   * no transposition: for a patch row r and a filter o, {@code Σ_q col[r, q]·dy[o, q]} is a dot product of
   * x's window row (contiguous at horizontal stride 1) and dy's output row, taken a vector of positions at
   * a time. Register tiles of {@value #DOT_ROWS} patch rows x {@link #DOT_FILTERS} filters ({@link
   * #dotTile8}, {@link #dotTile4}) keep lanewise sums, per tile and sample in order, in a per-thread
   * buffer [rows, cols, L] (a filter tile's dy stays in L1 across its row tiles); the block's lanes are
   * then added in lane order into {@code part}'s block.
   */
  private static void backwardParamsDot(Conv2dGeometry g, int n, int blk, float[] x, int xOff, float[] dy,
      int dyOff, float[] part, ConvJob pooled) {
    int ohw = g.outH() * g.outW(), rows = dwRows(g, DW_DOT), cols = dwCols(g, DW_DOT);
    int p = blk * (rows + 1) * cols, bias = p + rows * cols;
    float[] acc = scratch(3, rows * cols * L);
    int[] offs = dwOffsets(g);
    int s0 = blk * DW_SAMPLES, s1 = Math.min(n, s0 + DW_SAMPLES);
    for (int s = s0; s < s1; s++) {
      float[] d = pooled == null ? dy : pooledSampleGrad(pooled, s);
      int xs = xOff + s * g.inSize(), ys = pooled == null ? dyOff + s * g.outSize() : 0;
      for (int o0 = 0; o0 < cols; o0 += DOT_FILTERS) {
        for (int r0 = 0; r0 < rows; r0 += DOT_ROWS) {
          if (DOT_FILTERS == 8) {
            dotTile8(g, offs, x, xs, r0, d, ys, o0, cols, acc, s == s0);
          } else {
            dotTile4(g, offs, x, xs, r0, d, ys, o0, cols, acc, s == s0);
          }
        }
        for (int o = o0, o1 = Math.min(g.outC(), o0 + DOT_FILTERS); o < o1; o++) {
          float sum = sum(d, ys + o * ohw, ohw);
          part[bias + o] = s == s0 ? sum : part[bias + o] + sum;
        }
      }
    }
    for (int e = 0; e < rows * cols; e++) {
      float sum = 0f;
      for (int lane = 0, a = e * L; lane < L; lane++) {
        sum += acc[a + lane];
      }
      part[p + e] = sum;
    }
  }

  /**
   * {@code t[k·cols + o] = a[at + o·len + k]} for o < rows, k < len; 0 for rows <= o < cols. In blocks
   * of 16 positions, so the rows of t being written stay in L1 (FashionCnn's conv1: 676 rows of 128 bytes).
   */
  private static void transpose(float[] a, int at, int rows, int len, float[] t, int cols) {
    for (int k0 = 0; k0 < len; k0 += 16) {
      int k1 = Math.min(len, k0 + 16);
      for (int o = 0; o < rows; o++) {
        int src = at + o * len;
        for (int k = k0, d = k0 * cols + o; k < k1; k++, d += cols) {
          t[d] = a[src + k];
        }
      }
      for (int o = rows; o < cols; o++) {
        for (int k = k0, d = k0 * cols + o; k < k1; k++, d += cols) {
          t[d] = 0f;
        }
      }
    }
  }

  /**
   * One register tile of the implicit weight gradient: patch rows [r0, r0 + 6) x filters [c0, c0 + 2L)
   * of {@code c[at + m·cols + v]} (= 0 first when {@code first}) += Σ_q col[r0 + m, q]·dyT[q, c0 + v],
   * the positions q in order. {@code col[r, q]} is read from x: row r = (c, kh, kw) is the input at
   * {@code c·inH·inW + kh·dH·inW + kw·dW} from the position's window corner; rows past the patch read
   * row 0's element (their sums are never used). {@code offs} holds the rows' offsets ({@link #dwOffsets}).
   */
  private static void dwTile(Conv2dGeometry g, int[] offs, float[] x, int xs, int r0, float[] dyT, int cols, int c0, float[] c,
      int at, boolean first) {
    int f0 = offs[r0], f1 = offs[r0 + 1], f2 = offs[r0 + 2];
    int f3 = offs[r0 + 3], f4 = offs[r0 + 4], f5 = offs[r0 + 5];
    FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (first) {
      c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
    } else {
      c00 = FloatVector.fromArray(S, c, at);
      c01 = FloatVector.fromArray(S, c, at + L);
      c10 = FloatVector.fromArray(S, c, at + cols);
      c11 = FloatVector.fromArray(S, c, at + cols + L);
      c20 = FloatVector.fromArray(S, c, at + 2 * cols);
      c21 = FloatVector.fromArray(S, c, at + 2 * cols + L);
      c30 = FloatVector.fromArray(S, c, at + 3 * cols);
      c31 = FloatVector.fromArray(S, c, at + 3 * cols + L);
      c40 = FloatVector.fromArray(S, c, at + 4 * cols);
      c41 = FloatVector.fromArray(S, c, at + 4 * cols + L);
      c50 = FloatVector.fromArray(S, c, at + 5 * cols);
      c51 = FloatVector.fromArray(S, c, at + 5 * cols + L);
    }
    int oh = g.outH(), ow = g.outW(), rowStep = g.strideH() * g.inW(), sw = g.strideW();
    int k = c0;
    for (int i = 0; i < oh; i++) {
      int base = xs + i * rowStep;
      for (int j = 0; j < ow; j++, base += sw, k += cols) {
        FloatVector b0 = FloatVector.fromArray(S, dyT, k), b1 = FloatVector.fromArray(S, dyT, k + L);
        FloatVector a = FloatVector.broadcast(S, x[base + f0]);
        c00 = a.fma(b0, c00);
        c01 = a.fma(b1, c01);
        a = FloatVector.broadcast(S, x[base + f1]);
        c10 = a.fma(b0, c10);
        c11 = a.fma(b1, c11);
        a = FloatVector.broadcast(S, x[base + f2]);
        c20 = a.fma(b0, c20);
        c21 = a.fma(b1, c21);
        a = FloatVector.broadcast(S, x[base + f3]);
        c30 = a.fma(b0, c30);
        c31 = a.fma(b1, c31);
        a = FloatVector.broadcast(S, x[base + f4]);
        c40 = a.fma(b0, c40);
        c41 = a.fma(b1, c41);
        a = FloatVector.broadcast(S, x[base + f5]);
        c50 = a.fma(b0, c50);
        c51 = a.fma(b1, c51);
      }
    }
    c00.intoArray(c, at);
    c01.intoArray(c, at + L);
    c10.intoArray(c, at + cols);
    c11.intoArray(c, at + cols + L);
    c20.intoArray(c, at + 2 * cols);
    c21.intoArray(c, at + 2 * cols + L);
    c30.intoArray(c, at + 3 * cols);
    c31.intoArray(c, at + 3 * cols + L);
    c40.intoArray(c, at + 4 * cols);
    c41.intoArray(c, at + 4 * cols + L);
    c50.intoArray(c, at + 5 * cols);
    c51.intoArray(c, at + 5 * cols + L);
  }

  /**
   * One register tile of the direct weight gradient ({@link #backwardParamsDot}): patch rows [r0, r0 + 3) x
   * filters [o0, o0 + 8), 24 accumulators of lanewise partial sums in {@code acc[at + (m·cols + f)·L]} (= 0
   * first when {@code first}) += x[window row + f_m, positions]·dy[filter, positions] over one sample's output
   * rows, whole vectors of positions in order and then, if the row is not a whole number of vectors, one
   * vector ending at the row's end whose lanes already counted are zeroed in x. Filters past the last read
   * its dy (their sums are never used); rows past the patch read row 0.
   */
  private static void dotTile8(Conv2dGeometry g, int[] offs, float[] x, int xs, int r0, float[] dy, int ys, int o0, int cols,
      float[] acc, boolean first) {
    int f0 = offs[r0], f1 = offs[r0 + 1], f2 = offs[r0 + 2];
    int ohw = g.outH() * g.outW(), last = g.outC() - 1;
    int d0 = ys + Math.min(o0, last) * ohw;
    int d1 = ys + Math.min(o0 + 1, last) * ohw;
    int d2 = ys + Math.min(o0 + 2, last) * ohw;
    int d3 = ys + Math.min(o0 + 3, last) * ohw;
    int d4 = ys + Math.min(o0 + 4, last) * ohw;
    int d5 = ys + Math.min(o0 + 5, last) * ohw;
    int d6 = ys + Math.min(o0 + 6, last) * ohw;
    int d7 = ys + Math.min(o0 + 7, last) * ohw;
    int at = (r0 * cols + o0) * L, row = cols * L;
    FloatVector a00, a01, a02, a03, a04, a05, a06, a07;
    FloatVector a10, a11, a12, a13, a14, a15, a16, a17;
    FloatVector a20, a21, a22, a23, a24, a25, a26, a27;
    if (first) {
      a00 = a01 = a02 = a03 = a04 = a05 = a06 = a07 = FloatVector.zero(S);
      a10 = a11 = a12 = a13 = a14 = a15 = a16 = a17 = a00;
      a20 = a21 = a22 = a23 = a24 = a25 = a26 = a27 = a00;
    } else {
      a00 = FloatVector.fromArray(S, acc, at);
      a01 = FloatVector.fromArray(S, acc, at + L);
      a02 = FloatVector.fromArray(S, acc, at + 2 * L);
      a03 = FloatVector.fromArray(S, acc, at + 3 * L);
      a04 = FloatVector.fromArray(S, acc, at + 4 * L);
      a05 = FloatVector.fromArray(S, acc, at + 5 * L);
      a06 = FloatVector.fromArray(S, acc, at + 6 * L);
      a07 = FloatVector.fromArray(S, acc, at + 7 * L);
      a10 = FloatVector.fromArray(S, acc, at + row);
      a11 = FloatVector.fromArray(S, acc, at + row + L);
      a12 = FloatVector.fromArray(S, acc, at + row + 2 * L);
      a13 = FloatVector.fromArray(S, acc, at + row + 3 * L);
      a14 = FloatVector.fromArray(S, acc, at + row + 4 * L);
      a15 = FloatVector.fromArray(S, acc, at + row + 5 * L);
      a16 = FloatVector.fromArray(S, acc, at + row + 6 * L);
      a17 = FloatVector.fromArray(S, acc, at + row + 7 * L);
      a20 = FloatVector.fromArray(S, acc, at + 2 * row);
      a21 = FloatVector.fromArray(S, acc, at + 2 * row + L);
      a22 = FloatVector.fromArray(S, acc, at + 2 * row + 2 * L);
      a23 = FloatVector.fromArray(S, acc, at + 2 * row + 3 * L);
      a24 = FloatVector.fromArray(S, acc, at + 2 * row + 4 * L);
      a25 = FloatVector.fromArray(S, acc, at + 2 * row + 5 * L);
      a26 = FloatVector.fromArray(S, acc, at + 2 * row + 6 * L);
      a27 = FloatVector.fromArray(S, acc, at + 2 * row + 7 * L);
    }
    int oh = g.outH(), ow = g.outW(), rowStep = g.strideH() * g.inW(), whole = ow / L * L;
    // the last vector of a row starts at ow - L; its first whole + L - ow lanes were counted already
    FloatVector keep = FloatVector.fromArray(S, ZEROS_THEN_ONES, L - (whole + L - ow) % L);
    boolean tail = whole < ow;
    for (int i = 0; i < oh; i++) {
      int xb = xs + i * rowStep, yb = i * ow;
      for (int j = 0; j < whole; j += L) {
        FloatVector x0 = FloatVector.fromArray(S, x, xb + j + f0);
        FloatVector x1 = FloatVector.fromArray(S, x, xb + j + f1);
        FloatVector x2 = FloatVector.fromArray(S, x, xb + j + f2);
        FloatVector y = FloatVector.fromArray(S, dy, d0 + yb + j);
        a00 = x0.fma(y, a00);
        a10 = x1.fma(y, a10);
        a20 = x2.fma(y, a20);
        y = FloatVector.fromArray(S, dy, d1 + yb + j);
        a01 = x0.fma(y, a01);
        a11 = x1.fma(y, a11);
        a21 = x2.fma(y, a21);
        y = FloatVector.fromArray(S, dy, d2 + yb + j);
        a02 = x0.fma(y, a02);
        a12 = x1.fma(y, a12);
        a22 = x2.fma(y, a22);
        y = FloatVector.fromArray(S, dy, d3 + yb + j);
        a03 = x0.fma(y, a03);
        a13 = x1.fma(y, a13);
        a23 = x2.fma(y, a23);
        y = FloatVector.fromArray(S, dy, d4 + yb + j);
        a04 = x0.fma(y, a04);
        a14 = x1.fma(y, a14);
        a24 = x2.fma(y, a24);
        y = FloatVector.fromArray(S, dy, d5 + yb + j);
        a05 = x0.fma(y, a05);
        a15 = x1.fma(y, a15);
        a25 = x2.fma(y, a25);
        y = FloatVector.fromArray(S, dy, d6 + yb + j);
        a06 = x0.fma(y, a06);
        a16 = x1.fma(y, a16);
        a26 = x2.fma(y, a26);
        y = FloatVector.fromArray(S, dy, d7 + yb + j);
        a07 = x0.fma(y, a07);
        a17 = x1.fma(y, a17);
        a27 = x2.fma(y, a27);
      }
      if (tail) {
        int j = ow - L;
        FloatVector x0 = FloatVector.fromArray(S, x, xb + j + f0).mul(keep);
        FloatVector x1 = FloatVector.fromArray(S, x, xb + j + f1).mul(keep);
        FloatVector x2 = FloatVector.fromArray(S, x, xb + j + f2).mul(keep);
        FloatVector y = FloatVector.fromArray(S, dy, d0 + yb + j);
        a00 = x0.fma(y, a00);
        a10 = x1.fma(y, a10);
        a20 = x2.fma(y, a20);
        y = FloatVector.fromArray(S, dy, d1 + yb + j);
        a01 = x0.fma(y, a01);
        a11 = x1.fma(y, a11);
        a21 = x2.fma(y, a21);
        y = FloatVector.fromArray(S, dy, d2 + yb + j);
        a02 = x0.fma(y, a02);
        a12 = x1.fma(y, a12);
        a22 = x2.fma(y, a22);
        y = FloatVector.fromArray(S, dy, d3 + yb + j);
        a03 = x0.fma(y, a03);
        a13 = x1.fma(y, a13);
        a23 = x2.fma(y, a23);
        y = FloatVector.fromArray(S, dy, d4 + yb + j);
        a04 = x0.fma(y, a04);
        a14 = x1.fma(y, a14);
        a24 = x2.fma(y, a24);
        y = FloatVector.fromArray(S, dy, d5 + yb + j);
        a05 = x0.fma(y, a05);
        a15 = x1.fma(y, a15);
        a25 = x2.fma(y, a25);
        y = FloatVector.fromArray(S, dy, d6 + yb + j);
        a06 = x0.fma(y, a06);
        a16 = x1.fma(y, a16);
        a26 = x2.fma(y, a26);
        y = FloatVector.fromArray(S, dy, d7 + yb + j);
        a07 = x0.fma(y, a07);
        a17 = x1.fma(y, a17);
        a27 = x2.fma(y, a27);
      }
    }
    a00.intoArray(acc, at);
    a01.intoArray(acc, at + L);
    a02.intoArray(acc, at + 2 * L);
    a03.intoArray(acc, at + 3 * L);
    a04.intoArray(acc, at + 4 * L);
    a05.intoArray(acc, at + 5 * L);
    a06.intoArray(acc, at + 6 * L);
    a07.intoArray(acc, at + 7 * L);
    a10.intoArray(acc, at + row);
    a11.intoArray(acc, at + row + L);
    a12.intoArray(acc, at + row + 2 * L);
    a13.intoArray(acc, at + row + 3 * L);
    a14.intoArray(acc, at + row + 4 * L);
    a15.intoArray(acc, at + row + 5 * L);
    a16.intoArray(acc, at + row + 6 * L);
    a17.intoArray(acc, at + row + 7 * L);
    a20.intoArray(acc, at + 2 * row);
    a21.intoArray(acc, at + 2 * row + L);
    a22.intoArray(acc, at + 2 * row + 2 * L);
    a23.intoArray(acc, at + 2 * row + 3 * L);
    a24.intoArray(acc, at + 2 * row + 4 * L);
    a25.intoArray(acc, at + 2 * row + 5 * L);
    a26.intoArray(acc, at + 2 * row + 6 * L);
    a27.intoArray(acc, at + 2 * row + 7 * L);
  }

  /**
   * One register tile of the direct weight gradient ({@link #backwardParamsDot}): patch rows [r0, r0 + 3) x
   * filters [o0, o0 + 4), 12 accumulators of lanewise partial sums in {@code acc[at + (m·cols + f)·L]} (= 0
   * first when {@code first}) += x[window row + f_m, positions]·dy[filter, positions] over one sample's output
   * rows, whole vectors of positions in order and then, if the row is not a whole number of vectors, one
   * vector ending at the row's end whose lanes already counted are zeroed in x. Filters past the last read
   * its dy (their sums are never used); rows past the patch read row 0.
   */
  private static void dotTile4(Conv2dGeometry g, int[] offs, float[] x, int xs, int r0, float[] dy, int ys, int o0, int cols,
      float[] acc, boolean first) {
    int f0 = offs[r0], f1 = offs[r0 + 1], f2 = offs[r0 + 2];
    int ohw = g.outH() * g.outW(), last = g.outC() - 1;
    int d0 = ys + Math.min(o0, last) * ohw;
    int d1 = ys + Math.min(o0 + 1, last) * ohw;
    int d2 = ys + Math.min(o0 + 2, last) * ohw;
    int d3 = ys + Math.min(o0 + 3, last) * ohw;
    int at = (r0 * cols + o0) * L, row = cols * L;
    FloatVector a00, a01, a02, a03;
    FloatVector a10, a11, a12, a13;
    FloatVector a20, a21, a22, a23;
    if (first) {
      a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = FloatVector.zero(S);
      a20 = a21 = a22 = a23 = a00;
    } else {
      a00 = FloatVector.fromArray(S, acc, at);
      a01 = FloatVector.fromArray(S, acc, at + L);
      a02 = FloatVector.fromArray(S, acc, at + 2 * L);
      a03 = FloatVector.fromArray(S, acc, at + 3 * L);
      a10 = FloatVector.fromArray(S, acc, at + row);
      a11 = FloatVector.fromArray(S, acc, at + row + L);
      a12 = FloatVector.fromArray(S, acc, at + row + 2 * L);
      a13 = FloatVector.fromArray(S, acc, at + row + 3 * L);
      a20 = FloatVector.fromArray(S, acc, at + 2 * row);
      a21 = FloatVector.fromArray(S, acc, at + 2 * row + L);
      a22 = FloatVector.fromArray(S, acc, at + 2 * row + 2 * L);
      a23 = FloatVector.fromArray(S, acc, at + 2 * row + 3 * L);
    }
    int oh = g.outH(), ow = g.outW(), rowStep = g.strideH() * g.inW(), whole = ow / L * L;
    // the last vector of a row starts at ow - L; its first whole + L - ow lanes were counted already
    FloatVector keep = FloatVector.fromArray(S, ZEROS_THEN_ONES, L - (whole + L - ow) % L);
    boolean tail = whole < ow;
    for (int i = 0; i < oh; i++) {
      int xb = xs + i * rowStep, yb = i * ow;
      for (int j = 0; j < whole; j += L) {
        FloatVector x0 = FloatVector.fromArray(S, x, xb + j + f0);
        FloatVector x1 = FloatVector.fromArray(S, x, xb + j + f1);
        FloatVector x2 = FloatVector.fromArray(S, x, xb + j + f2);
        FloatVector y = FloatVector.fromArray(S, dy, d0 + yb + j);
        a00 = x0.fma(y, a00);
        a10 = x1.fma(y, a10);
        a20 = x2.fma(y, a20);
        y = FloatVector.fromArray(S, dy, d1 + yb + j);
        a01 = x0.fma(y, a01);
        a11 = x1.fma(y, a11);
        a21 = x2.fma(y, a21);
        y = FloatVector.fromArray(S, dy, d2 + yb + j);
        a02 = x0.fma(y, a02);
        a12 = x1.fma(y, a12);
        a22 = x2.fma(y, a22);
        y = FloatVector.fromArray(S, dy, d3 + yb + j);
        a03 = x0.fma(y, a03);
        a13 = x1.fma(y, a13);
        a23 = x2.fma(y, a23);
      }
      if (tail) {
        int j = ow - L;
        FloatVector x0 = FloatVector.fromArray(S, x, xb + j + f0).mul(keep);
        FloatVector x1 = FloatVector.fromArray(S, x, xb + j + f1).mul(keep);
        FloatVector x2 = FloatVector.fromArray(S, x, xb + j + f2).mul(keep);
        FloatVector y = FloatVector.fromArray(S, dy, d0 + yb + j);
        a00 = x0.fma(y, a00);
        a10 = x1.fma(y, a10);
        a20 = x2.fma(y, a20);
        y = FloatVector.fromArray(S, dy, d1 + yb + j);
        a01 = x0.fma(y, a01);
        a11 = x1.fma(y, a11);
        a21 = x2.fma(y, a21);
        y = FloatVector.fromArray(S, dy, d2 + yb + j);
        a02 = x0.fma(y, a02);
        a12 = x1.fma(y, a12);
        a22 = x2.fma(y, a22);
        y = FloatVector.fromArray(S, dy, d3 + yb + j);
        a03 = x0.fma(y, a03);
        a13 = x1.fma(y, a13);
        a23 = x2.fma(y, a23);
      }
    }
    a00.intoArray(acc, at);
    a01.intoArray(acc, at + L);
    a02.intoArray(acc, at + 2 * L);
    a03.intoArray(acc, at + 3 * L);
    a10.intoArray(acc, at + row);
    a11.intoArray(acc, at + row + L);
    a12.intoArray(acc, at + row + 2 * L);
    a13.intoArray(acc, at + row + 3 * L);
    a20.intoArray(acc, at + 2 * row);
    a21.intoArray(acc, at + 2 * row + L);
    a22.intoArray(acc, at + 2 * row + 2 * L);
    a23.intoArray(acc, at + 2 * row + 3 * L);
  }


  /**
   * {@link #dwTile} with 4 rows x 4 vectors of filters, for 32 registers: 16 accumulators, one broadcast of
   * x per 4 FMAs (the 6 x 2 tile: per 2) and 4 loads of dy per 16 FMAs. (6 x 4 and 5 x 4 tiles, 24 and 20
   * accumulators, ran at about half its speed at FashionCnn's conv2 on the AVX-512 machine: C2 inlined
   * them fully, and they still lost; 6 x 3 and 4 x 3 pad its 64 filters to 96.)
   */
  private static void dwTileWide(Conv2dGeometry g, int[] offs, float[] x, int xs, int r0, float[] dyT, int cols, int c0,
      float[] c, int at, boolean first) {
    int f0 = offs[r0 + 0];
    int f1 = offs[r0 + 1];
    int f2 = offs[r0 + 2];
    int f3 = offs[r0 + 3];
    FloatVector c00, c01, c02, c03;
    FloatVector c10, c11, c12, c13;
    FloatVector c20, c21, c22, c23;
    FloatVector c30, c31, c32, c33;
    if (first) {
      c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = FloatVector.zero(S);
      c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c00;
    } else {
      c00 = FloatVector.fromArray(S, c, at);
      c01 = FloatVector.fromArray(S, c, at + L);
      c02 = FloatVector.fromArray(S, c, at + 2 * L);
      c03 = FloatVector.fromArray(S, c, at + 3 * L);
      c10 = FloatVector.fromArray(S, c, at + cols);
      c11 = FloatVector.fromArray(S, c, at + cols + L);
      c12 = FloatVector.fromArray(S, c, at + cols + 2 * L);
      c13 = FloatVector.fromArray(S, c, at + cols + 3 * L);
      c20 = FloatVector.fromArray(S, c, at + 2 * cols);
      c21 = FloatVector.fromArray(S, c, at + 2 * cols + L);
      c22 = FloatVector.fromArray(S, c, at + 2 * cols + 2 * L);
      c23 = FloatVector.fromArray(S, c, at + 2 * cols + 3 * L);
      c30 = FloatVector.fromArray(S, c, at + 3 * cols);
      c31 = FloatVector.fromArray(S, c, at + 3 * cols + L);
      c32 = FloatVector.fromArray(S, c, at + 3 * cols + 2 * L);
      c33 = FloatVector.fromArray(S, c, at + 3 * cols + 3 * L);
    }
    int oh = g.outH(), ow = g.outW(), rowStep = g.strideH() * g.inW(), sw = g.strideW();
    int k = c0;
    for (int i = 0; i < oh; i++) {
      int base = xs + i * rowStep;
      for (int j = 0; j < ow; j++, base += sw, k += cols) {
        FloatVector b0 = FloatVector.fromArray(S, dyT, k);
        FloatVector b1 = FloatVector.fromArray(S, dyT, k + L);
        FloatVector b2 = FloatVector.fromArray(S, dyT, k + 2 * L);
        FloatVector b3 = FloatVector.fromArray(S, dyT, k + 3 * L);
        FloatVector a = FloatVector.broadcast(S, x[base + f0]);
        c00 = a.fma(b0, c00);
        c01 = a.fma(b1, c01);
        c02 = a.fma(b2, c02);
        c03 = a.fma(b3, c03);
        a = FloatVector.broadcast(S, x[base + f1]);
        c10 = a.fma(b0, c10);
        c11 = a.fma(b1, c11);
        c12 = a.fma(b2, c12);
        c13 = a.fma(b3, c13);
        a = FloatVector.broadcast(S, x[base + f2]);
        c20 = a.fma(b0, c20);
        c21 = a.fma(b1, c21);
        c22 = a.fma(b2, c22);
        c23 = a.fma(b3, c23);
        a = FloatVector.broadcast(S, x[base + f3]);
        c30 = a.fma(b0, c30);
        c31 = a.fma(b1, c31);
        c32 = a.fma(b2, c32);
        c33 = a.fma(b3, c33);
      }
    }
    c00.intoArray(c, at);
    c01.intoArray(c, at + L);
    c02.intoArray(c, at + 2 * L);
    c03.intoArray(c, at + 3 * L);
    c10.intoArray(c, at + cols);
    c11.intoArray(c, at + cols + L);
    c12.intoArray(c, at + cols + 2 * L);
    c13.intoArray(c, at + cols + 3 * L);
    c20.intoArray(c, at + 2 * cols);
    c21.intoArray(c, at + 2 * cols + L);
    c22.intoArray(c, at + 2 * cols + 2 * L);
    c23.intoArray(c, at + 2 * cols + 3 * L);
    c30.intoArray(c, at + 3 * cols);
    c31.intoArray(c, at + 3 * cols + L);
    c32.intoArray(c, at + 3 * cols + 2 * L);
    c33.intoArray(c, at + 3 * cols + 3 * L);
  }

  /**
   * Each implicit geometry's {@link #dwRowOffset} of its patch rows, then 0 for as many rows as a tile has
   * (the rows past the patch): the tiles read them instead of dividing by the kernel's sizes per call.
   */
  private static final java.util.concurrent.ConcurrentHashMap<Conv2dGeometry, int[]> DW_OFFSETS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static int[] dwOffsets(Conv2dGeometry g) {
    return DW_OFFSETS.computeIfAbsent(g, h -> {
      int[] offs = new int[h.patchSize() + DW_ROWS];
      for (int r = 0; r < offs.length; r++) {
        offs[r] = dwRowOffset(h, r);
      }
      return offs;
    });
  }

  /** Offset in a sample's input of patch row r = (c, kh, kw) from a window's corner; 0 past the patch. */
  private static int dwRowOffset(Conv2dGeometry g, int r) {
    if (r >= g.patchSize()) {
      return 0;
    }
    int kk = g.kH() * g.kW();
    return r / kk * g.inH() * g.inW() + r / g.kW() % g.kH() * g.dilationH() * g.inW() + r % g.kW() * g.dilationW();
  }

  /**
   * Rows [r0, r1) of the im2col matrix of one group: row {@code r = (c·kH + kh)·kW + kw}, column
   * {@code i·OW + j} holds {@code x[c, i·sH - padTop + kh·dH, j·sW - padLeft + kw·dW]} (0 in the padding).
   */
  static void im2col(Conv2dGeometry g, float[] x, int xg, int r0, int r1, float[] cols) {
    int oh = g.outH(), ow = g.outW(), kk = g.kH() * g.kW(), sw = g.strideW();
    for (int r = r0; r < r1; r++) {
      int c = r / kk, kh = r / g.kW() % g.kH(), kw = r % g.kW();
      int shift = kw * g.dilationW() - g.padLeft();
      int jLo = Math.min(ow, validFrom(shift, sw)), jHi = Math.max(jLo, validTo(shift, sw, g.inW(), ow));
      int xc = xg + c * g.inH() * g.inW();
      for (int i = 0; i < oh; i++) {
        int d = (r - r0) * oh * ow + i * ow;
        int ih = i * g.strideH() - g.padTop() + kh * g.dilationH();
        if (ih < 0 || ih >= g.inH()) {
          Arrays.fill(cols, d, d + ow, 0f);
          continue;
        }
        int src = xc + ih * g.inW() + shift;
        Arrays.fill(cols, d, d + jLo, 0f);
        if (sw == 1) {
          System.arraycopy(x, src + jLo, cols, d + jLo, jHi - jLo);
        } else {
          for (int j = jLo; j < jHi; j++) {
            cols[d + j] = x[src + j * sw];
          }
        }
        Arrays.fill(cols, d + jHi, d + ow, 0f);
      }
    }
  }

  /** dx[group's channels] += the columns of dcol[CKK, OHW] scattered back to where im2col read them. */
  static void col2im(Conv2dGeometry g, float[] cols, float[] dx, int xg) {
    int oh = g.outH(), ow = g.outW(), kk = g.kH() * g.kW(), sw = g.strideW();
    for (int r = 0; r < g.patchSize(); r++) {
      int c = r / kk, kh = r / g.kW() % g.kH(), kw = r % g.kW();
      int shift = kw * g.dilationW() - g.padLeft();
      int jLo = Math.min(ow, validFrom(shift, sw)), jHi = Math.max(jLo, validTo(shift, sw, g.inW(), ow));
      int xc = xg + c * g.inH() * g.inW();
      for (int i = 0; i < oh; i++) {
        int ih = i * g.strideH() - g.padTop() + kh * g.dilationH();
        if (ih < 0 || ih >= g.inH()) {
          continue;
        }
        int d = r * oh * ow + i * ow;
        int dst = xc + ih * g.inW() + shift;
        if (sw == 1) {
          addInto(cols, d + jLo, dx, dst + jLo, jHi - jLo);
        } else {
          for (int j = jLo; j < jHi; j++) {
            dx[dst + j * sw] += cols[d + j];
          }
        }
      }
    }
  }

  /** First output column j with {@code j·stride + shift >= 0}. */
  private static int validFrom(int shift, int stride) {
    return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  }

  /** One past the last output column j (at most outW) with {@code j·stride + shift < in}. */
  private static int validTo(int shift, int stride, int in, int outW) {
    int span = in - shift;
    return span <= 0 ? 0 : Math.min(outW, (span + stride - 1) / stride);
  }

  /** dst[len] += src[len]. */
  static void addInto(float[] src, int s, float[] dst, int d, int len) {
    int i = 0;
    for (; i <= len - L; i += L) {
      FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
    }
    // A scalar tail, not a masked vector: after pooling's gathers and mask blends had run in the same
    // JVM, C2 boxed this method's masked load with the 128-bit species (AllocationFreeTest).
    for (; i < len; i++) {
      dst[d + i] += src[s + i];
    }
  }

  /** Σ a[off, off+len): lanewise partial sums, then the lanes in a fixed order. */
  static float sum(float[] a, int off, int len) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i <= len - L; i += L) {
      acc = acc.add(FloatVector.fromArray(S, a, off + i));
    }
    float s = 0f;
    for (int lane = 0; lane < L; lane++) {
      s += acc.lane(lane);
    }
    for (; i < len; i++) {
      s += a[off + i];
    }
    return s;
  }

  /** This thread's buffer {@code slot}, at least {@code size} floats. */
  private static float[] scratch(int slot, int size) {
    float[][] holder = SCRATCH.get();
    if (holder[slot].length < size) {
      holder[slot] = new float[size];
    }
    return holder[slot];
  }
}
