package dev.kiln.runtime.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Splits text into lower-case word tokens for a {@link Vocabulary}.
 *
 * <p>A token is a maximal run of letters and digits (Unicode: {@link Character#isLetterOrDigit},
 * plus combining marks inside a word); everything else separates tokens and is dropped, so
 * {@code "Slow-moving, aimless!"} gives {@code [slow, moving, aimless]}. Digits are kept because
 * numbers carry meaning in reviews ({@code "10/10"} gives {@code [10, 10]}). An apostrophe ({@code '}
 * or the typographic {@code ’}) between two word characters stays inside the token, written
 * {@code '}, so contractions and negations survive as one token ({@code "Don’t"} gives {@code
 * [don't]}, not {@code [don, t]}); a leading or trailing apostrophe is a separator ({@code
 * "the actors' 'best'"} gives {@code [the, actors, best]}). Lower-casing uses {@link Locale#ROOT}, so
 * the result does not depend on the machine's language. Stateless.
 */
public final class WordTokenizer {
  private WordTokenizer() {
  }

  /** The tokens of {@code text}, in order; none for an empty or blank text. */
  public static List<String> tokenize(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    StringBuilder token = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (isWordChar(cp) || token.length() > 0 && isMark(cp)) {
        token.appendCodePoint(cp);
      } else if (isApostrophe(cp) && token.length() > 0 && next < s.length() && isWordChar(s.codePointAt(next))) {
        token.append('\'');
      } else if (token.length() > 0) {
        out.add(token.toString());
        token.setLength(0);
      }
      i = next;
    }
    if (token.length() > 0) {
      out.add(token.toString());
    }
    return out;
  }

  private static boolean isWordChar(int cp) {
    return Character.isLetterOrDigit(cp);
  }

  private static boolean isMark(int cp) {
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK;
  }

  private static boolean isApostrophe(int cp) {
    return cp == '\'' || cp == '\u2019';
  }
}
