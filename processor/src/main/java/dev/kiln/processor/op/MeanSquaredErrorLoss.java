package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;

/** Mean squared error against regression targets: gradient {@code 2(p - t) / (outputs · n)}. */
public final class MeanSquaredErrorLoss implements LossOp {
  @Override
  public Loss kind() {
    return Loss.MEAN_SQUARED_ERROR;
  }

  @Override
  public Activation head() {
    return null;
  }

  @Override
  public void check(Node output, Diagnostics out) {
    Activated a = output.op().activation(output);
    if (a != null && a.activation() == Activation.SOFTMAX) {
      out.report(Message.LOSS_ACTIVATION, output, "activation", kind(), a.activation(), output.name(),
          "SOFTMAX_CROSS_ENTROPY for class probabilities, or another activation");
    }
  }

  @Override
  public void emit(Node output, CodeBlock out, CodeBlock probabilities, CodeBlock grad, Emit e) {
    e.comment("mean squared error; gradient 2(p - t) / (outputs * n)");
    e.statement("double loss = $T.meanSquaredError(n, $L, $L, targets, 0, $L, scale)",
        Emit.kernel("Losses"), output.shape().size(), out, grad);
  }
}
