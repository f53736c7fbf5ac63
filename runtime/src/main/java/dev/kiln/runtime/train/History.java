package dev.kiln.runtime.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Per-epoch metrics of a training run, in order. */
public final class History {
  private final List<EpochStats> epochs = new ArrayList<>();

  /** Appends one epoch's metrics. */
  public void add(EpochStats stats) {
    epochs.add(stats);
  }

  /** All epochs so far (unmodifiable view). */
  public List<EpochStats> epochs() {
    return Collections.unmodifiableList(epochs);
  }

  /** The last epoch's metrics. */
  public EpochStats last() {
    if (epochs.isEmpty()) {
      throw new IllegalStateException("no epoch has finished");
    }
    return epochs.get(epochs.size() - 1);
  }

  /**
   * Per epoch, the mean L2 norm of layer {@code layer}'s gradient before clipping (see
   * {@link GradientNorms}); NaN for epochs without it (norms not recorded, or the layer frozen for
   * the whole epoch).
   *
   * @throws IllegalStateException if no epoch recorded gradient norms
   * @throws IllegalArgumentException naming the layers if no epoch recorded {@code layer}
   */
  public double[] gradientNorms(String layer) {
    double[] out = new double[epochs.size()];
    boolean known = false;
    for (int i = 0; i < out.length; i++) {
      GradientNorms g = epochs.get(i).gradientNorms();
      Double v = g == null ? null : g.layers().get(layer);
      known |= v != null;
      out[i] = v == null ? Double.NaN : v;
    }
    if (!known) {
      GradientNorms any = anyGradientNorms();
      throw new IllegalArgumentException(
          "no gradient norms of layer '" + layer + "'; recorded layers (those with trained parameters): "
              + any.layers().keySet());
    }
    return out;
  }

  /**
   * Per epoch, the mean update-to-weight ratio of layer {@code layer} (see {@link GradientNorms});
   * NaN for epochs without it.
   *
   * @throws IllegalStateException if no epoch recorded gradient norms
   * @throws IllegalArgumentException naming the layers if no epoch recorded {@code layer}
   */
  public double[] updateRatios(String layer) {
    double[] out = new double[epochs.size()];
    boolean known = false;
    for (int i = 0; i < out.length; i++) {
      GradientNorms g = epochs.get(i).gradientNorms();
      Double v = g == null ? null : g.updateRatios().get(layer);
      known |= v != null;
      out[i] = v == null ? Double.NaN : v;
    }
    if (!known) {
      GradientNorms any = anyGradientNorms();
      throw new IllegalArgumentException(
          "no update ratios of layer '" + layer + "'; recorded layers (those with trained parameters): "
              + any.layers().keySet());
    }
    return out;
  }

  /**
   * Per epoch, the mean total L2 norm of the gradient over all trainable parameters before clipping;
   * NaN for epochs without gradient norms.
   *
   * @throws IllegalStateException if no epoch recorded gradient norms
   */
  public double[] totalGradientNorms() {
    anyGradientNorms();
    double[] out = new double[epochs.size()];
    for (int i = 0; i < out.length; i++) {
      GradientNorms g = epochs.get(i).gradientNorms();
      out[i] = g == null ? Double.NaN : g.total();
    }
    return out;
  }

  private GradientNorms anyGradientNorms() {
    for (EpochStats e : epochs) {
      if (e.gradientNorms() != null) {
        return e.gradientNorms();
      }
    }
    throw new IllegalStateException(
        "no gradient norms were recorded; train with TrainOptions.withGradientNorms()");
  }

  /** Number of finished epochs. */
  public int size() {
    return epochs.size();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    for (EpochStats e : epochs) {
      s.append(e.format(epochs.size())).append('\n');
    }
    return s.toString();
  }
}
