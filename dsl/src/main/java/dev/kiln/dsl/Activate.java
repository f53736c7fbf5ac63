package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A standalone activation layer, e.g. after {@link BatchNorm} or a residual {@link Add}:
 * {@code @Activate(Activation.RELU) Layer relu;}. (Dense and Conv2D layers take an activation of
 * their own, applied in the same kernel.)
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Activate {
  /** The activation. */
  Activation value();

  /** Negative slope of {@link Activation#LEAKY_RELU}; only valid with that activation. */
  double negativeSlope() default 0.01;

  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
