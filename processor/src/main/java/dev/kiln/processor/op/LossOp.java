package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.ir.Node;

/**
 * A training loss, as an op on the network's output: the rule tying the last layer to the loss, the
 * head it applies (softmax or sigmoid, fused with the loss's gradient), and the code computing the
 * loss and the gradient of the output.
 */
public interface LossOp {
  /** The {@code @Network(loss = ...)} value it implements. */
  Loss kind();

  /**
   * The activation the loss fuses (SOFTMAX, SIGMOID), which the last layer then does not apply in
   * training; null when the last layer keeps its own.
   */
  Activation head();

  /** Rules on the last layer (its size and activation). */
  void check(Node output, Diagnostics out);

  /**
   * Emits {@code double loss = ...} (the sum over the batch) and, when {@code backward} is true at
   * run time, the gradient of the batch-mean loss into {@code grad}.
   *
   * @param out the last layer's output (logits when a head is fused)
   * @param probabilities where the head writes its output (null, 0 without a head)
   * @param grad where the gradient of the output goes, null as the array when not {@code backward}
   */
  void emit(Node output, CodeBlock out, CodeBlock probabilities, CodeBlock grad, Emit e);

  /** The loss op for {@code kind}. */
  static LossOp of(Loss kind) {
    return switch (kind) {
      case SOFTMAX_CROSS_ENTROPY -> new SoftmaxCrossEntropyLoss();
      case BINARY_CROSS_ENTROPY -> new BinaryCrossEntropyLoss();
      case MEAN_SQUARED_ERROR -> new MeanSquaredErrorLoss();
    };
  }
}
