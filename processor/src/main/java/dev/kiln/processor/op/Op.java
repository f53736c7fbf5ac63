package dev.kiln.processor.op;

import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;

/**
 * One kind of layer, in one place: how it is read from its annotation, checked, shape-inferred,
 * which parameters and saved tensors it needs, the code it emits for forward and backward, and how
 * it describes itself. Every stage of the compiler iterates {@link Ops#ALL}; adding a layer kind is
 * adding one implementation (plus its kernel in the runtime).
 *
 * <p>Backward contract (llm.c's {@code +=}): {@link #backward} receives the gradient of the op's
 * output and writes each input's gradient, overwriting or adding as {@link Emit#accumulate} says,
 * so that a tensor read by several consumers receives the sum of their gradients.
 */
public interface Op {
  /** The kind's name: the annotation's simple name, used in summaries, saved files and ONNX export. */
  String kind();

  /** The annotation that declares a layer of this kind. */
  Class<? extends Annotation> annotation();

  /** Typed attributes (a record) from the annotation proxy. */
  Object read(Annotation annotation);

  /** How it may fuse with its neighbours. */
  FusionClass fusionClass();

  /** Number of inputs: exactly this many, or at least 2 when {@link #variadic()}. */
  default int arity() {
    return 1;
  }

  /** Whether the op takes two or more inputs ({@code Add}, {@code Concat}). */
  default boolean variadic() {
    return false;
  }

  /** Rules on the attributes alone, each reported on the exact annotation value. */
  default void check(Node node, Diagnostics out) {}

  /**
   * The output shape from the input shapes; reports a diagnostic and returns null when the inputs do
   * not fit (e.g. a kernel larger than the padded image).
   */
  Shape infer(Node node, List<Shape> inputs, Diagnostics out);

  /**
   * Whether {@link #infer} needs every input's shape; false for ops whose output shape follows from
   * their attributes (Dense), which then also get a shape, and their rules checked, when an input is
   * invalid. Such an op's {@code infer} accepts null input shapes.
   */
  default boolean needsInputShapes() {
    return true;
  }

  /** The fused activation, or null for ops without one. */
  default Activated activation(Node node) {
    return null;
  }

  /** Whether it reads token ids (the int input of {@code inputType = TOKENS}); no other op may. */
  default boolean readsTokens() {
    return false;
  }

  /** Whether the layer's parameters start frozen ({@code trainable = false}). */
  default boolean declaredTrainable(Node node) {
    return true;
  }

  /** Parameter tensors (trained and state), in arena order. */
  default List<ParamDecl> params(Node node) {
    return List.of();
  }

  /** Tensors forward saves for backward besides its output (masks, indices, statistics). */
  default List<SavedDecl> saved(Node node, Activated effective) {
    return List.of();
  }

  /**
   * Whether backward writes its input's gradient through a kernel that can fold in the producer's
   * activation derivative and a dropout mask (see {@link Emit#fold}).
   */
  default boolean foldsInputDerivative() {
    return false;
  }

  /**
   * Whether this op's backward, which {@link #foldsInputDerivative folds}, can fold {@code producer}'s
   * activation, reached through {@code dropout} (null when none); true unless the op says otherwise.
   */
  default boolean foldsDerivativeOf(Activated producer, Node dropout) {
    return true;
  }

  /**
   * Whether each input's gradient is the output's gradient (Add) or is made from it elementwise in
   * place (Activate), so that an input read by this op alone may share the output gradient's memory
   * ({@link Emit#sharesGrad}).
   */
  default boolean gradientPassesThrough() {
    return false;
  }

  /** Whether the output is its input's memory, unchanged (Flatten): no copy, no tensor of its own. */
  default boolean aliasesInput() {
    return false;
  }

  /** Whether at inference the output equals the input (Dropout): consumers then read the input. */
  default boolean identityAtInference() {
    return false;
  }

  /**
   * Why the layer cannot run in the streaming pass, or null when it can. The streaming pass
   * ({@link Emit#streaming}) is the inference forward over a few time steps of a sequence from the
   * recurrent layers' carried states, for generation one token at a time; an op that can take part
   * emits it from {@link #forward}, with {@link Emit#steps} for the number of steps. The default
   * refuses: an op must know it treats every step alike to stream. The text completes
   * "... cannot run step by step: layer 'name' (Kind): ...".
   */
  default String streamRefusal(Node node) {
    return "it sees the whole input at once";
  }

  /**
   * Emits code run once after the parameters are drawn from their initializers (in the generated
   * constructor), e.g. zeroing an embedding's padding row; only {@link Emit#param} and
   * {@link Emit#statement} are meaningful there.
   */
  default void initialize(Node node, Emit e) {}

  /** Emits the forward pass into {@code e}. */
  void forward(Node node, Emit e);

  /** Emits the backward pass: parameter gradients and, where {@link Emit#inputGrad} is non-null, input gradients. */
  void backward(Node node, Emit e);

  /**
   * The op in the architecture text that identifies the weights' layout and meaning, e.g.
   * {@code Dense(16,GELU)}; it is part of the hash saved with the weights.
   */
  String architecture(Node node);

  /** Short detail for the summary and the class comment, e.g. {@code RELU} or {@code rate 0.2}. */
  String detail(Node node);

  /** Typed attributes for the runtime's layer description (see {@code LayerSpec.attributes}). */
  default Map<String, Object> attributes(Node node) {
    return Map.of();
  }

  /** A comment for the generated code: what the op does on which shapes. */
  default String comment(Node node) {
    return kind() + " " + node.input().shape() + " -> " + node.shape();
  }
}
