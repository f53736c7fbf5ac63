package dev.kiln.runtime.model;

/** The training losses a generated model can use; mirrors {@code dev.kiln.dsl.Loss}. */
public enum LossKind {
  SOFTMAX_CROSS_ENTROPY,
  BINARY_CROSS_ENTROPY,
  MEAN_SQUARED_ERROR;

  /** Whether targets are class labels (accuracy and a confusion matrix make sense). */
  public boolean isClassification() {
    return this != MEAN_SQUARED_ERROR;
  }
}
