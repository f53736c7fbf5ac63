package dev.kiln.processor.ir;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Init;
import java.util.Set;

/** Attributes of an IR node, one record per op kind. */
public sealed interface OpAttrs {
  /**
   * Names of the annotation attributes the user wrote explicitly (the rest are defaults); the
   * checker uses them to reject options that do not apply.
   */
  Set<String> explicit();

  /** The network input: {@code size} features per sample. */
  record Input(int size, Set<String> explicit) implements OpAttrs {}

  /**
   * out = activation(in · W + b).
   *
   * @param trainable false if the layer is declared frozen (its weights are not trained until
   *     unfrozen at run time); not part of the architecture, since it does not change what the
   *     weights mean
   */
  record Dense(
      int units,
      Activation activation,
      double negativeSlope,
      boolean useBias,
      Init init,
      boolean trainable,
      Set<String> explicit)
      implements OpAttrs {}

  /** Inverted dropout with drop probability {@code rate}. */
  record Dropout(double rate, Set<String> explicit) implements OpAttrs {}
}
