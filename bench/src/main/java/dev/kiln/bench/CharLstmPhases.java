package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.kernels.DenseKernels;
import dev.kiln.runtime.kernels.EmbeddingKernels;
import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Losses;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.kernels.RecurrentCell;
import dev.kiln.runtime.kernels.RecurrentKernels;
import dev.kiln.runtime.kernels.VectorShape;
import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.Accuracy;
import java.util.Arrays;

/**
 * Where one {@link CharLstm} training step goes (bench/compare's CharLstm row: batch 32, 64 steps,
 * Embedding(65, 64), LSTM(256), Dense(65) softmax, Adam), phase by phase:
 *
 * <ol>
 *   <li>the whole step inside {@code train} (a callback's batch begin to batch end, and the epoch's
 *       tokens/s), on the same tiny Shakespeare windows as bench/compare;
 *   <li>the generated model's {@code forward} and {@code computeLoss} (loss + backward) called alone;
 *   <li>each kernel of the step with the generated model's calls and shapes, and the rest of the
 *       training step (loading the batch, clearing the gradient arena, Adam, the accuracy metric).
 * </ol>
 *
 * <p>Each figure is the median over the runs. The sum of (3) against (1) is what the kernels do not
 * account for. Arguments: runs (40), threads (Parallelism default).
 */
public final class CharLstmPhases {
  static final int N = 32, T = CharLstm.STEPS, V = CharLstm.VOCABULARY, E = 64, H = 256, G = 4 * H;

  private CharLstmPhases() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    if (args.length > 1) {
      Parallelism.setThreads(Integer.parseInt(args[1]));
    }
    System.out.printf("species %s, threads %d, batch %d, steps %d, runs %d%n", VectorShape.describe(),
        Parallelism.threads(), N, T, runs);
    String text = dev.kiln.samples.ShakespeareChars.text();
    dev.kiln.runtime.data.Vocabulary chars = dev.kiln.runtime.data.Vocabulary.ofCharacters(text);
    int[] ids = chars.characterIds(text.substring(0, Compare.CHAR_LSTM_WINDOWS * T + 1));
    Dataset train = dev.kiln.runtime.data.TextStreams.windows("charlstm", ids, V, T, T);

    // (1) The whole step inside train().
    CharLstmModel model = new CharLstmModel();
    StepTimer.Training t =
        StepTimer.timeTraining(model, train.subset(0, Compare.CHAR_LSTM_WARM_UP_WINDOWS), train, N);
    System.out.printf("(1) train(): %.0f tokens/s = %.2f ms per batch; step (batch begin to end) median %.2f ms,"
        + " p90 %.2f ms%n", t.samplesPerSecond() * T, t.msPerBatch(N), t.medianStepMs(), t.p90StepMs());

    // (2) The generated forward and loss + backward alone, on the last batch train() loaded.
    long[] fwd = new long[runs], loss = new long[runs];
    for (int run = -10; run < runs; run++) {
      long a = System.nanoTime();
      model.forward(N, true);
      long b = System.nanoTime();
      model.computeLoss(N, true);
      long c = System.nanoTime();
      if (run >= 0) {
        fwd[run] = b - a;
        loss[run] = c - b;
      }
    }
    System.out.printf("(2) generated forward %.2f ms, computeLoss (loss + backward) %.2f ms%n",
        EndToEnd.median(fwd) / 1e6, EndToEnd.median(loss) / 1e6);

    // (3) Kernels and the rest of the step, one by one.
    kernels(train, runs);

    // (4) The LSTM's GEMMs alone, at their shapes.
    gemms(runs);
  }

  private static void gemms(int runs) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(2);
    float[] w = new float[G * H], wt = new float[H * G], a = new float[T * N * G], hs = new float[T * N * H];
    float[] xs = new float[T * N * E], wih = new float[G * E], gw = new float[G * H], gi = new float[G * E];
    for (float[] v : new float[][] {w, wt, a, hs, xs, wih}) {
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (r.nextDouble() - 0.5);
      }
    }
    float[] dh = new float[N * H];
    String[] names = {"x·W_ihT (all steps)", "h·W_hhT x64 steps", "dG·W_hh x64 steps", "dW_hh (one tn)",
        "dW_ih (one tn)", "dX (one nn)"};
    long[][] t = new long[names.length][runs];
    for (int run = -10; run < runs; run++) {
      long[] s = new long[names.length + 1];
      int q = 0;
      s[q++] = System.nanoTime();
      Gemm.nt(T * N, G, E, xs, 0, wih, 0, a, 0, true);
      s[q++] = System.nanoTime();
      for (int step = 1; step < T; step++) {
        Gemm.nn(N, G, H, hs, (step - 1) * N * H, wt, 0, a, step * N * G, true);
      }
      s[q++] = System.nanoTime();
      for (int step = T - 1; step > 0; step--) {
        Gemm.nn(N, H, G, a, step * N * G, w, 0, dh, 0, false);
      }
      s[q++] = System.nanoTime();
      Gemm.tn(G, H, (T - 1) * N, a, N * G, hs, 0, gw, 0, false);
      s[q++] = System.nanoTime();
      Gemm.tn(G, E, T * N, a, 0, xs, 0, gi, 0, false);
      s[q++] = System.nanoTime();
      Gemm.nn(T * N, E, G, a, 0, wih, 0, xs, 0, false);
      s[q++] = System.nanoTime();
      if (run >= 0) {
        for (int k = 0; k + 1 < q; k++) {
          t[k][run] = s[k + 1] - s[k];
        }
      }
    }
    System.out.println("(4) the LSTM's GEMMs alone:");
    long[] flops = {2L * T * N * G * E, 2L * (T - 1) * N * G * H, 2L * (T - 1) * N * G * H,
        2L * (T - 1) * N * G * H, 2L * T * N * G * E, 2L * T * N * G * E};
    for (int k = 0; k < names.length; k++) {
      long m = EndToEnd.median(t[k]);
      System.out.printf("  %-20s %8.3f ms  %6.1f GFLOP/s%n", names[k], m / 1e6, flops[k] / (double) m);
    }
  }

  private static void kernels(Dataset train, int runs) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    int emb = 0, wih = emb + V * E, whh = wih + G * E, bih = whh + G * H, bhh = bih + G, dk = bhh + G, db = dk + H * V;
    float[] p = new float[db + V];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) (r.nextDouble() - 0.5) * 0.2f;
    }
    float[] g = new float[p.length];
    int[] ranges = {0, p.length};
    Optimizer adam = new OptimizerSpec("ADAM", 0.001f, 0f, false, 0.9f, 0.999f, 1e-8f, 0f).create(p.length);
    Accuracy accuracy = new Accuracy();
    int[] order = new int[train.rows()];
    Arrays.setAll(order, i -> i);
    float[] staging = new float[N * T];
    int[] tokens = new int[N * T], labels = new int[N * T];
    int wsPer = RecurrentKernels.workspacePerSample(RecurrentCell.LSTM, T, E, H);
    float[] x = new float[N * T * E], ws = new float[N * wsPer], y = new float[N * T * H];
    float[] logits = new float[N * T * V], probs = new float[N * T * V], dlog = new float[N * T * V];
    float[] dy = new float[N * T * H], dx = new float[N * T * E];
    String[] names = {"load batch", "clear grads", "embedding fwd", "lstm fwd", "dense fwd", "softmax-CE",
        "dense dW", "dense dx", "lstm bwd", "embedding bwd", "adam", "accuracy", "total"};
    long[][] t = new long[names.length][runs];
    int batches = train.rows() / N;
    for (int run = -10; run < runs; run++) {
      long[] s = new long[names.length];
      int q = 0;
      int start = Math.floorMod(run, batches) * N;
      s[q++] = System.nanoTime();
      EpochOrder.gather(train, order, start, N, staging, 0, labels, null);
      for (int i = 0; i < N * T; i++) {
        tokens[i] = (int) staging[i];
      }
      s[q++] = System.nanoTime();
      Arrays.fill(g, 0f);
      s[q++] = System.nanoTime();
      EmbeddingKernels.forward(N * T, V, E, tokens, 0, p, emb, x, 0);
      s[q++] = System.nanoTime();
      RecurrentKernels.forward(RecurrentCell.LSTM, N, T, E, H, false, x, 0, p, wih, whh, bih, bhh, null, 0, null, 0,
          ws, 0, y, 0, H, 0, true);
      s[q++] = System.nanoTime();
      DenseKernels.forward(N * T, H, V, y, 0, p, dk, p, db, Activation.LINEAR, 0f, logits, 0, null, 0);
      s[q++] = System.nanoTime();
      Losses.softmaxCrossEntropySteps(N, T, V, logits, 0, labels, 0, probs, 0, dlog, 0);
      s[q++] = System.nanoTime();
      DenseKernels.backwardParams(N * T, H, V, y, 0, dlog, 0, g, dk, g, db);
      s[q++] = System.nanoTime();
      DenseKernels.backwardInput(N * T, H, V, dlog, 0, p, dk, dy, 0, Activation.LINEAR, 0f, null, 0, null, 0, null, 0);
      s[q++] = System.nanoTime();
      RecurrentKernels.backward(RecurrentCell.LSTM, N, T, E, H, false, x, 0, p, wih, whh, bih, bhh, null, 0, null, 0,
          ws, 0, dy, 0, H, 0, true, dx, 0, false, g, wih, whh, bih, bhh);
      s[q++] = System.nanoTime();
      EmbeddingKernels.backward(N * T, V, E, tokens, 0, dx, 0, g, emb, -1);
      s[q++] = System.nanoTime();
      adam.step(p, g, ranges);
      s[q++] = System.nanoTime();
      accuracy.accumulate(probs, 0, N * T, V, labels, null);
      s[q++] = System.nanoTime();
      if (run >= 0) {
        for (int k = 0; k + 1 < q; k++) {
          t[k][run] = s[k + 1] - s[k];
        }
        t[names.length - 1][run] = s[q - 1] - s[0];
      }
    }
    System.out.println("(3) the step's parts, each alone:");
    for (int k = 0; k < names.length; k++) {
      System.out.printf("  %-14s %8.3f ms%n", names[k], EndToEnd.median(t[k]) / 1e6);
    }
    System.out.printf("  => %.0f tokens/s (parts only)%n", N * T / (EndToEnd.median(t[names.length - 1]) / 1e9));
  }
}
