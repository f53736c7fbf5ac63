package dev.kiln.runtime.data;

import java.util.List;
import java.util.Objects;

/**
 * Turns texts into fixed-length rows of token ids, the input of an embedding layer: a text is
 * {@linkplain WordTokenizer tokenized}, each token mapped by a word {@link Vocabulary} (unknown
 * tokens to {@link Vocabulary#OOV}), then cut to its first {@link #length()} tokens or padded at the
 * end with {@link Vocabulary#PAD} (0). Ids are written as floats because a {@link Dataset} holds
 * float features; the generated model copies them into its integer input. Every id is exact, as a
 * vocabulary here has at most 2<sup>24</sup> entries. Immutable.
 *
 * <pre>{@code
 * SequenceEncoder enc = SequenceEncoder.fit(trainTexts, 2, 10_000, 40); // vocabulary from training texts only
 * Dataset train = enc.classification("reviews/train", trainTexts, trainLabels, 2);
 * int positive = model.predictClass(enc.encode("A wonderful film."));
 * }</pre>
 */
public final class SequenceEncoder {
  /** The most ids a float holds exactly (its 24-bit significand). */
  static final int MAX_EXACT_ID = 1 << 24;

  private final Vocabulary vocabulary;
  private final int length;

  /**
   * @param vocabulary a word vocabulary (it needs PAD)
   * @param length     tokens per row, {@code >= 1}
   * @throws IllegalArgumentException for a character vocabulary, a vocabulary too large for float
   *                                  ids, or {@code length < 1}
   */
  public SequenceEncoder(Vocabulary vocabulary, int length) {
    Objects.requireNonNull(vocabulary, "vocabulary");
    if (!vocabulary.hasSpecialTokens()) {
      throw new IllegalArgumentException("a SequenceEncoder pads with PAD, which a " + vocabulary
          + " does not hold; use a word vocabulary");
    }
    if (vocabulary.size() > MAX_EXACT_ID) {
      throw new IllegalArgumentException("a vocabulary of " + vocabulary.size() + " ids is too large for float ids (at most "
          + MAX_EXACT_ID + ")");
    }
    if (length < 1) {
      throw new IllegalArgumentException("length must be >= 1 token, got " + length);
    }
    this.vocabulary = vocabulary;
    this.length = length;
  }

  /**
   * An encoder whose vocabulary is built from {@code texts} (fit it on training texts only, so
   * held-out words count as unknown): see {@link Vocabulary#ofWords(List, int, int)}.
   */
  public static SequenceEncoder fit(List<String> texts, int minFrequency, int maxVocabularySize, int length) {
    Objects.requireNonNull(texts, "texts");
    return new SequenceEncoder(
        Vocabulary.ofWords(texts.stream().map(WordTokenizer::tokenize).toList(), minFrequency, maxVocabularySize),
        length);
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** Tokens per row: the input length of the network. */
  public int length() {
    return length;
  }

  /** One text as a row of {@link #length()} ids, for {@code predict}. */
  public float[] encode(String text) {
    float[] row = new float[length];
    encode(text, row, 0);
    return row;
  }

  /**
   * Writes one text's {@link #length()} ids into {@code out[offset ..]}.
   *
   * @return the number of tokens of the text that were kept (the rest of the row is PAD)
   */
  public int encode(String text, float[] out, int offset) {
    Objects.requireNonNull(text, "text");
    Objects.checkFromIndexSize(offset, length, out.length);
    List<String> tokens = WordTokenizer.tokenize(text);
    int n = Math.min(length, tokens.size());
    for (int i = 0; i < n; i++) {
      out[offset + i] = vocabulary.id(tokens.get(i));
    }
    for (int i = n; i < length; i++) {
      out[offset + i] = Vocabulary.PAD;
    }
    return n;
  }

  /** All texts as {@code texts.size() * length()} ids, row-major. */
  public float[] encodeAll(List<String> texts) {
    Objects.requireNonNull(texts, "texts");
    float[] x = new float[Math.multiplyExact(texts.size(), length)];
    for (int r = 0; r < texts.size(); r++) {
      encode(Objects.requireNonNull(texts.get(r), "texts[" + r + "]"), x, r * length);
    }
    return x;
  }

  /**
   * A classification data set of the encoded texts: {@code texts.size()} rows of {@link #length()} ids.
   *
   * @throws IllegalArgumentException as {@link Dataset#classification} does, or if the counts of
   *                                  texts and labels differ
   */
  public Dataset classification(String name, List<String> texts, int[] labels, int classes) {
    Objects.requireNonNull(labels, "labels");
    if (labels.length != texts.size()) {
      throw new IllegalArgumentException("dataset '" + name + "': " + texts.size() + " texts but " + labels.length
          + " labels");
    }
    return Dataset.classification(name, encodeAll(texts), texts.size(), length, labels.clone(), classes);
  }
}
