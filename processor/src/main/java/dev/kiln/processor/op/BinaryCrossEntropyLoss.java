package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;

/** Sigmoid + binary cross-entropy against 0/1 labels, one step: gradient {@code (p - y) / n}. */
public final class BinaryCrossEntropyLoss implements LossOp {
  @Override
  public Loss kind() {
    return Loss.BINARY_CROSS_ENTROPY;
  }

  @Override
  public Activation head() {
    return Activation.SIGMOID;
  }

  @Override
  public void check(Node output, Diagnostics out) {
    int units = output.shape().size();
    if (units > 1) {
      out.report(Message.LOSS_UNITS, output, "units", kind(), "exactly 1 unit", output.name(), units);
    }
    Activated a = output.op().activation(output);
    if (a != null && a.activation() != Activation.SIGMOID && a.activation() != Activation.LINEAR) {
      out.report(Message.LOSS_ACTIVATION, output, "activation", kind(), a.activation(), output.name(),
          "SIGMOID (or LINEAR for a logit)");
    }
  }

  @Override
  public void emit(Node output, CodeBlock logits, CodeBlock probabilities, CodeBlock grad, Emit e) {
    e.comment("sigmoid + binary cross-entropy in one step; gradient (p - y) / n");
    e.statement("double loss = $T.sigmoidBinaryCrossEntropy(n, $L, targets, 0, $L, $L, scale)",
        Emit.kernel("Losses"), logits, probabilities, grad);
  }
}
