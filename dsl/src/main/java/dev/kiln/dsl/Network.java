package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a network. The annotated class is a specification only: Kiln's annotation processor
 * reads its layer fields ({@link Dense}, {@link Conv2D}, {@link Dropout}, ...) in source order (each
 * layer reads the one before it unless it names its inputs with {@code from}) and generates a model class
 * named after it with the suffix {@code Model} in the same package ({@code FashionMlp} becomes
 * {@code FashionMlpModel}).
 *
 * <pre>{@code
 * @Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-3)
 * class Digits {
 *   @Dense(units = 64, activation = Activation.RELU) Layer hidden;
 *   @Dense(units = 10, activation = Activation.SOFTMAX) Layer output;
 * }
 * }</pre>
 *
 * <p>Optimizer hyperparameters that do not apply to the chosen optimizer (for example
 * {@code momentum} with {@link Optimizer#ADAM}) are compile errors when set.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Network {
  /**
   * Number of input features per sample, for a vector input. Give this or {@link #inputShape()}.
   */
  int inputs() default 0;

  /**
   * Shape of one input sample, for inputs that are not plain vectors: an image is
   * {@code {channels, height, width}} (Fashion-MNIST: {@code {1, 28, 28}}), a sequence of feature vectors
   * {@code {steps, features}}, a sequence of token ids {@code {steps}} with {@link #inputType()}
   * {@code TOKENS}; {@code {n}} is the same
   * as {@code inputs = n}. Samples are passed to {@code predict} and held in datasets flattened in
   * row-major order. Give this or {@link #inputs()}.
   */
  int[] inputShape() default {};

  /**
   * What the input holds: {@link InputType#FLOATS} (the default) or {@link InputType#TOKENS}, a
   * sequence of token ids {@code inputShape = {steps}} read by an {@link Embedding}.
   */
  InputType inputType() default InputType.FLOATS;

  /** The training loss; it must fit the last layer (see {@link Loss}). */
  Loss loss();

  /** The optimizer used by {@code train}. */
  Optimizer optimizer() default Optimizer.ADAM;

  /** Learning rate (step size). */
  double learningRate() default 1e-3;

  /** SGD momentum in [0, 1). SGD only. */
  double momentum() default 0.0;

  /** Nesterov momentum. SGD with momentum only. */
  boolean nesterov() default false;

  /** Adam/AdamW first-moment decay. */
  double beta1() default 0.9;

  /** Adam/AdamW second-moment decay. */
  double beta2() default 0.999;

  /** Adam/AdamW denominator epsilon. */
  double epsilon() default 1e-8;

  /**
   * Weight decay. For SGD and ADAM it is L2 regularisation (added to the gradient); for ADAMW it is
   * decoupled (applied to the weights), as in PyTorch.
   */
  double weightDecay() default 0.0;

  /**
   * Clips the gradient by its global L2 norm before every optimizer update, as PyTorch's
   * {@code clip_grad_norm_(parameters, clipNorm)}: when the norm over all trainable parameters exceeds
   * it, every gradient is multiplied by {@code clipNorm / (norm + 1e-6)}. 0 (the default) turns it
   * off. {@code TrainOptions.withGradientClipNorm} overrides it for one {@code train} call.
   */
  double clipNorm() default 0.0;

  /**
   * Clamps every gradient to {@code [-clipValue, clipValue]} before every optimizer update (after
   * norm clipping), as PyTorch's {@code clip_grad_value_}. 0 (the default) turns it off.
   * {@code TrainOptions.withGradientClipValue} overrides it for one {@code train} call.
   */
  double clipValue() default 0.0;

  /** Default mini-batch size of {@code train}. */
  int batchSize() default 32;

  /** Seed for weight initialisation, shuffling and dropout. */
  long seed() default 42L;

  /**
   * Simple name of the generated model class, in the specification's package. Default (empty): the
   * specification's simple name plus {@code Model}. Needed when two nested specifications of one
   * package share a simple name ({@code OuterA.Net} and {@code OuterB.Net} would both make
   * {@code NetModel}).
   */
  String name() default "";
}
