package dev.kiln.bench;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.EmbeddingKernels;
import dev.kiln.runtime.kernels.Losses;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.RecurrentCell;
import dev.kiln.runtime.kernels.RecurrentKernels;
import dev.kiln.runtime.kernels.VectorShape;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Per-kernel times of one ShakespeareChars training step (embedding 65x32, LSTM 256 over 100 steps
 * with sequences, Dense 65, per-step softmax cross-entropy; batch 64) and of one batch-1 forward, with
 * the same kernel calls as the generated model. Prints the median of each kernel over the runs.
 *
 * <p>Arguments: batch (64), runs (15), threads (Parallelism default).
 */
public final class RnnStepTimes {
  static final int T = 100, V = 65, E = 32, H = 256, G = 4 * H;

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    if (args.length > 2) {
      Parallelism.setThreads(Integer.parseInt(args[2]));
    }
    System.out.printf("species %s, threads %d, batch %d, runs %d%n", VectorShape.describe(), Parallelism.threads(), n, runs);
    SplittableRandom r = new SplittableRandom(1);
    int emb = 0, wih = emb + V * E, whh = wih + G * E, bih = whh + G * H, bhh = bih + G, dk = bhh + G, db = dk + H * V;
    float[] p = new float[db + V];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
    }
    float[] g = new float[p.length];
    int[] ids = new int[n * T];
    int[] labels = new int[n * T];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(V);
      labels[i] = r.nextInt(V);
    }
    int wsPer = RecurrentKernels.workspacePerSample(RecurrentCell.LSTM, T, E, H);
    float[] x = new float[n * T * E], ws = new float[n * wsPer], y = new float[n * T * H];
    float[] logits = new float[n * T * V], probs = new float[n * T * V], dlog = new float[n * T * V];
    float[] dy = new float[n * T * H], dx = new float[n * T * E];
    String[] names = {"embedding fwd", "lstm fwd", "dense fwd", "softmax-CE", "dense dW", "dense dx", "lstm bwd",
        "embedding bwd", "total"};
    long[][] t = new long[names.length][runs];
    for (int run = -5; run < runs; run++) {
      long[] s = new long[names.length + 1];
      int q = 0;
      s[q++] = System.nanoTime();
      EmbeddingKernels.forward(n * T, V, E, ids, 0, p, emb, x, 0);
      s[q++] = System.nanoTime();
      RecurrentKernels.forward(RecurrentCell.LSTM, n, T, E, H, false, x, 0, p, wih, whh, bih, bhh, null, 0, null, 0,
          ws, 0, y, 0, H, 0, true);
      s[q++] = System.nanoTime();
      DenseKernels.forward(n * T, H, V, y, 0, p, dk, p, db, Activation.LINEAR, 0f, logits, 0, null, 0);
      s[q++] = System.nanoTime();
      Losses.softmaxCrossEntropySteps(n, T, V, logits, 0, labels, 0, probs, 0, dlog, 0);
      s[q++] = System.nanoTime();
      DenseKernels.backwardParams(n * T, H, V, y, 0, dlog, 0, g, dk, g, db);
      s[q++] = System.nanoTime();
      DenseKernels.backwardInput(n * T, H, V, dlog, 0, p, dk, dy, 0, Activation.LINEAR, 0f, null, 0, null, 0, null, 0);
      s[q++] = System.nanoTime();
      RecurrentKernels.backward(RecurrentCell.LSTM, n, T, E, H, false, x, 0, p, wih, whh, bih, bhh, null, 0, null, 0,
          ws, 0, dy, 0, H, 0, true, dx, 0, false, g, wih, whh, bih, bhh);
      s[q++] = System.nanoTime();
      EmbeddingKernels.backward(n * T, V, E, ids, 0, dx, 0, g, emb, -1);
      s[q++] = System.nanoTime();
      if (run >= 0) {
        for (int k = 0; k + 1 < q; k++) {
          t[k][run] = s[k + 1] - s[k];
        }
        t[names.length - 1][run] = s[q - 1] - s[0];
      }
    }
    for (int k = 0; k < names.length; k++) {
      Arrays.sort(t[k]);
      System.out.printf("  %-14s %9.2f ms%n", names[k], t[k][runs / 2] / 1e6);
    }
    double total = t[names.length - 1][runs / 2] / 1e9;
    System.out.printf("  => %.0f windows/s (kernels only)%n", n / total);
    // Batch-1 forward of a 100-step window (generation).
    float[] ws1 = new float[wsPer], x1 = new float[T * E], y1 = new float[T * H], l1 = new float[T * V];
    long[] f = new long[Math.max(runs, 20)];
    for (int run = -20; run < f.length; run++) {
      long a = System.nanoTime();
      EmbeddingKernels.forward(T, V, E, ids, 0, p, emb, x1, 0);
      RecurrentKernels.forward(RecurrentCell.LSTM, 1, T, E, H, false, x1, 0, p, wih, whh, bih, bhh, null, 0, null, 0,
          ws1, 0, y1, 0, H, 0, true);
      DenseKernels.forward(T, H, V, y1, 0, p, dk, p, db, Activation.SOFTMAX, 0f, l1, 0, null, 0);
      if (run >= 0) {
        f[run] = System.nanoTime() - a;
      }
    }
    Arrays.sort(f);
    System.out.printf("  batch-1 forward (100 steps): %.2f ms%n", f[f.length / 2] / 1e6);
  }
}
