package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What every generated network offers. Tools (trainers, evaluators, serializers) work on this type,
 * not on a particular generated class. A model is not thread-safe: use one instance per thread.
 */
public interface Model {
  /** The compile-time description of the network. */
  ModelSpec spec();

  /** Trains on {@code train} as {@code options} say and returns the per-epoch history. */
  History train(Dataset train, TrainOptions options);

  /** Trains for {@code epochs} epochs with the declared batch size, validating on {@code validation}. */
  default History train(Dataset train, Dataset validation, int epochs) {
    return train(train, TrainOptions.epochs(epochs).withValidation(validation));
  }

  /**
   * Output for one sample: class probabilities for classification losses, the last layer's output
   * for mean squared error.
   *
   * @throws IllegalArgumentException if {@code sample.length} is not the input size
   */
  float[] predict(float[] sample);

  /** Outputs for several samples. */
  float[][] predict(float[][] samples);

  /** Outputs for {@code rows} samples stored row-major in {@code x}, written row-major to {@code out}. */
  void predict(float[] x, int rows, float[] out);

  /** The most probable class of one sample (for binary cross-entropy: 1 iff p ≥ 0.5). */
  int predictClass(float[] sample);

  /** Mean loss, accuracy and confusion matrix on {@code data}. */
  Evaluation evaluate(Dataset data);

  /** Writes the weights as safetensors (atomically) with the network's name and architecture hash. */
  void save(Path file) throws IOException;

  /**
   * Writes a training checkpoint (atomically): the weights, the optimizer's state (moments, momentum
   * buffers, step count, learning rate), the dropout random stream, the finished epoch, the history
   * and the callbacks' state, with a SHA-256 checksum. Continue from it with {@code
   * train(data, options.resumeFrom(file))}; {@link #load} reads its weights alone.
   */
  void saveCheckpoint(Path file) throws IOException;

  /**
   * Reads weights written by {@link #save} for the same architecture.
   *
   * @throws IllegalArgumentException naming both networks if the file holds another architecture
   */
  void load(Path file) throws IOException;

  /** A table of layers, output shapes, parameter counts and arena sizes. */
  String summary();
}
