package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;

/** Whether a data set fits a network: its features per sample and its labels or targets. */
final class DataCompatibility {
  private DataCompatibility() {}

  /**
   * Checks that {@code data} can be fed to the network of {@code spec}.
   *
   * @param role what the data set is for, as messages name it ("training data", ...)
   * @throws IllegalArgumentException naming the data set, what the network expects and what it has
   */
  static void check(ModelSpec spec, Dataset data, String role) {
    if (data.cols() != spec.inputs()) {
      throw new IllegalArgumentException(
          role + " '" + data.name() + "' has " + data.cols() + " features per row, but "
              + spec.network() + " expects " + spec.inputs());
    }
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> {
        requireLabels(data, role);
        if (data.classes() > spec.outputs()) {
          throw new IllegalArgumentException(
              role + " '" + data.name() + "' has " + data.classes() + " classes, but "
                  + spec.network() + " has " + spec.outputs() + " outputs");
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        requireLabels(data, role);
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
