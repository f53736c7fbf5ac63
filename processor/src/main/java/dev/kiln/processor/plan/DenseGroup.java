package dev.kiln.processor.plan;

import dev.kiln.dsl.Activation;
import dev.kiln.processor.ir.Node;

/**
 * One fused group around a dense layer: an optional dropout on its input (training only), the
 * matmul with bias and activation in its epilogue, and, for the last layer under a classification
 * loss, the head (softmax or sigmoid) that the loss step fuses with.
 *
 * <p>Saved-state contract: forward writes {@code out} (and {@code preActivation} when the
 * activation's derivative needs it); backward reads {@code trainingInput}, {@code out} /
 * {@code preActivation} of the previous group and the dropout mask, and writes {@code gradient}
 * of the previous group.
 *
 * @param node the dense node
 * @param in input features
 * @param units output features
 * @param input input tensor at inference (previous group's output or the network input)
 * @param dropout dropout applied to {@code input} while training, or null
 * @param kernel weight tensor [in, units]
 * @param bias bias tensor [units] or null
 * @param activation the declared activation
 * @param alpha LEAKY_RELU slope
 * @param epilogueActivation the activation applied inside the matmul epilogue (LINEAR when the
 *     loss step applies the head)
 * @param out the kernel's output (activations; logits when a head follows)
 * @param preActivation saved pre-activation (GELU) or null
 * @param head activation producing {@code probabilities} from logits (SOFTMAX/SIGMOID), or null
 * @param probabilities output of the head, or null
 * @param gradient gradient w.r.t. this layer's pre-activation (a shared ping-pong buffer)
 */
public record DenseGroup(
    Node node,
    int in,
    int units,
    TensorSlot input,
    DropoutPart dropout,
    ParamSlot kernel,
    ParamSlot bias,
    Activation activation,
    float alpha,
    Activation epilogueActivation,
    TensorSlot out,
    TensorSlot preActivation,
    Activation head,
    TensorSlot probabilities,
    TensorSlot gradient) {

  /** The tensor the matmul reads while training (the dropout output if there is one). */
  public TensorSlot trainingInput() {
    return dropout == null ? input : dropout.out();
  }

  /** The tensor holding the network's final output if this is the last group. */
  public TensorSlot finalOutput() {
    return probabilities != null ? probabilities : out;
  }

  /**
   * Inverted dropout on the group's input.
   *
   * @param node the dropout node
   * @param rate drop probability
   * @param mask saved scale per element (0 or 1/(1-rate))
   * @param out masked input
   */
  public record DropoutPart(Node node, double rate, TensorSlot mask, TensorSlot out) {}
}
