package dev.kiln.runtime.train;

import dev.kiln.runtime.optim.GradientClipping;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates, over the steps of an epoch, the L2 norm of the gradient before clipping: in total over
 * the trainable ranges, and per layer over the layer's trained tensors that lie in the trainable
 * ranges (a frozen layer adds nothing to a step); and each layer's update-to-weight ratio, from a
 * copy of its weights taken before the optimizer step ({@link #beforeUpdate}) and compared after it
 * ({@link #afterUpdate}). Preallocated: no method allocates but {@link #result}.
 */
public final class GradientNormTracker {
  private final String[] layers;
  private final int[][] tensors;
  private final double[] sums;
  private final int[] steps;
  private final double[] ratioSums;
  private final int[] ratioSteps;
  private final boolean[] updating; // per layer: copied by the last beforeUpdate
  private final float[] before; // the tracked tensors' weights before the step, layer after layer
  private double totalSum;
  private int totalSteps;

  /**
   * @param layers names of the layers with trained parameters, in order
   * @param tensors for each layer, its trained tensors as {@code (offset, length)} pairs in the arena
   */
  public GradientNormTracker(List<String> layers, List<int[]> tensors) {
    if (layers.size() != tensors.size()) {
      throw new IllegalArgumentException(layers.size() + " layers but " + tensors.size() + " tensor lists");
    }
    this.layers = layers.toArray(new String[0]);
    this.tensors = new int[tensors.size()][];
    for (int l = 0; l < this.tensors.length; l++) {
      this.tensors[l] = tensors.get(l).clone();
      if (this.tensors[l].length % 2 != 0) {
        throw new IllegalArgumentException("tensors of layer " + this.layers[l] + " must be (offset, length) pairs");
      }
    }
    this.sums = new double[this.layers.length];
    this.steps = new int[this.layers.length];
    this.ratioSums = new double[this.layers.length];
    this.ratioSteps = new int[this.layers.length];
    this.updating = new boolean[this.layers.length];
    int floats = 0;
    for (int[] t : this.tensors) {
      for (int k = 1; k < t.length; k += 2) {
        floats = Math.addExact(floats, t[k]);
      }
    }
    this.before = new float[floats];
  }

  /** Starts an epoch. */
  public void reset() {
    Arrays.fill(sums, 0);
    Arrays.fill(steps, 0);
    Arrays.fill(ratioSums, 0);
    Arrays.fill(ratioSteps, 0);
    totalSum = 0;
    totalSteps = 0;
  }

  /**
   * Adds one step.
   *
   * @param g the gradient arena, before clipping
   * @param ranges the trainable ranges of this step
   * @param totalNorm the L2 norm of {@code g} over {@code ranges}
   * @param sums the kernels of the sums of squares
   */
  public void record(float[] g, int[] ranges, double totalNorm, GradientClipping sums) {
    totalSum += totalNorm;
    totalSteps++;
    for (int l = 0; l < layers.length; l++) {
      int[] t = tensors[l];
      double squares = 0;
      boolean trainable = false;
      for (int k = 0; k < t.length; k += 2) {
        if (inside(t[k], t[k + 1], ranges)) {
          squares += sums.sumOfSquares(g, t[k], t[k + 1]);
          trainable = true;
        }
      }
      if (trainable) {
        this.sums[l] += Math.sqrt(squares);
        steps[l]++;
      }
    }
  }

  /**
   * Copies the weights of the layers that this step trains (every tensor of theirs inside
   * {@code ranges}), before the optimizer updates them.
   */
  public void beforeUpdate(float[] params, int[] ranges) {
    int at = 0;
    for (int l = 0; l < layers.length; l++) {
      int[] t = tensors[l];
      boolean all = true;
      for (int k = 0; k < t.length; k += 2) {
        all &= inside(t[k], t[k + 1], ranges);
      }
      updating[l] = all;
      for (int k = 0; k < t.length; k += 2) {
        if (all) {
          System.arraycopy(params, t[k], before, at, t[k + 1]);
        }
        at += t[k + 1];
      }
    }
  }

  /**
   * Adds each updated layer's ratio {@code ‖w − w_before‖ / ‖w_before‖} for the step whose weights
   * {@link #beforeUpdate} copied; a layer whose weights were all zero adds nothing.
   */
  public void afterUpdate(float[] params) {
    int at = 0;
    for (int l = 0; l < layers.length; l++) {
      int[] t = tensors[l];
      double change = 0;
      double weight = 0;
      for (int k = 0; k < t.length; k += 2) {
        if (updating[l]) {
          for (int i = 0; i < t[k + 1]; i++) {
            double w = before[at + i];
            double d = params[t[k] + i] - w;
            change += d * d;
            weight += w * w;
          }
        }
        at += t[k + 1];
      }
      if (updating[l] && weight > 0) {
        ratioSums[l] += Math.sqrt(change / weight);
        ratioSteps[l]++;
      }
    }
  }

  private static boolean inside(int offset, int length, int[] ranges) {
    for (int r = 0; r < ranges.length; r += 2) {
      if (offset >= ranges[r] && offset + length <= ranges[r] + ranges[r + 1]) {
        return true;
      }
    }
    return false;
  }

  /** The means of the epoch so far (NaN where no step was recorded). */
  public GradientNorms result() {
    Map<String, Double> byLayer = new LinkedHashMap<>();
    Map<String, Double> ratios = new LinkedHashMap<>();
    for (int l = 0; l < layers.length; l++) {
      byLayer.put(layers[l], steps[l] == 0 ? Double.NaN : sums[l] / steps[l]);
      ratios.put(layers[l], ratioSteps[l] == 0 ? Double.NaN : ratioSums[l] / ratioSteps[l]);
    }
    return new GradientNorms(totalSteps == 0 ? Double.NaN : totalSum / totalSteps, byLayer, ratios);
  }
}
