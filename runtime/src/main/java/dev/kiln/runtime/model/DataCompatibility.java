package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import java.util.Arrays;

/**
 * Whether a data set fits a network: the shape of its samples and its labels or targets.
 *
 * <p>A data set fits when its samples have the network's input shape, or when they are flat
 * vectors of as many floats as one input: samples are stored and fed flattened row-major, so a
 * table of 784 features feeds a {@code [1, 28, 28]} input. Samples of another shape (say
 * {@code [28, 28]} for a {@code [1, 28, 28]} input, or {@code [1, 28, 28]} for a {@code [784]} input)
 * are refused, even with the right size, since they most likely mean another layout.
 */
final class DataCompatibility {
  private DataCompatibility() {}

  /**
   * Checks that {@code data} can be fed to the network of {@code spec}.
   *
   * @param role what the data set is for, as messages name it ("training data", ...)
   * @throws IllegalArgumentException naming the data set, what the network expects and what it has
   */
  static void check(ModelSpec spec, Dataset data, String role) {
    int[] shape = data.sampleShape();
    int[] expected = spec.inputShape();
    boolean flat = shape.length == 1;
    if (!flat && !Arrays.equals(shape, expected)) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' has samples of shape " + Arrays.toString(shape) + ", but "
              + spec.network() + " expects inputs of shape " + Arrays.toString(expected)
              + " (or flat rows of " + spec.inputs() + " features, read row-major)");
    }
    if (data.cols() != spec.inputs()) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' has " + data.cols() + " features per row, but "
              + spec.network() + " expects " + spec.inputs());
    }
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> {
        requireLabels(data, role);
        int steps = spec.labelsPerSample();
        if (data.labelsPerRow() != steps) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.labelsPerRow() + " label(s) per row, but "
                  + spec.network() + (steps == 1 ? " predicts one class per sample"
                      : " predicts a class at each of " + steps + " steps (a label per step, -1 for none)"));
        }
        if (data.classes() > spec.outputs() / steps) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.classes() + " classes, but "
                  + spec.network() + " has " + spec.outputs() / steps + " outputs" + (steps == 1 ? "" : " per step"));
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        requireLabels(data, role);
        if (data.labelsPerRow() != 1) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.labelsPerRow() + " labels per row; binary cross-entropy needs one");
        }
        if (data.classes() > 2) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.classes()
                  + " classes; binary cross-entropy needs labels 0 and 1");
        }
      }
      case MEAN_SQUARED_ERROR -> {
        if (data.isClassification() || data.targetCols() != spec.outputs()) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' must hold " + spec.outputs()
                  + " regression targets per row for " + spec.network() + " (mean squared error)");
        }
      }
    }
  }

  private static void requireLabels(Dataset data, String role) {
    if (!data.isClassification()) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' holds regression targets, but the loss needs class labels");
    }
  }
}
