package dev.kiln.runtime.inspect;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Differentiable;

/** The checks the trust tools share on their arguments. */
final class TrustChecks {
  private TrustChecks() {}

  /**
   * Requires a classification network and a classification data set of its input width with one
   * label per row, within the network's classes.
   *
   * @throws IllegalArgumentException saying which of these fails, naming {@code tool}
   */
  static void requireClassificationData(Differentiable model, Dataset data, String tool) {
    if (!model.loss().isClassification()) {
      throw new IllegalArgumentException(tool + " needs a classification network; its loss is " + model.loss());
    }
    if (!data.isClassification() || data.labelsPerRow() != 1) {
      throw new IllegalArgumentException(
          tool + " needs a classification data set with one label per row; '" + data.name() + "' is not");
    }
    requireWidth(model, data, tool);
    int classes = classes(model);
    if (data.classes() > classes) {
      throw new IllegalArgumentException(tool + ": data set '" + data.name() + "' has " + data.classes()
          + " classes, the network predicts " + classes);
    }
  }

  /** @throws IllegalArgumentException if the data set's rows are not the network's input width */
  static void requireWidth(Differentiable model, Dataset data, String tool) {
    if (data.cols() != model.inputs()) {
      throw new IllegalArgumentException(tool + ": data set '" + data.name() + "' has " + data.cols()
          + " features per row, the network takes " + model.inputs());
    }
  }

  /** Classes a classification network predicts: 2 for one sigmoid output, else its outputs. */
  static int classes(Differentiable model) {
    return model.outputs() == 1 ? 2 : model.outputs();
  }
}
