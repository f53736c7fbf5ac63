package dev.kiln.runtime.inspect;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.train.Accuracy;
import java.util.Objects;

/**
 * Permutation feature importance (Breiman 2001; Fisher et al. 2019), a model-agnostic check of
 * which input features a network relies on: the drop in accuracy and the rise in mean loss on a
 * data set when one feature's column is shuffled across the rows, which breaks its link to the
 * labels and keeps its distribution. Only {@link Differentiable#predict} is used. Each feature is
 * shuffled {@code repeats} times with seeded permutations (feature f, repeat r: the stream
 * {@code SplitMix64.derive(seed, f · repeats + r)}), and the drops are averaged. Immutable.
 *
 * <pre>{@code
 * FeatureImportance imp = PermutationImportance.repeats(5).seed(42).compute(model, validation);
 * }</pre>
 *
 * <p>Loss per sample: cross-entropy of the true class for softmax, binary cross-entropy for one
 * sigmoid output (probabilities clamped at 1e-12), the squared error averaged over the outputs for
 * regression (where accuracy is NaN).
 */
public final class PermutationImportance {
  private static final int BATCH = 512;
  private final int repeats;
  private final long seed;

  private PermutationImportance(int repeats, long seed) {
    this.repeats = repeats;
    this.seed = seed;
  }

  /**
   * Shuffles each feature {@code repeats} times (seed 0 until {@link #seed} is set).
   *
   * @throws IllegalArgumentException if {@code repeats < 1}
   */
  public static PermutationImportance repeats(int repeats) {
    if (repeats < 1) {
      throw new IllegalArgumentException("repeats must be >= 1, got " + repeats);
    }
    return new PermutationImportance(repeats, 0);
  }

  /** The seed of the permutations. */
  public PermutationImportance seed(long seed) {
    return new PermutationImportance(repeats, seed);
  }

  /**
   * The importance of every feature (column) of {@code data}.
   *
   * @throws IllegalArgumentException if the data set's rows are not the network's input width, its
   *     kind (classification or regression) is not the network's, or it has fewer than 2 rows
   */
  public FeatureImportance compute(Differentiable model, Dataset data) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    if (model.loss().isClassification()) {
      TrustChecks.requireClassificationData(model, data, "permutation importance");
    } else {
      TrustChecks.requireWidth(model, data, "permutation importance");
      if (data.isClassification() || data.targetCols() != model.outputs()) {
        throw new IllegalArgumentException("permutation importance: data set '" + data.name()
            + "' must be a regression set with " + model.outputs() + " targets per row");
      }
    }
    int rows = data.rows();
    if (rows < 2) {
      throw new IllegalArgumentException("permutation importance needs at least 2 rows; '" + data.name() + "' has " + rows);
    }
    int cols = data.cols();
    float[] work = data.features().clone();
    Scorer scorer = new Scorer(model, data);
    double[] base = scorer.score(work);
    double[] accDrop = new double[cols];
    double[] accDropSq = new double[cols];
    double[] lossRise = new double[cols];
    double[] lossRiseSq = new double[cols];
    int[] perm = new int[rows];
    float[] column = new float[rows];
    SplitMix64 rng = new SplitMix64(0);
    for (int f = 0; f < cols; f++) {
      for (int r = 0; r < rows; r++) {
        column[r] = work[r * cols + f];
      }
      for (int rep = 0; rep < repeats; rep++) {
        for (int r = 0; r < rows; r++) {
          perm[r] = r;
        }
        rng.setState(SplitMix64.derive(seed, (long) f * repeats + rep));
        rng.shuffle(perm, 0, rows);
        for (int r = 0; r < rows; r++) {
          work[r * cols + f] = column[perm[r]];
        }
        double[] s = scorer.score(work);
        double da = base[0] - s[0];
        double dl = s[1] - base[1];
        accDrop[f] += da;
        accDropSq[f] += da * da;
        lossRise[f] += dl;
        lossRiseSq[f] += dl * dl;
      }
      for (int r = 0; r < rows; r++) {
        work[r * cols + f] = column[r];
      }
    }
    double[] accStd = new double[cols];
    double[] lossStd = new double[cols];
    for (int f = 0; f < cols; f++) {
      accDrop[f] /= repeats;
      lossRise[f] /= repeats;
      accStd[f] = Math.sqrt(Math.max(0, accDropSq[f] / repeats - accDrop[f] * accDrop[f]));
      lossStd[f] = Math.sqrt(Math.max(0, lossRiseSq[f] / repeats - lossRise[f] * lossRise[f]));
    }
    return new FeatureImportance(base[0], base[1], accDrop, accStd, lossRise, lossStd, repeats);
  }

  /** Accuracy and mean loss of the network on features {@code x} with the data set's labels or targets. */
  private static final class Scorer {
    private final Differentiable model;
    private final Dataset data;
    private final float[] out;

    Scorer(Differentiable model, Dataset data) {
      this.model = model;
      this.data = data;
      this.out = new float[Math.min(BATCH, data.rows()) * model.outputs()];
    }

    /** {accuracy (NaN for regression), mean loss}. */
    double[] score(float[] x) {
      int rows = data.rows();
      int cols = data.cols();
      int outs = model.outputs();
      boolean classification = data.isClassification();
      long correct = 0;
      double loss = 0;
      float[] batch = new float[Math.min(BATCH, rows) * cols];
      for (int start = 0; start < rows; start += BATCH) {
        int n = Math.min(BATCH, rows - start);
        System.arraycopy(x, start * cols, batch, 0, n * cols);
        model.predict(batch, n, out);
        for (int i = 0; i < n; i++) {
          int off = i * outs;
          if (classification) {
            int label = data.labels()[start + i];
            if (Accuracy.predictedClass(out, off, outs) == label) {
              correct++;
            }
            if (outs == 1) {
              double p = Math.min(Math.max(out[off], 1e-12), 1 - 1e-12);
              loss -= label == 1 ? Math.log(p) : Math.log(1 - p);
            } else {
              loss -= Math.log(Math.max(out[off + label], 1e-12));
            }
          } else {
            double se = 0;
            for (int j = 0; j < outs; j++) {
              double d = out[off + j] - data.targets()[(start + i) * outs + j];
              se += d * d;
            }
            loss += se / outs;
          }
        }
      }
      return new double[] {classification ? (double) correct / rows : Double.NaN, loss / rows};
    }
  }
}
