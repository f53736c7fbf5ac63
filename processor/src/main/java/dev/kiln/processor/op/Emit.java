package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import dev.kiln.processor.ir.Node;

/**
 * What an op's {@link Op#forward} and {@link Op#backward} see of the plan: where every tensor it
 * touches lives, as {@code array, offset} argument pairs for a kernel call, and where to write code.
 * Tensor expressions read {@code a} (float arena), {@code ia} (int arena), {@code c} (capacity),
 * {@code n} (rows of the batch) and, in forward, {@code training}.
 */
public interface Emit {
  /** Runtime kernel class {@code dev.kiln.runtime.kernels.<simpleName>}. */
  static ClassName kernel(String simpleName) {
    return ClassName.get("dev.kiln.runtime.kernels", simpleName);
  }

  /** The runtime's {@code Activation} enum. */
  ClassName ACTIVATION = kernel("Activation");

  /** Appends a statement (JavaPoet format: $L literal, $T type, $S string). */
  void statement(String format, Object... args);

  /** Appends a line comment. */
  void comment(String format, Object... args);

  /** Opens {@code if (condition) {}}. */
  void beginIf(String condition, Object... args);

  /** Turns the open {@code if} block into {@code if ... else}. */
  void orElse();

  /** Closes the block opened last. */
  void end();

  /** Whether this is the forward pass (else backward, where everything is in training mode). */
  boolean forward();

  /**
   * Whether this backward is the input-gradient pass: the backward of the inference forward, from
   * the output's gradient down to the network input's, for the gradient of exactly what
   * {@code predict} computes. It runs right after {@code forward(n, false)} (with every layer's
   * output written: no fusion that leaves a layer's output unstored), so:
   *
   * <ul>
   *   <li>no parameter gradient is written (the gradient arena stays as training left it);
   *   <li>{@link #in} and {@link #trainingIn} give the inputs as inference read them (a dropout's
   *       input, since dropout is the identity there), and a dropout's backward is the identity;
   *   <li>batch normalization is the affine map of its running statistics;
   *   <li>tensors the forward saves only when training ({@link #savedForTraining}, e.g. pooling
   *       indices) are not there: the op recomputes them from its input, which inference did write.
   *       Tensors saved by {@link #saved} in every mode (pre-activations, recurrent workspaces) are.
   * </ul>
   *
   * <p>Gradient tensors ({@link #grad}, {@link #inputGrad}, {@link #fold}) are this pass's own
   * layout, in which every node, the input included, has a gradient.
   */
  boolean inputGradientPass();

  /**
   * Whether this is the streaming pass: the inference forward over {@link #steps} time steps (from 1
   * to the declared length) of {@code n} rows, each recurrent layer starting from its carried state
   * ({@link #streamState}) and leaving its new state there. Only ops whose
   * {@link Op#streamRefusal} is null take part; dropout is skipped (the identity at inference), and
   * {@link #in} gives the inputs as inference reads them.
   */
  default boolean streaming() {
    return false;
  }

  /**
   * The number of time steps of a sequence of {@code declared} steps in this pass: the literal
   * {@code declared}, or the streaming pass's run-time {@code steps}.
   */
  default String steps(int declared) {
    return Integer.toString(declared);
  }

  /** Where a recurrent layer's carried state is in the streaming pass ({@code array, offset}). */
  default CodeBlock streamState(Node node) {
    throw new IllegalStateException(node.name() + ": only the streaming pass carries states");
  }

  /** Input {@code i} of {@code node} as it is read in this pass (at inference, dropout is skipped). */
  CodeBlock in(Node node, int i);

  /** The input {@code i} as read in training (what backward sees). */
  CodeBlock trainingIn(Node node, int i);

  /** The node's output tensor. */
  CodeBlock out(Node node);

  /** A saved tensor of the node (see {@link Op#saved}). */
  CodeBlock saved(Node node, String key);

  /**
   * A saved tensor that only training needs: in forward, {@code null} in place of the array when not
   * training, so that the kernel can skip it.
   */
  CodeBlock savedForTraining(Node node, String key);

  /** The parameter {@code node.key} in the parameter arena. */
  CodeBlock param(Node node, String key);

  /**
   * The offset alone of parameter {@code node.key}, the same in the parameter and gradient arenas,
   * for kernels that take one array and several offsets.
   */
  CodeBlock paramOffset(Node node, String key);

  /** The gradient of parameter {@code node.key} in the gradient arena. */
  CodeBlock paramGrad(Node node, String key);

  /** The gradient of the node's output (backward only). */
  CodeBlock grad(Node node);

  /**
   * Whether {@link #grad} already holds the gradient of the pre-activation (a consumer or the loss
   * folded the activation's derivative in), so the op must not apply it again.
   */
  boolean gradIsPreActivation(Node node);

  /** The gradient of input {@code i}, or null when that input needs none. */
  CodeBlock inputGrad(Node node, int i);

  /**
   * Whether input {@code i}'s gradient is the same memory as this op's output gradient (see
   * {@link Op#gradientPassesThrough}): then there is nothing to copy.
   */
  boolean sharesGrad(Node node, int i);

  /** Whether the contribution to input {@code i}'s gradient adds (another consumer wrote first). */
  boolean accumulate(Node node, int i);

  /**
   * The fold of a consumer ({@link Op#foldsInputDerivative}): what sits between this op and the
   * producer whose gradient it writes, or null when it cannot fold.
   */
  Fold fold(Node node);

  /** The activation the op applies in its kernel: LINEAR for the last layer when the loss applies the head. */
  Activated effectiveActivation(Node node);

  /** Declares {@code private static final type NAME = initializer;} and returns NAME (one per node and suffix). */
  String constant(Node node, String suffix, TypeName type, CodeBlock initializer);

  /** {@code Activation.RELU}. */
  default CodeBlock activation(Activated a) {
    return CodeBlock.of("$T.$L", ACTIVATION, a.activation().name());
  }

  /** A float literal. */
  static String f(float v) {
    return Float.toString(v) + "f";
  }

  /**
   * A folded input derivative: the consumer writes the gradient of {@code producer}'s
   * pre-activation directly, multiplying by {@code activation}' (from {@code y}, or {@code z} for
   * GELU) and by a dropout {@code mask}.
   *
   * @param dropout the dropout between them whose mask applies, or null (always null in the
   *     input-gradient pass, where dropout is the identity)
   * @param y the producer's output ({@code null, 0} when unused)
   * @param z the producer's saved pre-activation ({@code null, 0} when unused)
   * @param mask the dropout mask between them ({@code null, 0} when none)
   * @param target where the gradient goes
   */
  record Fold(Node producer, Node dropout, Activated activation, CodeBlock y, CodeBlock z, CodeBlock mask, CodeBlock target) {}
}
