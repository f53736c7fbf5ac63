package dev.kiln.dsl;

/** How a convolution or pooling window treats the border of its input. */
public enum Padding {
  /** No padding: windows lie wholly inside the input; the output shrinks. */
  VALID,
  /**
   * Zero padding so that the output has ceil(input / stride) positions (at stride 1, the input's
   * size); an odd total is split with the extra cell at the bottom and right, as TensorFlow and
   * PyTorch's {@code padding="same"} do.
   */
  SAME,
  /** The amounts given by the layer's {@code pad} attribute. */
  EXPLICIT
}
