package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Elementwise sum of two or more layers' outputs of the same shape: the residual connection.
 *
 * <pre>{@code
 * @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer a;
 * @Conv2D(filters = 16, kernel = 3, padding = Padding.SAME) Layer b;
 * @Add(from = {"b", "stem"}) Layer sum;
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Add {
  /** The layers to add (at least two; the same shape). */
  String[] from();
}
