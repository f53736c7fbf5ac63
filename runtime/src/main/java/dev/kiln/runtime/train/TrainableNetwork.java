package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;

/**
 * A network's arenas as a {@link TrainingStep} and the {@link Evaluator} drive them: load a batch,
 * run forward and the loss (with backward), read the outputs, update the parameters. The model
 * base class implements it over its arenas; users do not call it.
 *
 * <p>Arrays returned here are the live arenas: they are replaced when the batch capacity grows
 * ({@link #ensureCapacity}), so read them again after that, and never keep them across calls
 * that may grow them.
 */
public interface TrainableNetwork {
  /** The network's name, for messages. */
  String name();

  /** Floats per sample of the output tensor. */
  int outputs();

  /** Classes predicted: 2 for binary cross-entropy, the outputs for softmax; 0 for regression. */
  int classes();

  /**
   * Class labels per sample: the steps of a sequence output (a language model labels every step;
   * each step's {@code outputs() / labelsPerSample()} outputs are that step's classes), else 1.
   */
  default int labelsPerSample() {
    return 1;
  }

  /** Whether the loss is a classification loss ({@link #classes()} is positive). */
  default boolean isClassification() {
    return classes() > 0;
  }

  /** Samples the batch buffers hold. */
  int capacity();

  /** Grows the batch buffers to hold {@code n} samples (never shrinks them). */
  void ensureCapacity(int n);

  /**
   * Copies rows {@code order[start, start + n)} of {@code data} into the input tensor and the
   * labels or targets; {@code n} is at most {@link #capacity()}.
   */
  void loadBatch(Dataset data, int[] order, int start, int n);

  /**
   * Replaces the inputs of the first {@code n} loaded samples by {@code x} (row-major, as data sets
   * hold samples), keeping their labels; adversarial training uses it after {@link #loadBatch}.
   *
   * @throws UnsupportedOperationException if the network cannot (the default)
   */
  default void loadInputs(float[] x, int n) {
    throw new UnsupportedOperationException(name() + " cannot replace its loaded inputs");
  }

  /** Runs forward on the first {@code n} loaded samples; training mode saves what backward needs. */
  void forward(int n, boolean training);

  /**
   * Summed loss of the {@code n} samples of the last {@link #forward}; with {@code backward} the
   * gradient of the batch-mean loss is added into {@link #gradients()}.
   */
  double loss(int n, boolean backward);

  /** The arena holding the output tensor. */
  float[] outputArena();

  /** Offset of the output tensor (sample 0) in {@link #outputArena()}. */
  int outputOffset();

  /** Class labels of the loaded batch (classification). */
  int[] labels();

  /** Targets of the loaded batch, row-major [n, outputs] (regression). */
  float[] targets();

  /** The parameter arena. */
  float[] parameters();

  /** The gradient arena, same layout as {@link #parameters()}. */
  float[] gradients();

  /**
   * The parts of the parameter arena the optimizer may update, as {@code (offset, length)} pairs
   * (frozen layers and state tensors are left out). Read it every step: freezing changes it.
   */
  int[] trainableRanges();

  /**
   * Sets the recurrent states carried between batches (stateful layers) to zeros; nothing for a
   * network without them.
   */
  default void resetStates() {}

  /**
   * The batch rows of the carried recurrent states, which evaluation uses as its chunk so that they
   * carry from chunk to chunk; 0 for a network without stateful layers.
   */
  default int carriedStateRows() {
    return 0;
  }

  /** Before evaluating: puts the carried states aside and starts from zeros. */
  default void setStatesAside() {}

  /** After evaluating: puts back the states {@link #setStatesAside} put aside. */
  default void restoreStates() {}
}
