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
}
