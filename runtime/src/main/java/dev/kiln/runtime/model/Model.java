package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.TargetStandardizer;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.RegressionMetrics;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainedModel;
import dev.kiln.runtime.trust.Answer;
import dev.kiln.runtime.trust.CalibrationResult;
import dev.kiln.runtime.trust.OodDetector;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What every generated network offers. Tools (trainers, evaluators, serializers) work on this type,
 * not on a particular generated class. A model is not thread-safe: use one instance per thread.
 *
 * <p>Predicting, evaluating, reading the weights and saving them or a checkpoint are declared by
 * {@link TrainedModel}, the part of a model that training callbacks see; logits and gradients with
 * respect to the input by {@link Differentiable}.
 */
public interface Model extends TrainedModel, Differentiable {
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

  /** Outputs for several samples (calibrated when {@link #temperature()} is not 1). */
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
   * Reads weights written by {@link #save} for the same architecture, with the calibration
   * temperature and out-of-distribution rule saved beside them (a file written without them, e.g.
   * before calibration existed, gives T = 1 and no rule).
   *
   * @throws IllegalArgumentException naming both networks if the file holds another architecture,
   *     or naming the entry if the saved temperature or rule is malformed
   */
  void load(Path file) throws IOException;

  // ---------------------------------------------------------------- calibration

  /**
   * The calibration temperature T: {@code predict} returns head(z / T) for logits z (softmax or
   * sigmoid), and {@code evaluate}'s loss is the NLL of those probabilities. 1 until
   * {@link #calibrate} fits another; saved by {@code save} and in checkpoints. Training ignores it:
   * its loss is the fused head on the raw logits, and a model trained further keeps its T, which
   * then needs a new {@link #calibrate}.
   */
  double temperature();

  /**
   * Fits the temperature by temperature scaling (Guo et al., 2017) on {@code validation}, data not
   * used for training: the T > 0 that minimizes the mean NLL of head(z / T) (see
   * {@link dev.kiln.runtime.trust.TemperatureScaling}), never one whose validation NLL exceeds T =
   * 1's. Predicted classes do not change.
   *
   * @return T and ECE (15 bins), NLL and Brier score on {@code validation} before and after
   * @throws IllegalArgumentException if {@code validation} is empty or does not fit the network
   * @throws UnsupportedOperationException for a regression network, or one with a class per step
   */
  CalibrationResult calibrate(Dataset validation);

  /** Sets the temperature back to 1: {@code predict} gives the network's own probabilities again. */
  void resetCalibration();

  // ---------------------------------------------------------------- out-of-distribution warnings

  /**
   * Chooses the out-of-distribution rule on in-distribution validation data: the energy score at
   * T_e = 1, accepting {@value OodDetector#DEFAULT_ACCEPT_RATE} of the validation samples (see
   * {@link OodDetector}). Saved by {@code save} and in checkpoints.
   *
   * @throws IllegalArgumentException if {@code validation} is empty or does not fit the network
   * @throws UnsupportedOperationException for a regression network, or one with a class per step
   */
  default OodDetector fitOutOfDistribution(Dataset validation) {
    return fitOutOfDistribution(validation, OodScore.ENERGY, OodDetector.DEFAULT_ACCEPT_RATE);
  }

  /**
   * Chooses the rule of {@code score} so that a fraction {@code acceptRate} of {@code validation}
   * is accepted; MSP is computed at the current calibration temperature, energy at T_e = 1.
   *
   * @throws IllegalArgumentException as {@link #fitOutOfDistribution(Dataset)}, or if the accept
   *     rate is outside (0, 1]
   */
  OodDetector fitOutOfDistribution(Dataset validation, OodScore score, double acceptRate);

  /**
   * Chooses the rule of {@code score} computed at {@code temperature} (T_e for energy, the softmax
   * temperature for MSP).
   *
   * @throws IllegalArgumentException as {@link #fitOutOfDistribution(Dataset, OodScore, double)},
   *     or if the temperature is not finite and positive
   */
  OodDetector fitOutOfDistribution(Dataset validation, OodScore score, double temperature, double acceptRate);

  /** The fitted out-of-distribution rule, if any. */
  Optional<OodDetector> outOfDistributionDetector();

  /** Forgets the out-of-distribution rule. */
  void resetOutOfDistribution();

  /**
   * How well {@code score} separates {@code inDistribution} (e.g. the test set) from the named
   * {@code outOfDistribution} set, whose labels are not used: both sets' scores and the AUROC, and
   * with the fitted rule (when it uses this score) the fraction of each set it flags.
   *
   * @throws IllegalArgumentException if a set is empty or has the wrong number of features
   * @throws UnsupportedOperationException for a regression network, or one with a class per step
   */
  OodEvaluation evaluateOutOfDistribution(Dataset inDistribution, Dataset outOfDistribution, OodScore score);

  /**
   * {@link #evaluateOutOfDistribution(Dataset, Dataset, OodScore)} with the fitted rule's score, or
   * energy if there is no rule.
   */
  default OodEvaluation evaluateOutOfDistribution(Dataset inDistribution, Dataset outOfDistribution) {
    return evaluateOutOfDistribution(
        inDistribution, outOfDistribution,
        outOfDistributionDetector().map(OodDetector::score).orElse(OodScore.ENERGY));
  }

  /**
   * The answer for one sample with its warning: the probabilities {@code predict} gives, the class
   * {@code predictClass} gives, the rule's score and whether the rule flags the sample as out of
   * distribution. One forward pass.
   *
   * @throws IllegalStateException if no rule was fitted ({@link #fitOutOfDistribution}) or loaded
   * @throws IllegalArgumentException if the sample has the wrong size or a non-finite value
   */
  Answer predictWithWarning(float[] sample);

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
