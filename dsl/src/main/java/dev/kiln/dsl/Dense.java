package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fully connected layer: {@code out[B,units] = activation(in[B,K] · W[K,units] + b[units])}.
 * Put it on a field of a {@link Network} class; the field's name becomes the layer's name (used for
 * weight names in saved files) and its type is conventionally {@link Layer}.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Dense {
  /** Number of output units, at least 1. */
  int units();

  /** Activation applied to the affine output. */
  Activation activation() default Activation.LINEAR;

  /** Negative slope of {@link Activation#LEAKY_RELU}; only valid with that activation. */
  double negativeSlope() default 0.01;

  /** Whether the layer has a bias vector. */
  boolean useBias() default true;

  /** Weight initialisation; {@link Init#AUTO} picks He for the ReLU family, Xavier otherwise. */
  Init init() default Init.AUTO;

  /**
   * Whether training updates this layer's weights. {@code false} freezes the layer from the start
   * (typical for layers whose weights are loaded from another network); the model's
   * {@code freeze}/{@code unfreeze} methods change it at run time. Frozen weights stay bitwise
   * unchanged by training, whatever the optimizer.
   */
  boolean trainable() default true;

  /**
   * Names of the layers whose outputs this layer reads (at most one for this layer kind). Empty
   * (the default): the layer declared just before it, or the network input for the first layer.
   */
  String[] from() default {};
}
