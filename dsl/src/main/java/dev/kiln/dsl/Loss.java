package dev.kiln.dsl;

/** Training losses. Each is averaged over the batch. */
public enum Loss {
  /**
   * Softmax + cross-entropy on integer class labels. The last layer has at least two units and
   * activation SOFTMAX (or LINEAR, meaning it outputs logits); predictions are probabilities.
   */
  SOFTMAX_CROSS_ENTROPY,
  /**
   * Sigmoid + binary cross-entropy on 0/1 labels. The last layer has one unit and activation SIGMOID
   * (or LINEAR, meaning it outputs a logit); predictions are probabilities of class 1.
   */
  BINARY_CROSS_ENTROPY,
  /** Mean squared error against real-valued targets, averaged over outputs and batch. */
  MEAN_SQUARED_ERROR
}
