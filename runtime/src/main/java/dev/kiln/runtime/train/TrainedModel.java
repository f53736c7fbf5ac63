package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The model a {@code train} call trains, as its callbacks see it ({@link TrainingContext#model()}):
 * its weights, predictions and evaluation, and saving weights or a checkpoint. Every
 * {@link dev.kiln.runtime.model.Model} is one; cast to the generated class for the rest.
 *
 * <p>This type lives in the training package so that training does not depend on the model
 * package (which depends on training for {@link History} and {@link TrainOptions}).
 */
public interface TrainedModel {
  /** A copy of the parameter arena, tensors at the offsets of the network's parameter list. */
  float[] parameters();

  /**
   * Output for one sample: class probabilities for classification losses (calibrated by the model's
   * temperature, if it has one), the last layer's output for mean squared error. The sample is the
   * input tensor flattened row-major.
   *
   * @throws IllegalArgumentException if {@code sample.length} is not the input size
   */
  float[] predict(float[] sample);

  /** The most probable class of one sample (for binary cross-entropy: 1 iff p ≥ 0.5). */
  int predictClass(float[] sample);

  /**
   * Mean loss on {@code data}, with accuracy and confusion matrix (classification) or MSE, MAE and
   * R² per output and averaged (regression, {@link Evaluation#regression()}). For a calibrated
   * classifier the loss is the NLL of the calibrated probabilities, those {@code predict} returns;
   * the validation loss of each training epoch is always the network's own.
   */
  Evaluation evaluate(Dataset data);

  /** Writes the weights as safetensors (atomically) with the network's name and architecture hash. */
  void save(Path file) throws IOException;

  /**
   * Writes a training checkpoint (atomically): the weights, the optimizer's state (moments, momentum
   * buffers, step count, learning rate), the dropout random stream, the finished epoch, the history
   * and the callbacks' state, with a SHA-256 checksum. Continue from it with {@code
   * train(data, options.resumeFrom(file))}; {@code load} reads its weights alone.
   */
  void saveCheckpoint(Path file) throws IOException;
}
