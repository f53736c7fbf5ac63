package dev.kiln.runtime.model;

import dev.kiln.runtime.data.TokenSampler;
import java.util.Arrays;
import java.util.Objects;

/**
 * Carried-state inference for a recurrent network, as char-rnn generation needs it: feed one token
 * (or a short prefix) at a time, each recurrent layer keeping its state (h, and c for an LSTM) here
 * between calls, so that a generated token costs one time step instead of a forward over a whole
 * window. This is what a PyTorch user writes with {@code out, (h, c) = lstm(x, (h, c))}, and it works
 * for networks trained with or without {@code stateful}: a network trained on windows of T steps
 * generates from the state it carried over any number of steps.
 *
 * <pre>{@code
 * SequenceGenerator g = model.generator();
 * TokenSampler sampler = new TokenSampler(42);
 * int[] text = g.generate(vocabulary.encode("ROMEO:"), 300, sampler, 0.8f, 0);
 * }</pre>
 *
 * <p>It runs the generated model's streaming pass ({@code CompiledModel.stream}): the network's own
 * ops, in inference mode (dropout is the identity), over the steps fed, at most the declared sequence
 * length per pass (longer inputs are fed in chunks of it). Networks whose layers cannot run step by
 * step are refused by {@link CompiledModel#generator()} with the layer named (a bidirectional layer
 * reads each sequence from its end; convolutions and the like see every step at once). Padding ids are
 * ordinary tokens here: their embedding row is fed like any other (the windowed {@code predict} ends a
 * sequence at its first padding id).
 *
 * <p>The distribution after the last step fed is the network's output for that step: softmax
 * probabilities (divided by the calibration temperature when the model has one, as {@code predict}),
 * or the regression outputs. It stays valid until the next call; the states and that buffer belong
 * to this generator, so {@code predict} and other generators of the same model may run in between
 * (they share the model's scratch arena, so not at the same time: a generator is not thread-safe).
 * The states are independent of the model's own carried states of {@code stateful} layers. Once
 * created, feeding and sampling allocate nothing.
 */
public final class SequenceGenerator {
  private final CompiledModel model;
  private final int rows;
  private final int window;
  private final int features;
  private final boolean tokens;
  private final int vocabulary;
  private final String embedding;
  private final boolean everyStep;
  private final int width;
  private final float[] states;
  private final float[] last;
  private final float[] scratch;
  private boolean fed;

  SequenceGenerator(CompiledModel model, int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("a generator needs at least 1 row, got " + rows);
    }
    String refusal = model.streamRefusal();
    if (refusal != null) {
      throw new UnsupportedOperationException(refusal);
    }
    ModelSpec spec = model.spec();
    this.model = model;
    this.rows = rows;
    int[] shape = spec.inputShape();
    this.window = shape[0];
    this.features = shape.length > 1 ? shape[1] : 1;
    this.tokens = spec.tokenInput();
    LayerSpec emb = spec.layers().stream().filter(l -> l.type().equals("Embedding")).findFirst().orElse(null);
    this.vocabulary = emb == null ? 0 : emb.<Integer>attribute("vocabulary", 0);
    this.embedding = emb == null ? null : emb.name();
    int[] out = spec.layers().get(spec.layers().size() - 1).outputShape();
    this.everyStep = out.length == 2 && out[0] == window;
    this.width = everyStep ? out[1] : spec.outputs();
    this.states = new float[Math.multiplyExact(rows, model.streamStateFloatsPerRow())];
    this.last = new float[Math.multiplyExact(rows, width)];
    this.scratch = new float[width];
    model.ensureCapacity(rows);
  }

  /** Rows generated side by side (independent sequences, each with its own states). */
  public int rows() {
    return rows;
  }

  /** Floats per row of {@link #distribution()}: the vocabulary of a language model. */
  public int width() {
    return width;
  }

  /** Starts every row again from zero states (a new seed text). */
  public void reset() {
    Arrays.fill(states, 0f);
    Arrays.fill(last, 0f);
    fed = false;
  }

  /**
   * Feeds tokens to row 0 of a one-row generator (see {@link #feed(int[], int, int)}).
   *
   * @return the distribution of the next token: {@link #distribution()}
   */
  public float[] feed(int... tokens) {
    return feed(tokens, 0, tokens.length);
  }

  /** Feeds one token to a one-row generator; no array is allocated, unlike the varargs form. */
  public float[] feed(int token) {
    requireTokens();
    requireRows(1);
    int[] ids = model.intActivations;
    checkId(token, 0);
    ids[0] = token;
    run(1);
    return last;
  }

  /**
   * Feeds {@code count} tokens of {@code tokens} from {@code from} to a one-row generator, in chunks of
   * at most the declared sequence length.
   *
   * @return the distribution of the next token after the last one fed ({@link #distribution()})
   * @throws IllegalArgumentException naming the position (in the tokens fed) and the vocabulary size
   *     of a token outside the vocabulary, or if {@code count} is 0
   */
  public float[] feed(int[] tokens, int from, int count) {
    requireTokens();
    requireRows(1);
    Objects.checkFromIndexSize(from, count, tokens.length);
    requireSteps(count);
    for (int i = 0; i < count; i++) {
      checkId(tokens[from + i], i);
    }
    int[] ids = model.intActivations;
    for (int done = 0; done < count; ) {
      int steps = Math.min(window, count - done);
      System.arraycopy(tokens, from + done, ids, 0, steps);
      run(steps);
      done += steps;
    }
    return last;
  }

  /**
   * Feeds {@code steps} steps of every row: {@code tokens} holds {@code [rows, steps]} ids row-major
   * (row r's steps at {@code r · steps}).
   *
   * @return {@link #distribution()}, {@code [rows, width]}
   */
  public float[] feedRows(int[] tokens, int steps) {
    requireTokens();
    requireSteps(steps);
    if (tokens.length != (long) rows * steps) {
      throw new IllegalArgumentException("feedRows: " + tokens.length + " ids for " + rows + " rows x " + steps
          + " steps = " + (long) rows * steps);
    }
    for (int i = 0; i < tokens.length; i++) {
      checkId(tokens[i], i);
    }
    int[] ids = model.intActivations;
    for (int done = 0; done < steps; ) {
      int chunk = Math.min(window, steps - done);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(tokens, r * steps + done, ids, r * chunk, chunk);
      }
      run(chunk);
      done += chunk;
    }
    return last;
  }

  /**
   * Feeds {@code steps} time steps of features to every row of a network reading a sequence of
   * features: {@code x} holds {@code [rows, steps, features]} row-major from {@code xOff}.
   *
   * @return {@link #distribution()}: the network's output after the last step, {@code [rows, width]}
   */
  public float[] feedFeatures(float[] x, int xOff, int steps) {
    if (tokens) {
      throw new IllegalStateException(model.spec().network() + " reads token ids: use feed(int...)");
    }
    requireSteps(steps);
    Objects.checkFromIndexSize(xOff, Math.multiplyExact(Math.multiplyExact(rows, steps), features), x.length);
    for (int i = 0; i < rows * steps * features; i++) {
      float v = x[xOff + i];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("row " + i / (steps * features) + ", step " + i / features % steps
            + ", feature " + i % features + " is " + v + "; " + model.spec().network() + " needs finite inputs");
      }
    }
    float[] a = model.activations;
    for (int done = 0; done < steps; ) {
      int chunk = Math.min(window, steps - done);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(x, xOff + (r * steps + done) * features, a, r * chunk * features, chunk * features);
      }
      run(chunk);
      done += chunk;
    }
    return last;
  }

  /**
   * The output after the last step fed, {@code [rows, width]}: the next token's probabilities for a
   * language model. The array is this generator's own and is overwritten by the next feed.
   *
   * @throws IllegalStateException if nothing was fed since the start or the last {@link #reset()}
   */
  public float[] distribution() {
    if (!fed) {
      throw new IllegalStateException("nothing fed yet: feed a seed first");
    }
    return last;
  }

  /**
   * Draws row {@code row}'s next token from {@link #distribution()} with {@code sampler}
   * (temperature 0: the most likely token; top-k 0: all tokens).
   */
  public int sample(TokenSampler sampler, int row, float temperature, int topK) {
    Objects.checkIndex(row, rows);
    float[] p = distribution();
    return sampler.sampleFromProbabilities(p, row * width, width, temperature, topK, scratch);
  }

  /** {@link #sample(TokenSampler, int, float, int)} of row 0. */
  public int sample(TokenSampler sampler, float temperature, int topK) {
    return sample(sampler, 0, temperature, topK);
  }

  /**
   * From zero states, feeds {@code seed}, then draws {@code count} tokens one after the other, each
   * fed back, and returns them (the seed not included). Deterministic for the sampler's seed.
   */
  public int[] generate(int[] seed, int count, TokenSampler sampler, float temperature, int topK) {
    int[] out = new int[count];
    generate(seed, count, sampler, temperature, topK, out, 0);
    return out;
  }

  /**
   * As {@link #generate(int[], int, TokenSampler, float, int)}, writing the tokens to {@code out} from
   * {@code outOff}; allocates nothing.
   */
  public void generate(int[] seed, int count, TokenSampler sampler, float temperature, int topK, int[] out,
      int outOff) {
    if (seed.length == 0) {
      throw new IllegalArgumentException("generate needs a seed of at least one token");
    }
    if (count < 0) {
      throw new IllegalArgumentException("generate: negative count " + count);
    }
    Objects.checkFromIndexSize(outOff, count, out.length);
    reset();
    feed(seed, 0, seed.length);
    for (int i = 0; i < count; i++) {
      int next = sample(sampler, 0, temperature, topK);
      out[outOff + i] = next;
      if (i + 1 < count) {
        feed(next);
      }
    }
  }

  /** One streaming pass over {@code steps} steps of the input already in the arena; copies the last step's outputs. */
  private void run(int steps) {
    model.stream(rows, steps, states);
    float[] a = model.activations;
    ModelTrust trust = model.trust();
    boolean calibrated = trust.scales();
    int from = calibrated ? model.logitsOffset() : model.outputOffset();
    double t = calibrated ? trust.temperature() : 1;
    for (int r = 0; r < rows; r++) {
      int src = from + (everyStep ? r * steps + steps - 1 : r) * width;
      if (calibrated) {
        trust.head().probabilities(a, src, width, t, last, r * width);
      } else {
        System.arraycopy(a, src, last, r * width, width);
      }
    }
    fed = true;
  }

  private void checkId(int id, int position) {
    if (id < 0 || id >= vocabulary) {
      throw new IllegalArgumentException("token " + id + " at position " + position + " of the tokens fed is outside"
          + " the vocabulary [0, " + vocabulary + ") of " + embedding);
    }
  }

  private void requireTokens() {
    if (!tokens) {
      throw new IllegalStateException(model.spec().network() + " reads a sequence of features, not token ids: use "
          + "feedFeatures");
    }
  }

  private void requireRows(int expected) {
    if (rows != expected) {
      throw new IllegalStateException("this generator runs " + rows + " rows: use feedRows");
    }
  }

  private static void requireSteps(int steps) {
    if (steps < 1) {
      throw new IllegalArgumentException("nothing to feed: " + steps + " steps");
    }
  }
}
