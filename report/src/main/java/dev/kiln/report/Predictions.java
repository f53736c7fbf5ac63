package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Model;

/** Runs a model over a whole data set. */
final class Predictions {
  private Predictions() {}

  /**
   * The model's outputs for every row of {@code data}, row-major {@code [rows, outputs]}.
   *
   * @throws IllegalArgumentException if the data's feature count is not the model's input size
   */
  static float[] of(Model model, Dataset data) {
    if (data.cols() != model.spec().inputs()) {
      throw new IllegalArgumentException(
          "data set '" + data.name() + "' has " + data.cols() + " features per row, but "
              + model.spec().network() + " expects " + model.spec().inputs());
    }
    float[] out = new float[Math.multiplyExact(data.rows(), model.spec().outputs())];
    if (data.rows() > 0) {
      model.predict(data.features(), data.rows(), out);
    }
    return out;
  }
}
