package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A lookup table of learned vectors ({@code torch.nn.Embedding}): token ids {@code [B, steps]} give
 * {@code [B, steps, dim]}. It reads the network input, which must be {@link InputType#TOKENS}.
 *
 * <p>With a {@code paddingIndex}, that id's row starts at zero and never gets a gradient, and every
 * recurrent layer reading this embedding (directly or through other sequence layers) treats a
 * sequence as ending at its first padding id, as PyTorch's packed sequences do: padded steps change
 * neither outputs nor gradients, and "last state" means the last real step.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface Embedding {
  /** Number of distinct token ids, at least 1; ids must lie in {@code [0, vocabulary)}. */
  int vocabulary();

  /** Length of each token's vector, at least 1. */
  int dim();

  /** The id used for padding (its row stays zero), or -1 for none. */
  int paddingIndex() default -1;

  /** Whether training updates the table (see {@link Dense#trainable()}). */
  boolean trainable() default true;

  /** Name of the layer it reads: the network input (the default). */
  String[] from() default {};
}
