package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Batch normalization (PyTorch semantics): per channel (per feature after a dense layer), training
 * normalizes with the batch mean and biased variance and updates running statistics
 * ({@code running = (1 - momentum)·running + momentum·batch}, the variance unbiased); evaluation and
 * prediction use the running statistics. Learns a scale {@code gamma} (starting at 1) and a shift
 * {@code beta} (starting at 0). The running statistics are saved with the weights and in checkpoints,
 * and never touched by the optimizer.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface BatchNorm {
  /** Weight of the current batch in the running statistics, in (0, 1]. */
  double momentum() default 0.1;

  /** Added to the variance before the square root, positive. */
  double epsilon() default 1e-5;

  /** Whether training updates gamma and beta (see {@link Dense#trainable()}). */
  boolean trainable() default true;

  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
