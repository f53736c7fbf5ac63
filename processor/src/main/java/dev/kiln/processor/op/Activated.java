package dev.kiln.processor.op;

import dev.kiln.dsl.Activation;

/**
 * An activation with its parameter.
 *
 * @param alpha LEAKY_RELU's negative slope (0 otherwise)
 */
public record Activated(Activation activation, float alpha) {
  public static final Activated LINEAR = new Activated(Activation.LINEAR, 0f);

  public static Activated of(Activation activation, double negativeSlope) {
    return new Activated(activation, activation == Activation.LEAKY_RELU ? (float) negativeSlope : 0f);
  }

  /** Text as in the architecture: {@code LEAKY_RELU(0.05)}, {@code RELU}. */
  public String text() {
    return activation == Activation.LEAKY_RELU ? "LEAKY_RELU(" + alpha + ")" : activation.name();
  }

  public boolean isLinear() {
    return activation == Activation.LINEAR;
  }
}
