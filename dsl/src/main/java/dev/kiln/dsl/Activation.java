package dev.kiln.dsl;

/** Activation functions of a layer. */
public enum Activation {
  /** Identity. */
  LINEAR,
  /** max(0, x). */
  RELU,
  /** x for x > 0, negativeSlope·x otherwise. */
  LEAKY_RELU,
  /** 1 / (1 + e^-x). */
  SIGMOID,
  /** Hyperbolic tangent. */
  TANH,
  /** Gaussian error linear unit, exact erf form (as PyTorch's default). */
  GELU,
  /** Row-wise softmax; only on the last layer, with {@link Loss#SOFTMAX_CROSS_ENTROPY}. */
  SOFTMAX
}
