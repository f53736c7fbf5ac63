package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Losses;
import java.util.Objects;

/**
 * Evaluation of a network on a data set in inference mode, in chunks of the batch buffers: mean
 * loss, accuracy and confusion matrix (classification) or regression metrics, and any extra
 * {@link Metric}s. Used by {@code Model.evaluate} and for the validation of every epoch.
 */
public final class Evaluator {
  private static final int CHUNK = 512;

  private final TrainableNetwork network;
  private int[] identity = new int[0];

  /** An evaluator of {@code network}. */
  public Evaluator(TrainableNetwork network) {
    this.network = Objects.requireNonNull(network, "network");
  }

  /**
   * Evaluates on every row of {@code data}, which the caller checked fits the network; {@code
   * metrics} are reset, then accumulate every chunk.
   *
   * <p>A network with carried recurrent states is evaluated in chunks of as many rows as its states
   * have, in data-set order, starting from zeros and carrying them from chunk to chunk (a last
   * partial chunk starts from zeros); its states are put back afterwards, so that validation does not
   * disturb training.
   */
  public Evaluation evaluate(Dataset data, Metric... metrics) {
    int stateRows = network.carriedStateRows();
    if (stateRows == 0) {
      return evaluateInChunks(data, Math.max(network.capacity(), Math.min(data.rows(), CHUNK)), metrics);
    }
    network.setStatesAside();
    try {
      return evaluateInChunks(data, stateRows, metrics);
    } finally {
      network.restoreStates();
    }
  }

  private Evaluation evaluateInChunks(Dataset data, int chunk, Metric... metrics) {
    int rows = data.rows();
    network.ensureCapacity(chunk);
    boolean classification = network.isClassification();
    int classes = network.classes();
    int[][] confusion = classification ? new int[classes][classes] : new int[0][0];
    int[] order = identity(rows);
    double lossSum = 0;
    long correct = 0;
    long labelled = 0;
    int outs = network.outputs();
    // A sequence output has a label per step: rows of the metrics are steps.
    int steps = classification ? network.labelsPerSample() : 1;
    int width = outs / steps;
    float[] predictions = classification ? null : new float[Math.multiplyExact(rows, outs)];
    for (Metric m : metrics) {
      m.reset();
    }
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      network.loadBatch(data, order, start, n);
      network.forward(n, false);
      lossSum += network.loss(n, false);
      float[] a = network.outputArena();
      int out = network.outputOffset();
      if (predictions != null) {
        System.arraycopy(a, out, predictions, start * outs, n * outs);
      }
      if (classification) {
        int[] labels = network.labels();
        for (int i = 0; i < n * steps; i++) {
          if (labels[i] == Losses.IGNORED) {
            continue;
          }
          int p = Accuracy.predictedClass(a, out + i * width, width);
          confusion[labels[i]][p]++;
          labelled++;
          if (p == labels[i]) {
            correct++;
          }
        }
      }
      for (Metric m : metrics) {
        m.accumulate(a, out, n * steps, width, classification ? network.labels() : null,
            classification ? null : network.targets());
      }
    }
    return new Evaluation(
        rows,
        rows == 0 ? Double.NaN : lossSum / rows,
        classification && labelled > 0 ? (double) correct / labelled : Double.NaN,
        confusion,
        predictions == null || rows == 0 ? null : RegressionMetrics.of(predictions, data.targets(), outs));
  }

  /** {@code 0, 1, ..., n-1}, reused between calls. */
  int[] identity(int n) {
    if (identity.length < n) {
      identity = new int[n];
      for (int i = 0; i < n; i++) {
        identity[i] = i;
      }
    }
    return identity;
  }
}
