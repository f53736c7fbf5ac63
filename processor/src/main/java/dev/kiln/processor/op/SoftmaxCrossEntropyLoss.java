package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;

/**
 * Softmax + cross-entropy against class labels, one step: gradient {@code (p - onehot(y)) / n}. On a
 * sequence output {@code [T, classes]} (a language model) it applies at every step against a label
 * per step, unlabelled steps (label -1) excluded, the mean taken over the labelled steps.
 */
public final class SoftmaxCrossEntropyLoss implements LossOp {
  @Override
  public Loss kind() {
    return Loss.SOFTMAX_CROSS_ENTROPY;
  }

  @Override
  public Activation head() {
    return Activation.SOFTMAX;
  }

  @Override
  public void check(Node output, Diagnostics out) {
    int units = classes(output);
    if (units == 1) {
      out.report(Message.LOSS_UNITS, output, "units", kind(),
          "at least 2 units (one logit per class; for two classes with one unit use BINARY_CROSS_ENTROPY)",
          output.name(), units);
    }
    Activated a = output.op().activation(output);
    if (a != null && a.activation() != Activation.SOFTMAX && a.activation() != Activation.LINEAR) {
      out.report(Message.LOSS_ACTIVATION, output, "activation", kind(), a.activation(), output.name(),
          "SOFTMAX (or LINEAR for logits)");
    }
  }

  private static int classes(Node output) {
    return output.shape().dim(output.shape().rank() - 1);
  }

  @Override
  public void emit(Node output, CodeBlock logits, CodeBlock probabilities, CodeBlock grad, Emit e) {
    if (output.shape().rank() == 2) {
      e.comment("softmax + cross-entropy at each of $L steps; gradient (p - onehot(y)) / labelled steps",
          output.shape().dim(0));
      e.statement("double loss = $T.softmaxCrossEntropySteps(n, $L, $L, $L, labels, 0, $L, $L)", Emit.kernel("Losses"),
          output.shape().dim(0), classes(output), logits, probabilities, grad);
      return;
    }
    e.comment("softmax + cross-entropy in one step; gradient (p - onehot(y)) / n");
    e.statement("double loss = $T.softmaxCrossEntropy(n, $L, $L, labels, 0, $L, $L, scale)",
        Emit.kernel("Losses"), output.shape().size(), logits, probabilities, grad);
  }

}
