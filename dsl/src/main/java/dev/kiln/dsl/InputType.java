package dev.kiln.dsl;

/** What a network's input holds (see {@link Network#inputType()}). */
public enum InputType {
  /** Real numbers: a feature vector {@code {n}}, a sequence {@code {steps, features}} or an image {@code {C, H, W}}. */
  FLOATS,
  /**
   * Token ids, a sequence {@code {steps}} of integers in {@code [0, vocabulary)}, read by an
   * {@link Embedding}. Data sets hold them as floats (exact up to 2^24); the model checks and copies
   * them into its int arena. Sequences shorter than {@code steps} are padded at the end with the
   * embedding's {@code paddingIndex}.
   */
  TOKENS
}
