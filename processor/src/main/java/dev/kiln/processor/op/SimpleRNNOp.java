package dev.kiln.processor.op;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.SimpleRNN;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;
import java.lang.annotation.Annotation;

/** {@code @SimpleRNN} (see {@link RecurrentOp}): one gate, tanh or ReLU, as {@code torch.nn.RNN}. */
public final class SimpleRNNOp extends RecurrentOp {
  @Override
  public String kind() {
    return "SimpleRNN";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return SimpleRNN.class;
  }

  @Override
  public Object read(Annotation annotation) {
    SimpleRNN r = (SimpleRNN) annotation;
    return new Attrs(r.units(), r.activation(), r.returnSequences(), r.bidirectional(), r.trainable(), r.stateful());
  }

  @Override
  public void check(Node node, Diagnostics out) {
    super.check(node, out);
    Activation a = node.attrs(Attrs.class).activation();
    if (a != Activation.TANH && a != Activation.RELU) {
      out.report(Message.BAD_VALUE, node, "activation", "@SimpleRNN activation", "TANH or RELU (as torch.nn.RNN)", a);
    }
  }

  @Override
  String cell(Node node) {
    return node.attrs(Attrs.class).activation() == Activation.RELU ? "RNN_RELU" : "RNN_TANH";
  }

  @Override
  int gates() {
    return 1;
  }
}
