package dev.kiln.processor.op;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Init;

/** The weight initializer of a layer: He for the ReLU family, Xavier/Glorot otherwise, unless the layer says. */
final class Initializers {
  private Initializers() {}

  static String of(Init init, Activation activation) {
    if (init != Init.AUTO) {
      return init.name();
    }
    return switch (activation) {
      case RELU, LEAKY_RELU -> "HE_NORMAL";
      default -> "XAVIER_UNIFORM";
    };
  }
}
