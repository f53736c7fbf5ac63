package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The mean of each channel of an image tensor: {@code [C, H, W] → [C]}. */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface GlobalAveragePool2D {
  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
