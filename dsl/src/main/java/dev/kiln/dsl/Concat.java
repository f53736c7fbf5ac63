package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Concatenation of two or more layers' outputs along the first axis of a sample: channels of images
 * ({@code [C1, H, W] + [C2, H, W] → [C1 + C2, H, W]}), features of vectors.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Concat {
  /** The layers to concatenate, in order (at least two; equal in every axis but the first). */
  String[] from();
}
