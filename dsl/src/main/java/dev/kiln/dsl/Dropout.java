package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Inverted dropout: during training each unit of the previous layer's output is zeroed with
 * probability {@code rate} and the survivors are scaled by {@code 1/(1-rate)}; at inference it is the
 * identity. It cannot be the first or the last layer.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Dropout {
  /** Drop probability in [0, 1). */
  double rate();

  /**
   * Names of the layers whose outputs this layer reads (at most one for this layer kind). Empty
   * (the default): the layer declared just before it, or the network input for the first layer.
   */
  String[] from() default {};
}
