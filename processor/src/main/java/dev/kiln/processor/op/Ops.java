package dev.kiln.processor.op;

import java.lang.annotation.Annotation;
import java.util.List;

/** The op registry: every layer kind Kiln knows, in one list that every compiler stage iterates. */
public final class Ops {
  private Ops() {}

  /** The network input (declared by {@code @Network}, not by a field). */
  public static final InputOp INPUT = new InputOp();

  /** Every layer annotation's op. */
  public static final List<Op> LAYERS =
      List.of(
          new DenseOp(),
          new DropoutOp(),
          new Conv2DOp(),
          new MaxPool2DOp(),
          new AvgPool2DOp(),
          new GlobalAveragePool2DOp(),
          new FlattenOp(),
          new BatchNormOp(),
          new ActivateOp(),
          new AddOp(),
          new ConcatOp(),
          new EmbeddingOp(),
          new SimpleRNNOp(),
          new LSTMOp(),
          new GRUOp());

  /** The op declared by {@code annotation}, or null. */
  public static Op forAnnotation(Class<? extends Annotation> annotation) {
    for (Op op : LAYERS) {
      if (op.annotation() == annotation) {
        return op;
      }
    }
    return null;
  }
}
