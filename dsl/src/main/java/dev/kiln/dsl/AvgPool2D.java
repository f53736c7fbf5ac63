package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * 2-D average pooling over an image tensor {@code [C, H, W]}, channel by channel (PyTorch semantics,
 * {@code ceil_mode = false}; padded cells count as zeros in the
 * average, {@code count_include_pad = true}).
 *
 * <pre>{@code
 * @AvgPool2D(size = 2) Layer pool;                 // 2x2 windows, stride 2
 * @AvgPool2D(size = 3, stride = 2, padding = Padding.SAME) Layer pool;
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface AvgPool2D {
  /** Window size: {@code k} or {@code {kH, kW}}. */
  int[] size();

  /** Stride: {@code s} or {@code {sH, sW}}; empty (the default) means the window size. */
  int[] stride() default {};

  /** Border handling; {@link Padding#EXPLICIT} takes the amounts from {@link #pad()}. */
  Padding padding() default Padding.VALID;

  /**
   * Explicit padding (only with {@link Padding#EXPLICIT}, which setting it implies): {@code p},
   * {@code {pH, pW}} or {@code {top, left, bottom, right}}; at most half the window.
   */
  int[] pad() default {};

  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
