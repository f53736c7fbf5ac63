package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Flattens a sample to a vector in row-major order ({@code [C, H, W] → [C·H·W]}, as PyTorch's
 * {@code flatten(1)}). It copies nothing: the next layer reads the same memory.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Flatten {
  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
