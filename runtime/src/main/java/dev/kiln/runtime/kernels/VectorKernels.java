package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels. Loaded only when {@link Backend#VECTOR} is true, because it links against
 * {@code jdk.incubator.vector}.
 *
 * <p>Every GEMM layout runs through one driver, {@link #gemm}, over a strided A and a row-major B:
 * {@code C[i,j] (+)= Σp A(i,p)·B[p,j]} with {@code A(i,p) = a[aOff + i·ars + p·acs]}. A·B uses
 * (ars, acs) = (k, 1), Aᵀ·B uses (1, m), and A·Bᵀ first transposes B into a per-thread scratch buffer.
 * The micro-kernels are small separate methods on purpose: C2 compiles them on their own, keeps the
 * accumulators in registers and never boxes a vector (one big method ran 20x slower).
 *
 * <p>No vector masks: a column tail narrower than the tile runs the same whole-vector kernels over a
 * zero-padded copy of its strip of B and a scratch C tile, of which only the valid columns are copied
 * back; the 1-row path and the epilogues finish their last (width mod L) columns with scalar code.
 * Mask code is shared by every kernel that uses it, so one kernel's profile could make C2 box another's
 * vectors (see the spatial kernels); the padded tail is also faster than two masked 1-vector passes.
 *
 * <p>Determinism: every output element is one sequential chain of fused multiply-adds over p, in
 * k-blocks of at most {@link #KC} stored to C in between (exact), whichever kernel variant (full tile, padded
 * column tail, 1-row vector, scalar {@code Math.fma} row tail) or thread computes it, so results do not
 * depend on the thread count or the tile split.
 */
final class VectorKernels {
  static final VectorSpecies<Float> S = VectorShape.FLOAT;
  static final int L = S.length();
  /** Rows of the main register tile: 8 with 32 vector registers, 4 with 16 (see {@link VectorShape}). */
  static final int TM = VectorShape.TILE_ROWS;
  /** Rows of the small tile that takes the rows left over by TM-row tiles. */
  private static final int MR = 4;
  /** Columns of a micro-tile: two vectors. */
  private static final int NR = 2 * L;
  /**
   * Longest k-block: a KC×NR panel of B of 16 KB stays in L1 while the band's rows stream over it (128
   * steps with 16 lanes, 256 with 8). Longer blocks load and store each C tile fewer times: on one
   * Zen 3 core (AVX2) 256 steps instead of 128 ran the 128-row GEMMs about 5-10 % faster.
   */
  private static final int KC = 4096 / NR;
  /** Rows of a band: the unit of parallel work and of the softmax epilogue. */
  private static final int MB = 64;
  /** Bands grow to about this many rows when there are enough rows: fewer re-packs of B. */
  private static final int MB_MAX = 256;
  /** The tallest band {@link #bandHeight} returns (MB_MAX rounded up to whole TM-row tiles), whose A a thread packs. */
  private static final int A_PANEL_ROWS = MB_MAX + TM;

  private static final int INIT_ZERO = 0;
  private static final int INIT_LOAD = 1;
  private static final int INIT_BIAS = 2;

  static final int EPI_NONE = 0;
  /** y = act(c) on each finished tile; softmax per band once its rows are complete. */
  static final int EPI_FORWARD = 1;
  /** c *= act'(y, z) ⊙ mask on each finished tile. */
  static final int EPI_BACKWARD = 2;

  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);
  private static final ThreadLocal<Scratch> SCRATCH_TILES = ThreadLocal.withInitial(Scratch::new);

  /** A thread's buffers for the register tiles: a packed panel of B, and a padded C tile and bias for column tails. */
  private static final class Scratch {
    final float[] panel = new float[KC * NR];
    final float[] tile = new float[TM * NR];
    final float[] bias = new float[NR];
    /** A band's rows of A for one k-block, packed tile by tile (see {@link #packA}). */
    final float[] aPanel = new float[A_PANEL_ROWS * KC];
  }

  private VectorKernels() {}

  // ---- public-facing layouts --------------------------------------------------------------

  static void gemmNn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, boolean acc) {
    gemm(m, n, k, a, aOff, k, 1, b, bOff, c, cOff, acc, null, 0, EPI_NONE, Activation.LINEAR, 0f,
        null, 0, null, 0, null, 0);
  }

  static void gemmTn(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, boolean acc) {
    gemm(m, n, k, a, aOff, 1, m, b, bOff, c, cOff, acc, null, 0, EPI_NONE, Activation.LINEAR, 0f,
        null, 0, null, 0, null, 0);
  }

  static void gemmNt(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, boolean acc) {
    float[] t = transposeToScratch(n, k, b, bOff);
    gemm(m, n, k, a, aOff, k, 1, t, 0, c, cOff, acc, null, 0, EPI_NONE, Activation.LINEAR, 0f,
        null, 0, null, 0, null, 0);
  }

  static void denseForward(int n, int in, int out, float[] x, int xOff, float[] w, int wOff, float[] b, int bOff,
      Activation act, float alpha, float[] y, int yOff, float[] z, int zOff) {
    float[] t = z != null ? z : y;
    int tOff = z != null ? zOff : yOff;
    int epi = act == Activation.LINEAR && z == null ? EPI_NONE : EPI_FORWARD;
    gemm(n, out, in, x, xOff, in, 1, w, wOff, t, tOff, false, b, bOff, epi, act, alpha, y, yOff, null, 0, null, 0);
  }

  static void denseBackwardInput(int n, int in, int out, float[] dz, int dzOff, float[] w, int wOff,
      float[] dx, int dxOff, Activation prevAct, float prevAlpha,
      float[] prevY, int prevYOff, float[] prevZ, int prevZOff, float[] mask, int maskOff) {
    // dx[n,in] = dz[n,out]·w[in,out]ᵀ: B = wᵀ[out,in], packed once.
    float[] t = transposeToScratch(in, out, w, wOff);
    int epi = prevAct == Activation.LINEAR && mask == null ? EPI_NONE : EPI_BACKWARD;
    gemm(n, in, out, dz, dzOff, out, 1, t, 0, dx, dxOff, false, null, 0, epi, prevAct, prevAlpha,
        prevY, prevYOff, prevZ, prevZOff, mask, maskOff);
  }

  static void denseBackwardParams(int n, int in, int out, float[] x, int xOff, float[] dz, int dzOff,
      float[] dw, int dwOff, float[] db, int dbOff) {
    // dw[in,out] += x[n,in]ᵀ·dz[n,out]
    gemmTn(in, out, n, x, xOff, dz, dzOff, dw, dwOff, true);
    if (db != null) {
      columnSums(n, out, dz, dzOff, db, dbOff);
    }
  }

  // ---- GEMM driver ------------------------------------------------------------------------

  /** C[m,n] (+)= A(m,k)·B[k,n] (+ bias[n]) with an optional epilogue; see the class comment. */
  static void gemm(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff,
          float[] c, int cOff, boolean acc, float[] bias, int biasOff,
          int epi, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
          float[] mask, int maskOff) {
    if (m == 0 || n == 0) {
      return;
    }
    int threads = Parallelism.threads();
    if (!Parallelism.worthSplitting(2L * m * n * k, false)) {
      int bh = bandHeight(m, 1);
      for (int i = 0; i < m; i += bh) {
        block(i, Math.min(m, i + bh), 0, n, n, k, a, aOff, ars, acs, b, bOff, c, cOff, acc, bias, biasOff,
            epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
      }
      return;
    }
    int bh = bandHeight(m, threads);
    int bands = (m + bh - 1) / bh;
    // A small batch (down to 1 row) is split into one column chunk per thread instead, so every core
    // works and keeps reading the same columns of B (its slice stays in that core's cache). When the
    // bands do not divide evenly among the threads (13 bands on 2 threads would leave one thread
    // idle for a whole band), each band is split into one column chunk per thread as well.
    int chunks = bands >= threads && bands % threads == 0 ? 1
        : bands >= threads ? threads
        : Math.max(1, threads / bands);
    chunks = Math.max(1, Math.min((n + NR - 1) / NR, chunks));
    int chunkWidth = ((n + chunks - 1) / chunks + NR - 1) / NR * NR;
    int chunkCount = (n + chunkWidth - 1) / chunkWidth;
    GemmJob job = GemmJob.CACHE.acquire();
    try {
      job.set(m, n, k, bh, chunkCount, chunkWidth, a, aOff, ars, acs, b, bOff, c, cOff, acc, bias, biasOff,
          epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
      Parallelism.forEach(bands * chunkCount, job);
    } finally {
      GemmJob.CACHE.release(job);
    }
    if (chunkCount > 1 && epi == EPI_FORWARD && act == Activation.SOFTMAX) {
      for (int r = 0; r < m; r++) {
        ActivationMath.softmaxRow(c, cOff + r * n, y, yOff + r * n, n);
      }
    }
  }

  /**
   * Rows per band. Up to MB·threads rows: MB (small batches are split by columns instead). Above
   * that: bands of at most about MB_MAX rows (every band packs each KC×NR panel of B it uses, so taller
   * bands read B fewer times), as many as a multiple of the thread count, at least two per thread,
   * and of equal height rounded up to whole TM-row tiles, so the threads finish together
   * (784 rows on 2 threads: 200, 200, 200, 184 rather than 256, 256, 256, 16).
   */
  static int bandHeight(int m, int threads) {
    if (m <= MB * threads) {
      return MB;
    }
    int bands = (m + MB_MAX - 1) / MB_MAX;
    if (threads > 1) {
      bands = Math.max(bands, Math.min(2 * threads, (m + MB - 1) / MB));
      bands = (bands + threads - 1) / threads * threads;
    }
    int bh = (m + bands - 1) / bands;
    return (bh + TM - 1) / TM * TM;
  }

  /** The arguments of one parallel GEMM, as a reusable task (see {@link Parallelism.TaskCache}). */
  private static final class GemmJob implements Parallelism.ReusableTask {
    static final Parallelism.TaskCache<GemmJob> CACHE = new Parallelism.TaskCache<>(GemmJob::new);
    private int m, n, k, bh, chunkCount, chunkWidth, aOff, ars, acs, bOff, cOff, biasOff, epi, yOff, zOff, maskOff;
    private float[] a, b, c, bias, y, z, mask;
    private boolean acc;
    private Activation act;
    private float alpha;

    @Override
    public void clear() {
      a = b = c = bias = y = z = mask = null;
    }

    void set(int m, int n, int k, int bh, int chunkCount, int chunkWidth, float[] a, int aOff, int ars, int acs,
        float[] b, int bOff, float[] c, int cOff, boolean acc, float[] bias, int biasOff, int epi,
        Activation act, float alpha, float[] y, int yOff, float[] z, int zOff, float[] mask, int maskOff) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.bh = bh;
      this.chunkCount = chunkCount;
      this.chunkWidth = chunkWidth;
      this.a = a;
      this.aOff = aOff;
      this.ars = ars;
      this.acs = acs;
      this.b = b;
      this.bOff = bOff;
      this.c = c;
      this.cOff = cOff;
      this.acc = acc;
      this.bias = bias;
      this.biasOff = biasOff;
      this.epi = epi;
      this.act = act;
      this.alpha = alpha;
      this.y = y;
      this.yOff = yOff;
      this.z = z;
      this.zOff = zOff;
      this.mask = mask;
      this.maskOff = maskOff;
    }

    @Override
    public void run(int task) {
      int i0 = (task / chunkCount) * bh;
      int j0 = (task % chunkCount) * chunkWidth;
      block(i0, Math.min(m, i0 + bh), j0, Math.min(n, j0 + chunkWidth), n, k, a, aOff, ars, acs, b, bOff,
          c, cOff, acc, bias, biasOff, epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
    }
  }

  /**
   * Rows [i0,i1) × columns [j0,j1) of C[m,n] (a band of at most MB_MAX rows). Rows in whole TM-row
   * tiles run through the main TM×2-vector kernels, the next whole 4-row tiles through the 4-row
   * kernels. When several tiles and column strips share them, the tiles' rows of A are packed once per
   * k-block into contiguous micro-panels (row by row, or step by step when A is stored transposed; see
   * {@link #packA}) and each NR-wide strip of B into a contiguous KC×NR panel, and
   * the kernels read both at constant strides, so C2 hoists every range check out of their loops (with
   * A read in place at a variable stride it kept one per load; a row-major B or A with a power-of-two
   * row stride would also map every row onto the same L1 sets); the last rows run through the 1-row
   * kernels over strips up to 8 vectors wide, so
   * even one sample keeps several independent FMA chains busy and reads each row of B as one
   * contiguous run. Which main kernel runs is decided by the constant TM, so C2 folds the choice away.
   */
  private static void block(int i0, int i1, int j0, int j1, int n, int k, float[] a, int aOff, int ars, int acs,
      float[] b, int bOff, float[] c, int cOff, boolean acc, float[] bias, int biasOff,
      int epi, Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] mask, int maskOff) {
    // Packed: at least two 4-row tiles, k > 1 and more than one strip of columns to reuse packed A over.
    // Then A's rows in tiles are packed once per k-block (packA) and B once per strip (packPanel), and
    // the tiles run the constant-stride kernels. Else (a band of up to 7 rows, or an output at most NR
    // wide, such as a 10-way classifier, where packing A cost more than it saved) 4-row tiles read A in
    // place, and the rest runs row by row.
    boolean pack = i1 - i0 >= 2 * MR && k > 1 && j1 - j0 > NR;
    // The packed layout of A that is a plain copy (see packA): row by row when A's rows are contiguous.
    boolean rows = acs == 1;
    // Equal k-blocks of at most KC (with KC = 128, 784 = 7 x 112, not 6 x 128 + 16): every block pays a load and a
    // store of each C tile and a call per tile, which a short last block would not amortise.
    int kb = Math.max(1, (k + KC - 1) / KC);
    int kcMax = (k + kb - 1) / kb;
    int mainEnd = pack ? i0 + (i1 - i0) / TM * TM : i0;
    int full = mainEnd + (i1 - mainEnd) / MR * MR;
    Scratch scratch = full > i0 ? SCRATCH_TILES.get() : null;
    int pc = 0;
    do {
      int kc = Math.min(kcMax, k - pc);
      boolean last = pc + kc >= k;
      int init = acc || pc > 0 ? INIT_LOAD : bias != null ? INIT_BIAS : INIT_ZERO;
      if (full > i0) {
        if (pack) {
          for (int i = i0; i < full; ) {
            int h = i < mainEnd ? TM : MR;
            packA(rows, h, kc, a, aOff + i * ars + pc * acs, ars, acs, scratch.aPanel, (i - i0) * kc);
            i += h;
          }
        }
        for (int j = j0; j < j1; j += NR) {
          int w = Math.min(NR, j1 - j);
          if (w == NR) {
            if (pack) {
              packPanel(kc, b, bOff + pc * n + j, n, scratch.panel);
            }
            for (int i = i0; i < full; ) {
              int h = i < mainEnd ? TM : MR;
              int ci = cOff + i * n + j;
              if (!pack) {
                k4x2(kc, a, aOff + i * ars + pc * acs, ars, acs, b, bOff + pc * n + j, n, c, ci, n, init,
                    bias, biasOff + j);
              } else {
                tilePacked(rows, h, kc, scratch.aPanel, (i - i0) * kc, scratch.panel, c, ci, n, init, bias, biasOff + j);
              }
              if (last && epi != EPI_NONE) {
                epilogue(i * n + j, h, w, n, c, cOff, epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
              }
              i += h;
            }
          } else {
            // Column tail: whole-vector kernels over a zero-padded copy of the strip of B and a scratch
            // C tile, of which only the w valid columns are read from and written back to C.
            boolean two = w > L;
            int ld = two ? NR : L;
            float[] panel = scratch.panel, tile = scratch.tile, bpad = scratch.bias;
            packPadded(kc, w, ld, b, bOff + pc * n + j, n, panel);
            if (init == INIT_BIAS) {
              System.arraycopy(bias, biasOff + j, bpad, 0, w);
              java.util.Arrays.fill(bpad, w, ld, 0f);
            }
            for (int i = i0; i < full; ) {
              int h = i < mainEnd ? TM : MR;
              int ci = cOff + i * n + j;
              if (init == INIT_LOAD) {
                for (int r = 0; r < h; r++) {
                  System.arraycopy(c, ci + r * n, tile, r * ld, w);
                }
              }
              if (!pack) {
                tile4(two, kc, a, aOff + i * ars + pc * acs, ars, acs, panel, 0, ld, tile, 0, ld, init, bpad, 0);
              } else if (two) {
                tilePacked(rows, h, kc, scratch.aPanel, (i - i0) * kc, panel, tile, 0, ld, init, bpad, 0);
              } else if (h == TM) {
                tileMain1(kc, scratch.aPanel, (i - i0) * kc, rows ? kc : 1, rows ? 1 : h, panel, 0, ld, tile, 0, ld,
                    init, bpad, 0);
              } else {
                k4x1(kc, scratch.aPanel, (i - i0) * kc, rows ? kc : 1, rows ? 1 : h, panel, 0, ld, tile, 0, ld,
                    init, bpad, 0);
              }
              for (int r = 0; r < h; r++) {
                System.arraycopy(tile, r * ld, c, ci + r * n, w);
              }
              if (last && epi != EPI_NONE) {
                epilogue(i * n + j, h, w, n, c, cOff, epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
              }
              i += h;
            }
          }
        }
      }
      for (int i = full; i < i1; i++) {
        for (int j = j0; j < j1; j += 8 * L) {
          int w = Math.min(8 * L, j1 - j);
          row(w, kc, a, aOff + i * ars + pc * acs, acs, b, bOff + pc * n + j, n, c, cOff + i * n + j,
              init, bias, biasOff + j);
          if (last && epi != EPI_NONE) {
            epilogue(i * n + j, 1, w, n, c, cOff, epi, act, alpha, y, yOff, z, zOff, mask, maskOff);
          }
        }
      }
      pc += kcMax;
    } while (pc < k);
    if (epi == EPI_FORWARD && act == Activation.SOFTMAX && j0 == 0 && j1 == n) {
      for (int r = i0; r < i1; r++) {
        ActivationMath.softmaxRow(c, cOff + r * n, y, yOff + r * n, n);
      }
    }
  }

  /** The activation (forward) or derivative-and-mask (backward) epilogue of one finished h×w tile at {@code rel}. */
  private static void epilogue(int rel, int h, int w, int n, float[] c, int cOff, int epi, Activation act, float alpha,
      float[] y, int yOff, float[] z, int zOff, float[] mask, int maskOff) {
    if (epi == EPI_FORWARD) {
      if (act != Activation.SOFTMAX) {
        forwardTile(act, alpha, c, cOff + rel, y, yOff + rel, h, w, n);
      }
    } else {
      backwardTile(act, alpha, y, yOff + rel, z, zOff + rel, mask, maskOff + rel, c, cOff + rel, h, w, n);
    }
  }

  /**
   * Packs the h×kc block A(r, p) = a[ai + r·ars + p·acs] of one register tile for one k-block, in the
   * layout that is a plain copy for A's storage: {@code rows} (acs = 1, A's rows contiguous: A·B, A·Bᵀ)
   * keeps each row's kc values contiguous, dst[off + r·kc + p], one arraycopy per row; otherwise (A
   * stored transposed, ars = 1: Aᵀ·B) the h values of step p are adjacent, dst[off + p·h + r]. Either way the
   * kernels then read A at constant strides. A transposing pack cost more than it saved: the scalar
   * gather into the step-major layout took 15-20 % of a 128x784x256 A·B on one Zen 3 core.
   */
  private static void packA(boolean rows, int h, int kc, float[] a, int ai, int ars, int acs, float[] dst, int off) {
    if (rows) {
      for (int r = 0; r < h; r++) {
        System.arraycopy(a, ai + r * ars, dst, off + r * kc, kc);
      }
    } else {
      // Aᵀ·B: the h values of step p are adjacent in A too (an arraycopy call per step cost more).
      for (int p = 0; p < kc; p++) {
        int src = ai + p * acs, d = off + p * h;
        for (int r = 0; r < h; r++) {
          dst[d + r] = a[src + r * ars];
        }
      }
    }
  }

  /** Copies B[kc rows, NR columns] (row stride ldb) into a contiguous kc×NR panel. */
  private static void packPanel(int kc, float[] b, int bi, int ldb, float[] panel) {
    for (int p = 0; p < kc; p++) {
      int src = bi + p * ldb;
      int dst = p * NR;
      FloatVector.fromArray(S, b, src).intoArray(panel, dst);
      FloatVector.fromArray(S, b, src + L).intoArray(panel, dst + L);
    }
  }

  /** Copies B[kc rows, w < NR columns] (row stride ldb) into a kc×ld panel, zeroing columns w..ld-1. */
  private static void packPadded(int kc, int w, int ld, float[] b, int bi, int ldb, float[] panel) {
    for (int p = 0; p < kc; p++) {
      int dst = p * ld;
      System.arraycopy(b, bi + p * ldb, panel, dst, w);
      for (int j = w; j < ld; j++) {
        panel[dst + j] = 0f;
      }
    }
  }

  /** A TM×L tile (a column tail) through the one-vector kernels of this register file's tile height. */
  private static void tileMain1(int kc, float[] a, int ai, int ars, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int ldc, int init, float[] bias, int bsi) {
    k4x1(kc, a, ai, ars, acs, b, bi, ldb, c, ci, ldc, init, bias, bsi);
    if (TM == 8) {
      k4x1(kc, a, ai + 4 * ars, ars, acs, b, bi, ldb, c, ci + 4 * ldc, ldc, init, bias, bsi);
    }
  }

  /**
   * An h×2L tile (h = TM or MR) over A packed by {@link #packA} in either layout and a packed panel of
   * B, through the packed kernel of that layout and height. TM is a constant, so C2 folds the choice
   * of height away.
   */
  private static void tilePacked(boolean rows, int h, int kc, float[] a, int ai, float[] b, float[] c, int ci,
      int ldc, int init, float[] bias, int bsi) {
    if (TM == 8 && h == 8) {
      if (rows) {
        k8x2r(kc, a, ai, b, c, ci, ldc, init, bias, bsi);
      } else {
        k8x2p(kc, a, ai, b, c, ci, ldc, init, bias, bsi);
      }
    } else if (rows) {
      k4x2r(kc, a, ai, b, c, ci, ldc, init, bias, bsi);
    } else {
      k4x2p(kc, a, ai, b, c, ci, ldc, init, bias, bsi);
    }
  }

  /** A 4×2L tile ({@code two}) or 4×L tile. */
  private static void tile4(boolean two, int kc, float[] a, int ai, int ars, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int ldc, int init, float[] bias, int bsi) {
    if (two) {
      k4x2(kc, a, ai, ars, acs, b, bi, ldb, c, ci, ldc, init, bias, bsi);
    } else {
      k4x1(kc, a, ai, ars, acs, b, bi, ldb, c, ci, ldc, init, bias, bsi);
    }
  }

  /**
   * A 1×w strip (w <= 8L) of C through the widest 1-row micro-kernels that fit; the last w mod L
   * columns by a scalar loop (one fused multiply-add chain per element, as in a vector lane).
   */
  private static void row(int w, int kc, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    if (w == 8 * L) {
      k1x8(kc, a, ai, acs, b, bi, ldb, c, ci, init, bias, bsi);
      return;
    }
    int j = 0;
    if (w >= 4 * L) {
      k1x4(kc, a, ai, acs, b, bi, ldb, c, ci, init, bias, bsi);
      j = 4 * L;
    }
    for (; j + NR <= w; j += NR) {
      k1x2(kc, a, ai, acs, b, bi + j, ldb, c, ci + j, init, bias, bsi + j);
    }
    for (; j + L <= w; j += L) {
      k1x1(kc, a, ai, acs, b, bi + j, ldb, c, ci + j, init, bias, bsi + j);
    }
    if (j < w) {
      rowTail(kc, w - j, a, ai, acs, b, bi + j, ldb, c, ci + j, init, bias, bsi + j);
    }
  }

  // ---- micro-kernels ----------------------------------------------------------------------

  /**
   * C[8, 2L] (init) + Σp A(p, 8 rows)·B[p, 2L] over packed operands: A as packed by {@link #packA}
   * (the 8 values of step p at {@code ai + 8p}), B as a KC×NR panel from 0. The constant strides let C2
   * hoist the range checks out of the loop and unroll it (the strided kernels keep a check per load).
   */
  private static void k8x2p(int kc, float[] a, int ai, float[] b, float[] c, int ci, int ldc, int init,
      float[] bias, int bsi) {
    FloatVector s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51, s60, s61, s70, s71;
    if (init == INIT_LOAD) {
      s00 = FloatVector.fromArray(S, c, ci);
      s01 = FloatVector.fromArray(S, c, ci + L);
      s10 = FloatVector.fromArray(S, c, ci + ldc);
      s11 = FloatVector.fromArray(S, c, ci + ldc + L);
      s20 = FloatVector.fromArray(S, c, ci + 2 * ldc);
      s21 = FloatVector.fromArray(S, c, ci + 2 * ldc + L);
      s30 = FloatVector.fromArray(S, c, ci + 3 * ldc);
      s31 = FloatVector.fromArray(S, c, ci + 3 * ldc + L);
      s40 = FloatVector.fromArray(S, c, ci + 4 * ldc);
      s41 = FloatVector.fromArray(S, c, ci + 4 * ldc + L);
      s50 = FloatVector.fromArray(S, c, ci + 5 * ldc);
      s51 = FloatVector.fromArray(S, c, ci + 5 * ldc + L);
      s60 = FloatVector.fromArray(S, c, ci + 6 * ldc);
      s61 = FloatVector.fromArray(S, c, ci + 6 * ldc + L);
      s70 = FloatVector.fromArray(S, c, ci + 7 * ldc);
      s71 = FloatVector.fromArray(S, c, ci + 7 * ldc + L);
    } else if (init == INIT_BIAS) {
      s00 = s10 = s20 = s30 = s40 = s50 = s60 = s70 = FloatVector.fromArray(S, bias, bsi);
      s01 = s11 = s21 = s31 = s41 = s51 = s61 = s71 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = s40 = s41 = s50 = s51 = s60 = s61 = s70 = s71 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      int bp = p * NR;
      int ap = ai + p * 8;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
      x = FloatVector.broadcast(S, a[ap + 4]);
      s40 = x.fma(b0, s40);
      s41 = x.fma(b1, s41);
      x = FloatVector.broadcast(S, a[ap + 5]);
      s50 = x.fma(b0, s50);
      s51 = x.fma(b1, s51);
      x = FloatVector.broadcast(S, a[ap + 6]);
      s60 = x.fma(b0, s60);
      s61 = x.fma(b1, s61);
      x = FloatVector.broadcast(S, a[ap + 7]);
      s70 = x.fma(b0, s70);
      s71 = x.fma(b1, s71);
    }
    s00.intoArray(c, ci);
    s01.intoArray(c, ci + L);
    s10.intoArray(c, ci + ldc);
    s11.intoArray(c, ci + ldc + L);
    s20.intoArray(c, ci + 2 * ldc);
    s21.intoArray(c, ci + 2 * ldc + L);
    s30.intoArray(c, ci + 3 * ldc);
    s31.intoArray(c, ci + 3 * ldc + L);
    s40.intoArray(c, ci + 4 * ldc);
    s41.intoArray(c, ci + 4 * ldc + L);
    s50.intoArray(c, ci + 5 * ldc);
    s51.intoArray(c, ci + 5 * ldc + L);
    s60.intoArray(c, ci + 6 * ldc);
    s61.intoArray(c, ci + 6 * ldc + L);
    s70.intoArray(c, ci + 7 * ldc);
    s71.intoArray(c, ci + 7 * ldc + L);
  }

  /**
   * C[4, 2L] (init) + Σp A(p, 4 rows)·B[p, 2L] over packed operands: A as packed by {@link #packA}
   * (the 4 values of step p at {@code ai + 4p}), B as a KC×NR panel from 0. The constant strides let C2
   * hoist the range checks out of the loop and unroll it (the strided kernels keep a check per load).
   */
  private static void k4x2p(int kc, float[] a, int ai, float[] b, float[] c, int ci, int ldc, int init,
      float[] bias, int bsi) {
    FloatVector s00, s01, s10, s11, s20, s21, s30, s31;
    if (init == INIT_LOAD) {
      s00 = FloatVector.fromArray(S, c, ci);
      s01 = FloatVector.fromArray(S, c, ci + L);
      s10 = FloatVector.fromArray(S, c, ci + ldc);
      s11 = FloatVector.fromArray(S, c, ci + ldc + L);
      s20 = FloatVector.fromArray(S, c, ci + 2 * ldc);
      s21 = FloatVector.fromArray(S, c, ci + 2 * ldc + L);
      s30 = FloatVector.fromArray(S, c, ci + 3 * ldc);
      s31 = FloatVector.fromArray(S, c, ci + 3 * ldc + L);
    } else if (init == INIT_BIAS) {
      s00 = s10 = s20 = s30 = FloatVector.fromArray(S, bias, bsi);
      s01 = s11 = s21 = s31 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      int bp = p * NR;
      int ap = ai + p * 4;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[ap]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      x = FloatVector.broadcast(S, a[ap + 1]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      x = FloatVector.broadcast(S, a[ap + 2]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      x = FloatVector.broadcast(S, a[ap + 3]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
    }
    s00.intoArray(c, ci);
    s01.intoArray(c, ci + L);
    s10.intoArray(c, ci + ldc);
    s11.intoArray(c, ci + ldc + L);
    s20.intoArray(c, ci + 2 * ldc);
    s21.intoArray(c, ci + 2 * ldc + L);
    s30.intoArray(c, ci + 3 * ldc);
    s31.intoArray(c, ci + 3 * ldc + L);
  }

  /** As {@link #k8x2p}, with A packed row by row (packA's {@code rows} layout): row r's value of
   * step p at {@code ai + r·kc + p}, every index the step plus a loop-invariant base. */
  private static void k8x2r(int kc, float[] a, int ai, float[] b, float[] c, int ci, int ldc, int init,
      float[] bias, int bsi) {
    FloatVector s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51, s60, s61, s70, s71;
    if (init == INIT_LOAD) {
      s00 = FloatVector.fromArray(S, c, ci);
      s01 = FloatVector.fromArray(S, c, ci + L);
      s10 = FloatVector.fromArray(S, c, ci + ldc);
      s11 = FloatVector.fromArray(S, c, ci + ldc + L);
      s20 = FloatVector.fromArray(S, c, ci + 2 * ldc);
      s21 = FloatVector.fromArray(S, c, ci + 2 * ldc + L);
      s30 = FloatVector.fromArray(S, c, ci + 3 * ldc);
      s31 = FloatVector.fromArray(S, c, ci + 3 * ldc + L);
      s40 = FloatVector.fromArray(S, c, ci + 4 * ldc);
      s41 = FloatVector.fromArray(S, c, ci + 4 * ldc + L);
      s50 = FloatVector.fromArray(S, c, ci + 5 * ldc);
      s51 = FloatVector.fromArray(S, c, ci + 5 * ldc + L);
      s60 = FloatVector.fromArray(S, c, ci + 6 * ldc);
      s61 = FloatVector.fromArray(S, c, ci + 6 * ldc + L);
      s70 = FloatVector.fromArray(S, c, ci + 7 * ldc);
      s71 = FloatVector.fromArray(S, c, ci + 7 * ldc + L);
    } else if (init == INIT_BIAS) {
      s00 = s10 = s20 = s30 = s40 = s50 = s60 = s70 = FloatVector.fromArray(S, bias, bsi);
      s01 = s11 = s21 = s31 = s41 = s51 = s61 = s71 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = s40 = s41 = s50 = s51 = s60 = s61 = s70 = s71 = FloatVector.zero(S);
    }
    int a0 = ai, a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc, a4 = a3 + kc, a5 = a4 + kc, a6 = a5 + kc, a7 = a6 + kc;
    for (int p = 0; p < kc; p++) {
      int bp = p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      x = FloatVector.broadcast(S, a[a1 + p]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      x = FloatVector.broadcast(S, a[a2 + p]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      x = FloatVector.broadcast(S, a[a3 + p]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
      x = FloatVector.broadcast(S, a[a4 + p]);
      s40 = x.fma(b0, s40);
      s41 = x.fma(b1, s41);
      x = FloatVector.broadcast(S, a[a5 + p]);
      s50 = x.fma(b0, s50);
      s51 = x.fma(b1, s51);
      x = FloatVector.broadcast(S, a[a6 + p]);
      s60 = x.fma(b0, s60);
      s61 = x.fma(b1, s61);
      x = FloatVector.broadcast(S, a[a7 + p]);
      s70 = x.fma(b0, s70);
      s71 = x.fma(b1, s71);
    }
    s00.intoArray(c, ci);
    s01.intoArray(c, ci + L);
    s10.intoArray(c, ci + ldc);
    s11.intoArray(c, ci + ldc + L);
    s20.intoArray(c, ci + 2 * ldc);
    s21.intoArray(c, ci + 2 * ldc + L);
    s30.intoArray(c, ci + 3 * ldc);
    s31.intoArray(c, ci + 3 * ldc + L);
    s40.intoArray(c, ci + 4 * ldc);
    s41.intoArray(c, ci + 4 * ldc + L);
    s50.intoArray(c, ci + 5 * ldc);
    s51.intoArray(c, ci + 5 * ldc + L);
    s60.intoArray(c, ci + 6 * ldc);
    s61.intoArray(c, ci + 6 * ldc + L);
    s70.intoArray(c, ci + 7 * ldc);
    s71.intoArray(c, ci + 7 * ldc + L);
  }

  /** As {@link #k4x2p}, with A packed row by row (packA's {@code rows} layout): row r's value of
   * step p at {@code ai + r·kc + p}, every index the step plus a loop-invariant base. */
  private static void k4x2r(int kc, float[] a, int ai, float[] b, float[] c, int ci, int ldc, int init,
      float[] bias, int bsi) {
    FloatVector s00, s01, s10, s11, s20, s21, s30, s31;
    if (init == INIT_LOAD) {
      s00 = FloatVector.fromArray(S, c, ci);
      s01 = FloatVector.fromArray(S, c, ci + L);
      s10 = FloatVector.fromArray(S, c, ci + ldc);
      s11 = FloatVector.fromArray(S, c, ci + ldc + L);
      s20 = FloatVector.fromArray(S, c, ci + 2 * ldc);
      s21 = FloatVector.fromArray(S, c, ci + 2 * ldc + L);
      s30 = FloatVector.fromArray(S, c, ci + 3 * ldc);
      s31 = FloatVector.fromArray(S, c, ci + 3 * ldc + L);
    } else if (init == INIT_BIAS) {
      s00 = s10 = s20 = s30 = FloatVector.fromArray(S, bias, bsi);
      s01 = s11 = s21 = s31 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = FloatVector.zero(S);
    }
    int a0 = ai, a1 = a0 + kc, a2 = a1 + kc, a3 = a2 + kc;
    for (int p = 0; p < kc; p++) {
      int bp = p * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
      s00 = x.fma(b0, s00);
      s01 = x.fma(b1, s01);
      x = FloatVector.broadcast(S, a[a1 + p]);
      s10 = x.fma(b0, s10);
      s11 = x.fma(b1, s11);
      x = FloatVector.broadcast(S, a[a2 + p]);
      s20 = x.fma(b0, s20);
      s21 = x.fma(b1, s21);
      x = FloatVector.broadcast(S, a[a3 + p]);
      s30 = x.fma(b0, s30);
      s31 = x.fma(b1, s31);
    }
    s00.intoArray(c, ci);
    s01.intoArray(c, ci + L);
    s10.intoArray(c, ci + ldc);
    s11.intoArray(c, ci + ldc + L);
    s20.intoArray(c, ci + 2 * ldc);
    s21.intoArray(c, ci + 2 * ldc + L);
    s30.intoArray(c, ci + 3 * ldc);
    s31.intoArray(c, ci + 3 * ldc + L);
  }

  /** C[4, 2L] (init) + Σp A(4 rows, p)·B[p, 2L]: 8 accumulators. */
  private static void k4x2(int kc, float[] a, int ai, int ars, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int ldc, int init, float[] bias, int bsi) {
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    FloatVector s00, s01, s10, s11, s20, s21, s30, s31;
    if (init == INIT_LOAD) {
      s00 = FloatVector.fromArray(S, c, ci);
      s01 = FloatVector.fromArray(S, c, ci + L);
      s10 = FloatVector.fromArray(S, c, c1);
      s11 = FloatVector.fromArray(S, c, c1 + L);
      s20 = FloatVector.fromArray(S, c, c2);
      s21 = FloatVector.fromArray(S, c, c2 + L);
      s30 = FloatVector.fromArray(S, c, c3);
      s31 = FloatVector.fromArray(S, c, c3 + L);
    } else if (init == INIT_BIAS) {
      s00 = s10 = s20 = s30 = FloatVector.fromArray(S, bias, bsi);
      s01 = s11 = s21 = s31 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = FloatVector.zero(S);
    }
    int a1 = ai + ars, a2 = a1 + ars, a3 = a2 + ars;
    for (int p = 0; p < kc; p++) {
      // Indices as linear functions of p so C2 can hoist the range checks out of the loop.
      int bp = bi + p * ldb;
      int ap = p * acs;
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x0 = FloatVector.broadcast(S, a[ai + ap]);
      s00 = x0.fma(b0, s00);
      s01 = x0.fma(b1, s01);
      FloatVector x1 = FloatVector.broadcast(S, a[a1 + ap]);
      s10 = x1.fma(b0, s10);
      s11 = x1.fma(b1, s11);
      FloatVector x2 = FloatVector.broadcast(S, a[a2 + ap]);
      s20 = x2.fma(b0, s20);
      s21 = x2.fma(b1, s21);
      FloatVector x3 = FloatVector.broadcast(S, a[a3 + ap]);
      s30 = x3.fma(b0, s30);
      s31 = x3.fma(b1, s31);
    }
    s00.intoArray(c, ci);
    s01.intoArray(c, ci + L);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + L);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + L);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + L);
  }

  /** C[4, L]. */
  private static void k4x1(int kc, float[] a, int ai, int ars, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int ldc, int init, float[] bias, int bsi) {
    int c1 = ci + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    FloatVector s0, s1, s2, s3;
    if (init == INIT_LOAD) {
      s0 = FloatVector.fromArray(S, c, ci);
      s1 = FloatVector.fromArray(S, c, c1);
      s2 = FloatVector.fromArray(S, c, c2);
      s3 = FloatVector.fromArray(S, c, c3);
    } else if (init == INIT_BIAS) {
      s0 = s1 = s2 = s3 = FloatVector.fromArray(S, bias, bsi);
    } else {
      s0 = s1 = s2 = s3 = FloatVector.zero(S);
    }
    int a1 = ai + ars, a2 = a1 + ars, a3 = a2 + ars;
    for (int p = 0; p < kc; p++) {
      int ap = p * acs;
      FloatVector b0 = FloatVector.fromArray(S, b, bi + p * ldb);
      s0 = FloatVector.broadcast(S, a[ai + ap]).fma(b0, s0);
      s1 = FloatVector.broadcast(S, a[a1 + ap]).fma(b0, s1);
      s2 = FloatVector.broadcast(S, a[a2 + ap]).fma(b0, s2);
      s3 = FloatVector.broadcast(S, a[a3 + ap]).fma(b0, s3);
    }
    s0.intoArray(c, ci);
    s1.intoArray(c, c1);
    s2.intoArray(c, c2);
    s3.intoArray(c, c3);
  }

  /**
   * C[1, 8L]: one row against 8 vectors of B, so a single sample streams each row of B as one
   * contiguous run (a matrix-vector product is bound by reading B, not by the FMAs).
   */
  private static void k1x8(int kc, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    FloatVector s0, s1, s2, s3, s4, s5, s6, s7;
    if (init == INIT_LOAD) {
      s0 = FloatVector.fromArray(S, c, ci);
      s1 = FloatVector.fromArray(S, c, ci + L);
      s2 = FloatVector.fromArray(S, c, ci + 2 * L);
      s3 = FloatVector.fromArray(S, c, ci + 3 * L);
      s4 = FloatVector.fromArray(S, c, ci + 4 * L);
      s5 = FloatVector.fromArray(S, c, ci + 5 * L);
      s6 = FloatVector.fromArray(S, c, ci + 6 * L);
      s7 = FloatVector.fromArray(S, c, ci + 7 * L);
    } else if (init == INIT_BIAS) {
      s0 = FloatVector.fromArray(S, bias, bsi);
      s1 = FloatVector.fromArray(S, bias, bsi + L);
      s2 = FloatVector.fromArray(S, bias, bsi + 2 * L);
      s3 = FloatVector.fromArray(S, bias, bsi + 3 * L);
      s4 = FloatVector.fromArray(S, bias, bsi + 4 * L);
      s5 = FloatVector.fromArray(S, bias, bsi + 5 * L);
      s6 = FloatVector.fromArray(S, bias, bsi + 6 * L);
      s7 = FloatVector.fromArray(S, bias, bsi + 7 * L);
    } else {
      s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      int bp = bi + p * ldb;
      FloatVector x = FloatVector.broadcast(S, a[ai + p * acs]);
      s0 = x.fma(FloatVector.fromArray(S, b, bp), s0);
      s1 = x.fma(FloatVector.fromArray(S, b, bp + L), s1);
      s2 = x.fma(FloatVector.fromArray(S, b, bp + 2 * L), s2);
      s3 = x.fma(FloatVector.fromArray(S, b, bp + 3 * L), s3);
      s4 = x.fma(FloatVector.fromArray(S, b, bp + 4 * L), s4);
      s5 = x.fma(FloatVector.fromArray(S, b, bp + 5 * L), s5);
      s6 = x.fma(FloatVector.fromArray(S, b, bp + 6 * L), s6);
      s7 = x.fma(FloatVector.fromArray(S, b, bp + 7 * L), s7);
    }
    s0.intoArray(c, ci);
    s1.intoArray(c, ci + L);
    s2.intoArray(c, ci + 2 * L);
    s3.intoArray(c, ci + 3 * L);
    s4.intoArray(c, ci + 4 * L);
    s5.intoArray(c, ci + 5 * L);
    s6.intoArray(c, ci + 6 * L);
    s7.intoArray(c, ci + 7 * L);
  }

  /** C[1, 4L]: 4 independent accumulators, enough to keep the FMA pipes busy for a single row. */
  private static void k1x4(int kc, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    FloatVector s0, s1, s2, s3;
    if (init == INIT_LOAD) {
      s0 = FloatVector.fromArray(S, c, ci);
      s1 = FloatVector.fromArray(S, c, ci + L);
      s2 = FloatVector.fromArray(S, c, ci + 2 * L);
      s3 = FloatVector.fromArray(S, c, ci + 3 * L);
    } else if (init == INIT_BIAS) {
      s0 = FloatVector.fromArray(S, bias, bsi);
      s1 = FloatVector.fromArray(S, bias, bsi + L);
      s2 = FloatVector.fromArray(S, bias, bsi + 2 * L);
      s3 = FloatVector.fromArray(S, bias, bsi + 3 * L);
    } else {
      s0 = s1 = s2 = s3 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      int bp = bi + p * ldb;
      FloatVector x = FloatVector.broadcast(S, a[ai + p * acs]);
      s0 = x.fma(FloatVector.fromArray(S, b, bp), s0);
      s1 = x.fma(FloatVector.fromArray(S, b, bp + L), s1);
      s2 = x.fma(FloatVector.fromArray(S, b, bp + 2 * L), s2);
      s3 = x.fma(FloatVector.fromArray(S, b, bp + 3 * L), s3);
    }
    s0.intoArray(c, ci);
    s1.intoArray(c, ci + L);
    s2.intoArray(c, ci + 2 * L);
    s3.intoArray(c, ci + 3 * L);
  }

  /** C[1, 2L]. */
  private static void k1x2(int kc, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    FloatVector s0, s1;
    if (init == INIT_LOAD) {
      s0 = FloatVector.fromArray(S, c, ci);
      s1 = FloatVector.fromArray(S, c, ci + L);
    } else if (init == INIT_BIAS) {
      s0 = FloatVector.fromArray(S, bias, bsi);
      s1 = FloatVector.fromArray(S, bias, bsi + L);
    } else {
      s0 = s1 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      FloatVector x = FloatVector.broadcast(S, a[ai]);
      s0 = x.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = x.fma(FloatVector.fromArray(S, b, bi + L), s1);
      ai += acs;
      bi += ldb;
    }
    s0.intoArray(c, ci);
    s1.intoArray(c, ci + L);
  }

  /** C[1, L]. */
  private static void k1x1(int kc, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    FloatVector s0;
    if (init == INIT_LOAD) {
      s0 = FloatVector.fromArray(S, c, ci);
    } else if (init == INIT_BIAS) {
      s0 = FloatVector.fromArray(S, bias, bsi);
    } else {
      s0 = FloatVector.zero(S);
    }
    for (int p = 0; p < kc; p++) {
      s0 = FloatVector.broadcast(S, a[ai + p * acs]).fma(FloatVector.fromArray(S, b, bi + p * ldb), s0);
    }
    s0.intoArray(c, ci);
  }

  /** C[1, w] with w < L, scalar: each element the same fused multiply-add chain a vector lane computes. */
  private static void rowTail(int kc, int w, float[] a, int ai, int acs, float[] b, int bi, int ldb,
      float[] c, int ci, int init, float[] bias, int bsi) {
    if (init == INIT_BIAS) {
      System.arraycopy(bias, bsi, c, ci, w);
    } else if (init == INIT_ZERO) {
      java.util.Arrays.fill(c, ci, ci + w, 0f);
    }
    for (int p = 0; p < kc; p++) {
      float x = a[ai + p * acs];
      int bp = bi + p * ldb;
      for (int j = 0; j < w; j++) {
        c[ci + j] = Math.fma(x, b[bp + j], c[ci + j]);
      }
    }
  }

  // ---- epilogues --------------------------------------------------------------------------

  /** y[h,w] = act(c[h,w]) for one tile (row stride ld). Cheap activations vectorized, transcendental ones scalar. */
  static void forwardTile(Activation act, float alpha, float[] c, int ci, float[] y, int yi, int h, int w, int ld) {
    for (int r = 0; r < h; r++) {
      int cr = ci + r * ld, yr = yi + r * ld;
      switch (act) {
        case LINEAR -> {
          if (c != y || cr != yr) {
            System.arraycopy(c, cr, y, yr, w);
          }
        }
        case RELU -> {
          int j = 0;
          for (; j + L <= w; j += L) {
            FloatVector.fromArray(S, c, cr + j).max(0f).intoArray(y, yr + j);
          }
          for (; j < w; j++) {
            y[yr + j] = Math.max(c[cr + j], 0f);
          }
        }
        case LEAKY_RELU -> {
          int j = 0;
          for (; j + L <= w; j += L) {
            FloatVector v = FloatVector.fromArray(S, c, cr + j);
            v.blend(v.mul(alpha), v.compare(VectorOperators.LE, 0f)).intoArray(y, yr + j);
          }
          for (; j < w; j++) {
            float v = c[cr + j];
            y[yr + j] = v <= 0f ? v * alpha : v;
          }
        }
        case SIGMOID, TANH, GELU -> {
          for (int j = 0; j < w; j++) {
            y[yr + j] = ActivationMath.apply(act, alpha, c[cr + j]);
          }
        }
        case SOFTMAX -> throw new IllegalArgumentException("SOFTMAX is applied per row, not per tile");
      }
    }
  }

  /** g[h,w] *= act'(y, z) ⊙ mask for one tile (row stride ld); derivatives from y vectorized, GELU scalar. */
  static void backwardTile(Activation act, float alpha, float[] y, int yi, float[] z, int zi, float[] mask, int mi,
      float[] g, int gi, int h, int w, int ld) {
    for (int r = 0; r < h; r++) {
      int o = r * ld;
      switch (act) {
        case LINEAR -> { }
        case GELU -> {
          for (int j = 0; j < w; j++) {
            g[gi + o + j] *= ActivationMath.geluDerivative(z[zi + o + j]);
          }
        }
        case SOFTMAX -> throw new IllegalArgumentException("SOFTMAX has no elementwise derivative");
        default -> {
          int j = 0;
          for (; j + L <= w; j += L) {
            FloatVector yv = FloatVector.fromArray(S, y, yi + o + j);
            FloatVector gv = FloatVector.fromArray(S, g, gi + o + j);
            gv = switch (act) {
              case RELU -> gv.blend(0f, yv.compare(VectorOperators.LE, 0f));
              case LEAKY_RELU -> gv.blend(gv.mul(alpha), yv.compare(VectorOperators.LE, 0f));
              case SIGMOID -> gv.mul(yv.mul(yv.neg().add(1f)));
              default -> gv.mul(yv.mul(yv).neg().add(1f)); // TANH
            };
            gv.intoArray(g, gi + o + j);
          }
          // The same formulas per element for the last w mod L columns.
          for (; j < w; j++) {
            float yj = y[yi + o + j], gj = g[gi + o + j];
            g[gi + o + j] = switch (act) {
              case RELU -> yj <= 0f ? 0f : gj;
              case LEAKY_RELU -> yj <= 0f ? gj * alpha : gj;
              case SIGMOID -> gj * (yj * (1f - yj));
              default -> gj * (1f - yj * yj); // TANH
            };
          }
        }
      }
      if (mask != null) {
        int j = 0;
        for (; j + L <= w; j += L) {
          FloatVector.fromArray(S, g, gi + o + j).mul(FloatVector.fromArray(S, mask, mi + o + j))
              .intoArray(g, gi + o + j);
        }
        for (; j < w; j++) {
          g[gi + o + j] *= mask[mi + o + j];
        }
      }
    }
  }

  static void applyActivation(Activation act, float alpha, float[] z, int zOff, float[] y, int yOff, int rows, int cols) {
    if (act == Activation.SOFTMAX) {
      for (int r = 0; r < rows; r++) {
        ActivationMath.softmaxRow(z, zOff + r * cols, y, yOff + r * cols, cols);
      }
      return;
    }
    // Contiguous, so treat it as one row of rows·cols elements.
    forwardTile(act, alpha, z, zOff, y, yOff, 1, rows * cols, rows * cols);
  }

  static void multiplyDerivative(Activation act, float alpha, float[] y, int yOff, float[] z, int zOff,
      float[] g, int gOff, int len) {
    backwardTile(act, alpha, y, yOff, z, zOff, null, 0, g, gOff, 1, len, len);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** db[n] += column sums of dz[rows, n]. */
  static void columnSums(int rows, int n, float[] dz, int dzOff, float[] db, int dbOff) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector s = FloatVector.fromArray(S, db, dbOff + j);
      for (int r = 0; r < rows; r++) {
        s = s.add(FloatVector.fromArray(S, dz, dzOff + r * n + j));
      }
      s.intoArray(db, dbOff + j);
    }
    for (; j < n; j++) {
      float s = db[dbOff + j];
      for (int r = 0; r < rows; r++) {
        s += dz[dzOff + r * n + j];
      }
      db[dbOff + j] = s;
    }
  }

  /** Sum over rows of mean((p - t)²), grad = 2(p - t)/cols·gradScale. */
  static double meanSquaredError(int n, int cols, float[] pred, int pOff, float[] targets, int tOff,
      float[] grad, int gOff, float gradScale) {
    float g = 2f / cols * gradScale;
    double total = 0;
    for (int r = 0; r < n; r++) {
      int o = r * cols;
      // Lanewise partial sums, then a fixed-order scalar finish: reduceLanes(ADD) may reorder.
      FloatVector acc = FloatVector.zero(S);
      int j = 0;
      for (; j <= cols - L; j += L) {
        FloatVector d = FloatVector.fromArray(S, pred, pOff + o + j).sub(FloatVector.fromArray(S, targets, tOff + o + j));
        acc = d.fma(d, acc);
        if (grad != null) {
          d.mul(g).intoArray(grad, gOff + o + j);
        }
      }
      double rowSum = 0;
      for (int lane = 0; lane < L; lane++) {
        rowSum += acc.lane(lane);
      }
      for (; j < cols; j++) {
        float d = pred[pOff + o + j] - targets[tOff + o + j];
        rowSum += (double) d * d;
        if (grad != null) {
          grad[gOff + o + j] = d * g;
        }
      }
      total += rowSum / cols;
    }
    return total;
  }

  /** t[k,n] = b[n,k]ᵀ into this thread's scratch buffer (grown, never shrunk, so steady state allocates nothing). */
  private static float[] transposeToScratch(int n, int k, float[] b, int bOff) {
    float[][] holder = SCRATCH.get();
    int size = n * k;
    if (holder[0].length < size) {
      holder[0] = new float[size];
    }
    float[] t = holder[0];
    final int tileSize = 32;
    for (int j0 = 0; j0 < n; j0 += tileSize) {
      int j1 = Math.min(n, j0 + tileSize);
      for (int p0 = 0; p0 < k; p0 += tileSize) {
        int p1 = Math.min(k, p0 + tileSize);
        for (int j = j0; j < j1; j++) {
          int src = bOff + j * k;
          for (int p = p0; p < p1; p++) {
            t[p * n + j] = b[src + p];
          }
        }
      }
    }
    return t;
  }
}
