package dev.kiln.runtime.data;

import java.util.Objects;

/**
 * The parts of a data set made by {@link Dataset#split} or {@link Dataset#trainTestSplit}. Parts
 * are disjoint and together hold every row once. A train/test split has a zero-row validation part.
 */
public record Split(Dataset train, Dataset validation, Dataset test) {
  public Split {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(test, "test");
  }

  /** Whether the validation part has any rows. */
  public boolean hasValidation() {
    return validation.rows() > 0;
  }
}
