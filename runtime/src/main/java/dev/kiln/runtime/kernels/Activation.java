package dev.kiln.runtime.kernels;

/**
 * Activation functions the fused layer kernels apply to a pre-activation {@code z}.
 *
 * <p>{@code alpha} is the negative slope of {@link #LEAKY_RELU} and is ignored by the others.
 * Derivatives are taken from the output {@code y = act(z)} where that is possible (so backward needs
 * only the saved output); {@link #GELU} is the exception and needs {@code z} saved as well.
 */
public enum Activation {
  /** y = z. */
  LINEAR,
  /** y = max(z, 0); y' = y > 0 ? 1 : 0. */
  RELU,
  /** y = z > 0 ? z : alpha·z (alpha > 0); y' = y > 0 ? 1 : alpha. */
  LEAKY_RELU,
  /** y = 1 / (1 + e^-z); y' = y(1 - y). */
  SIGMOID,
  /** y = tanh z; y' = 1 - y². */
  TANH,
  /** Exact GELU (PyTorch's default): y = 0.5·z·(1 + erf(z/√2)); y' = Φ(z) + z·φ(z), needs z. */
  GELU,
  /** Per-row softmax; its backward only exists fused into a loss. */
  SOFTMAX;

  /** True when the derivative needs the pre-activation z rather than the output y. */
  public boolean needsPreActivation() {
    return this == GELU;
  }
}
