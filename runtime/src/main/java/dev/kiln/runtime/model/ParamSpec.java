package dev.kiln.runtime.model;

import java.util.Arrays;

/**
 * One parameter tensor in the model's flat parameter arena.
 *
 * @param name saved name, e.g. {@code hidden.kernel} (shape [in, out]) or {@code hidden.bias} ([out])
 * @param shape row-major shape
 * @param offset first float in the arena
 * @param length number of floats (product of the shape)
 * @param init initialiser
 * @param fanIn inputs per output unit (for the initialiser)
 * @param fanOut outputs per input unit (for the initialiser)
 * @param role whether the optimizer trains it or the forward pass maintains it (BatchNorm's
 *     running statistics); both are saved with the weights and in checkpoints
 */
public record ParamSpec(
    String name, int[] shape, int offset, int length, Initializer init, int fanIn, int fanOut, Role role) {
  /** What a parameter tensor is for. */
  public enum Role {
    /** Learned by the optimizer from its gradient. */
    TRAINED,
    /** State kept by the forward pass in training (running statistics); no gradient, no optimizer. */
    STATE
  }

  /** A trained parameter. */
  public ParamSpec(String name, int[] shape, int offset, int length, Initializer init, int fanIn, int fanOut) {
    this(name, shape, offset, length, init, fanIn, fanOut, Role.TRAINED);
  }

  public ParamSpec {
    shape = shape.clone();
    long product = 1;
    for (int d : shape) {
      product *= d;
    }
    if (product != length) {
      throw new IllegalArgumentException(
          name + ": shape " + Arrays.toString(shape) + " holds " + product + " floats, not " + length);
    }
  }

  /** Whether the optimizer updates this tensor. */
  public boolean trained() {
    return role == Role.TRAINED;
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }
}
