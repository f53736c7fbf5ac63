package dev.kiln.processor.op;

import dev.kiln.dsl.LSTM;
import dev.kiln.processor.ir.Node;
import java.lang.annotation.Annotation;

/** {@code @LSTM} (see {@link RecurrentOp}), PyTorch's cell: 4 gates per unit. */
public final class LSTMOp extends RecurrentOp {
  @Override
  public String kind() {
    return "LSTM";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return LSTM.class;
  }

  @Override
  public Object read(Annotation annotation) {
    LSTM r = (LSTM) annotation;
    return new Attrs(r.units(), null, r.returnSequences(), r.bidirectional(), r.trainable(), r.stateful());
  }

  @Override
  String cell(Node node) {
    return "LSTM";
  }

  @Override
  int gates() {
    return 4;
  }
}
