package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A 2-D convolution over an image tensor {@code [C, H, W]}:
 * {@code out[B, filters, H', W'] = activation(conv(in, W) + b)}, with weights
 * {@code [filters, C / groups, kernelH, kernelW]} (PyTorch's layout and semantics: cross-correlation).
 *
 * <pre>{@code
 * @Conv2D(filters = 32, kernel = 3, activation = Activation.RELU) Layer conv1;
 * @Conv2D(filters = 64, kernel = {3, 3}, stride = 2, padding = Padding.SAME) Layer down;
 * @Conv2D(filters = 32, kernel = 3, groups = 32) Layer depthwise;
 * }</pre>
 *
 * <p>Sizes given as arrays take one value (for both axes) or two ({@code {height, width}}).
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Conv2D {
  /** Number of output channels, at least 1. */
  int filters();

  /** Kernel size: {@code k} or {@code {kH, kW}}. */
  int[] kernel();

  /** Stride: {@code s} or {@code {sH, sW}}. */
  int[] stride() default {1};

  /** Border handling; {@link Padding#EXPLICIT} takes the amounts from {@link #pad()}. */
  Padding padding() default Padding.VALID;

  /**
   * Explicit zero padding (only with {@link Padding#EXPLICIT}, which setting it implies): {@code p},
   * {@code {pH, pW}} or {@code {top, left, bottom, right}}.
   */
  int[] pad() default {};

  /** Dilation: {@code d} or {@code {dH, dW}}. */
  int[] dilation() default {1};

  /**
   * Channel groups: input and output channels are split into this many groups convolved
   * separately; it must divide both. {@code groups} = input channels is a depthwise convolution.
   */
  int groups() default 1;

  /** Activation applied to the convolution's output. */
  Activation activation() default Activation.LINEAR;

  /** Negative slope of {@link Activation#LEAKY_RELU}; only valid with that activation. */
  double negativeSlope() default 0.01;

  /** Whether the layer has a bias per output channel. */
  boolean useBias() default true;

  /** Weight initialisation; {@link Init#AUTO} picks He for the ReLU family, Xavier otherwise. */
  Init init() default Init.AUTO;

  /** Whether training updates this layer's weights (see {@link Dense#trainable()}). */
  boolean trainable() default true;

  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
