package dev.kiln.processor.ir;

/**
 * How an op may fuse with its neighbours, after TVM's op patterns. The planner fuses an
 * {@link #OUT_ELEMENTWISE_FUSABLE} op with the elementwise ops that consume its output.
 */
public enum FusionClass {
  /** One output element from the same input element (activation, dropout, add). */
  ELEMENTWISE,
  /** Elementwise with a broadcast operand (bias add). */
  BROADCAST,
  /** Reduces an axis (softmax, losses, norms). */
  REDUCTION,
  /** Contraction whose output can absorb an elementwise epilogue (matmul, convolution). */
  OUT_ELEMENTWISE_FUSABLE,
  /** Never fused (inputs, data movement). */
  OPAQUE
}
