package dev.kiln.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An Elman recurrent layer ({@code torch.nn.RNN}): {@code h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)}.
 *
 * <p>It reads a sequence {@code [B, steps, features]} (from an {@link Embedding}, a
 * {@link InputType#FLOATS} input {@code {steps, features}}, or another recurrent layer with
 * {@code returnSequences}) and gives {@code [B, steps, units]} with {@code returnSequences}, else the
 * last state {@code [B, units]}; bidirectional doubles {@code units} (forward half first, then
 * backward). Stack layers by declaring several; put a {@link Dropout} between them for dropout
 * between stacked layers. Parameters use PyTorch's names and layouts ({@code weight_ih},
 * {@code weight_hh}, {@code bias_ih}, {@code bias_hh}, and the same with {@code _reverse}), drawn
 * from {@code U(-1/sqrt(units), 1/sqrt(units))} as PyTorch does.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.FIELD)
public @interface SimpleRNN {
  /** Size of the hidden state, at least 1. */
  int units();

  /** {@link Activation#TANH} (the default) or {@link Activation#RELU}. */
  Activation activation() default Activation.TANH;

  /** Whether the output is the state at every step (true) or the last state only (false, the default). */
  boolean returnSequences() default false;

  /** Whether a second direction reads the sequence backwards; its states are appended to the forward ones. */
  boolean bidirectional() default false;

  /**
   * Whether the state after each batch (h, and c for the LSTM, per batch row) becomes the initial
   * state of the next batch, as Keras' {@code stateful=True} or PyTorch's carried {@code h.detach()}:
   * truncated back-propagation through time for language models trained on
   * {@code TextStreams.contiguous} rows. No gradient flows into the carried state. Default false: every
   * batch starts from zeros.
   *
   * <p>The state is per batch row, so it is carried only between batches of the same number of rows;
   * a batch of another size starts from zeros. Training a stateful network needs
   * {@code TrainOptions.withShuffle(false)} and a batch size that divides the training rows; states
   * are reset at the start of every epoch unless {@code TrainOptions.carryingStatesAcrossEpochs()},
   * and {@code predict} carries them between calls (reset with {@code resetStates()}). Not allowed
   * with {@code bidirectional}: the reverse direction reads each sequence from its end and has no
   * state to carry into the next batch. [KilnStateful]
   */
  boolean stateful() default false;

  /** Whether training updates this layer's weights (see {@link Dense#trainable()}). */
  boolean trainable() default true;

  /**
   * Name of the layer whose output this layer reads. Empty (the default): the layer declared just
   * before it, or the network input for the first layer.
   */
  String[] from() default {};
}
