package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.TargetStandardizer;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.RegressionMetrics;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What every generated network offers. Tools (trainers, evaluators, serializers) work on this type,
 * not on a particular generated class. A model is not thread-safe: use one instance per thread.
 *
 * <p>Predicting, evaluating, reading the weights and saving them or a checkpoint are declared by
 * {@link TrainedModel}, the part of a model that training callbacks see.
 */
public interface Model extends TrainedModel {
  /** The compile-time description of the network. */
  ModelSpec spec();

  /** Trains on {@code train} as {@code options} say and returns the per-epoch history. */
  History train(Dataset train, TrainOptions options);

  /** Trains for {@code epochs} epochs with the declared batch size, validating on {@code validation}. */
  default History train(Dataset train, Dataset validation, int epochs) {
    return train(train, TrainOptions.epochs(epochs).withValidation(validation));
  }

  /**
   * Sets the recurrent states that stateful layers ({@code @LSTM(stateful = true)} and the like)
   * carry from one batch or {@code predict} call to the next back to zeros (Keras'
   * {@code reset_states}): call it before generating from a new seed text, or between independent
   * streams. Nothing for a network without stateful layers.
   */
  void resetStates();

  /** Outputs for several samples. */
  float[][] predict(float[][] samples);

  /** Outputs for {@code rows} samples stored row-major in {@code x}, written row-major to {@code out}. */
  void predict(float[] x, int rows, float[] out);

  /**
   * MSE, MAE and R² in the targets' original units, for a regression network trained on targets
   * standardized by {@code targets}: {@code data} holds the features as the network takes them and
   * the targets in original units; the network's outputs are mapped back before comparing.
   *
   * @throws IllegalArgumentException if {@code data} does not hold one regression target per output,
   *     or {@code targets} was fitted on another number of columns
   */
  default RegressionMetrics evaluate(Dataset data, TargetStandardizer targets) {
    int outputs = spec().outputs();
    if (data.isClassification() || data.targetCols() != outputs || targets.cols() != outputs) {
      throw new IllegalArgumentException(
          "dataset '" + data.name() + "' and the TargetStandardizer (" + targets.cols() + " columns) must both have "
              + outputs + " regression targets per row for " + spec().network());
    }
    float[] predictions = new float[Math.multiplyExact(data.rows(), outputs)];
    predict(data.features(), data.rows(), predictions);
    return RegressionMetrics.of(targets.inverseTransform(predictions), data.targets(), outputs);
  }

  /**
   * Reads weights written by {@link #save} for the same architecture.
   *
   * @throws IllegalArgumentException naming both networks if the file holds another architecture
   */
  void load(Path file) throws IOException;

  // ---------------------------------------------------------------- freezing and transfer

  /**
   * Freezes the named layers: training leaves their weights (and their optimizer state) bitwise
   * unchanged, whatever the optimizer, weight decay or momentum. Layers declared
   * {@code @Dense(trainable = false)} start frozen.
   *
   * @throws IllegalArgumentException listing the layers that have parameters if a name is unknown
   *     or names a layer without parameters; then no layer changes
   */
  void freeze(String... layers);

  /**
   * Makes the named layers trainable again.
   *
   * @throws IllegalArgumentException as {@link #freeze} does
   */
  void unfreeze(String... layers);

  /**
   * Whether layer {@code layer} is frozen (false for layers without parameters).
   *
   * @throws IllegalArgumentException listing the layers if there is no such layer
   */
  boolean isFrozen(String layer);

  /** Number of parameter floats that training updates (those of layers that are not frozen). */
  long trainableParameterCount();

  /**
   * Copies the named layers' weights from {@code source}, a network whose layers of those names
   * have the same tensors and shapes (its other layers may differ: typically a new head).
   *
   * @return the copied tensor names, e.g. {@code [hidden.kernel, hidden.bias]}
   * @throws IllegalArgumentException if no layer is named, a layer is missing here or in the
   *     source (listing the source's layers), or its shapes differ (naming both shapes); then no
   *     weight changes
   */
  List<String> transferFrom(Model source, String... layers);

  /**
   * {@link #transferFrom(Model, String...)} from a safetensors file, such as one written by
   * {@link #save} for another network.
   *
   * @throws IOException if the file cannot be read or is malformed
   */
  List<String> transferFrom(Path weights, String... layers) throws IOException;

  /**
   * Copies every layer whose name, tensors and shapes match a layer of {@code source}; the
   * others keep their weights.
   *
   * @return the copied tensor names (empty if nothing matched)
   */
  List<String> loadMatching(Model source);

  /**
   * {@link #loadMatching(Model)} from a safetensors file; its architecture may differ from this
   * network's.
   *
   * @throws IOException if the file cannot be read or is malformed
   */
  List<String> loadMatching(Path weights) throws IOException;

  /**
   * A table of layers, output shapes, parameter counts and which layers are trainable or frozen,
   * with the trainable and frozen totals and the arena sizes.
   */
  String summary();
}
