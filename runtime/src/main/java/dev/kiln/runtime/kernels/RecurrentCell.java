package dev.kiln.runtime.kernels;

/**
 * The recurrent cells, with PyTorch's gate order and bias placement so that weights and results match
 * {@code torch.nn.RNN}, {@code LSTM} and {@code GRU}:
 *
 * <ul>
 *   <li>{@code RNN_TANH}, {@code RNN_RELU}: {@code h' = act(W_ih x + b_ih + W_hh h + b_hh)}
 *   <li>{@code LSTM}, gates i, f, g, o: {@code c' = σ(f) c + σ(i) tanh(g)}, {@code h' = σ(o) tanh(c')}
 *   <li>{@code GRU}, gates r, z, n: {@code n = tanh(W_in x + b_in + σ(r) ⊙ (W_hn h + b_hn))},
 *       {@code h' = (1 - σ(z)) n + σ(z) h}
 * </ul>
 */
public enum RecurrentCell {
  RNN_TANH(1),
  RNN_RELU(1),
  LSTM(4),
  GRU(3);

  /** Gates per hidden unit: the rows of {@code W_ih} and {@code W_hh} are {@code gates · hidden}. */
  public final int gates;

  RecurrentCell(int gates) {
    this.gates = gates;
  }
}
