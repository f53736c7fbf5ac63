package dev.kiln.processor.op;

import dev.kiln.dsl.GRU;
import dev.kiln.processor.ir.Node;
import java.lang.annotation.Annotation;

/** {@code @GRU} (see {@link RecurrentOp}), PyTorch's cell: 3 gates per unit. */
public final class GRUOp extends RecurrentOp {
  @Override
  public String kind() {
    return "GRU";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return GRU.class;
  }

  @Override
  public Object read(Annotation annotation) {
    GRU r = (GRU) annotation;
    return new Attrs(r.units(), null, r.returnSequences(), r.bidirectional(), r.trainable(), r.stateful());
  }

  @Override
  String cell(Node node) {
    return "GRU";
  }

  @Override
  int gates() {
    return 3;
  }
}
