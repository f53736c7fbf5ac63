package dev.kiln.runtime.data;

import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A fixed mapping between tokens and the integer ids an embedding layer looks up. Immutable.
 *
 * <p>A <b>word</b> vocabulary ({@link #ofWords}) reserves id {@link #PAD} (0, {@code "<pad>"}) for
 * padding and id {@link #OOV} (1, {@code "<unk>"}) for every token it does not hold; the tokens seen
 * at least {@code minFrequency} times follow, by descending frequency, ties in {@link
 * String#compareTo} order, so the same texts always give the same ids. A <b>character</b>
 * vocabulary ({@link #ofCharacters}) holds exactly the characters (Unicode code points) of a text,
 * in code-point order, and no special entries: a character language model reads unpadded streams
 * of a known text, so PAD and OOV would only be two classes it never sees and could sample; encoding
 * a character it does not hold is an error instead.
 *
 * <pre>{@code
 * Vocabulary words = Vocabulary.ofWords(texts.stream().map(WordTokenizer::tokenize).toList(), 2, 10_000);
 * Vocabulary chars = Vocabulary.ofCharacters(Files.readString(Path.of("tinyshakespeare.txt")));
 * words.save(Path.of("vocabulary.json"));   // keep it beside the weights
 * }</pre>
 *
 * <p>The file is JSON: {@code {"format": "kiln.vocabulary", "version": 1, "kind": "words", "tokens":
 * ["<pad>", "<unk>", "the", ...]}}, token {@code i} having id {@code i}.
 */
public final class Vocabulary {
  /** Id of the padding token {@value #PAD_TOKEN} in a word vocabulary. */
  public static final int PAD = 0;
  /** Id of the out-of-vocabulary token {@value #OOV_TOKEN} in a word vocabulary. */
  public static final int OOV = 1;
  public static final String PAD_TOKEN = "<pad>";
  public static final String OOV_TOKEN = "<unk>";

  static final String FORMAT = "kiln.vocabulary";
  static final long VERSION = 1;

  /** Words, with PAD and OOV; or characters, without. */
  public enum Kind {
    WORDS, CHARACTERS;

    String jsonName() {
      return this == WORDS ? "words" : "characters";
    }
  }

  private final Kind kind;
  private final String[] tokens;
  private final Map<String, Integer> ids;

  private Vocabulary(Kind kind, String[] tokens) {
    this.kind = kind;
    this.tokens = tokens;
    this.ids = new HashMap<>(tokens.length * 2);
    for (int i = 0; i < tokens.length; i++) {
      ids.put(tokens[i], i);
    }
  }

  /** {@link #ofWords(List, int, int)} keeping every token, however rare. */
  public static Vocabulary ofWords(List<? extends List<String>> tokenizedTexts) {
    return ofWords(tokenizedTexts, 1, Integer.MAX_VALUE);
  }

  /**
   * A word vocabulary of the tokens in {@code tokenizedTexts} (e.g. from {@link WordTokenizer}):
   * PAD, OOV, then every token seen at least {@code minFrequency} times, by descending frequency,
   * ties in {@link String#compareTo} order, cut to {@code maxSize} entries in all. Tokens spelled
   * {@value #PAD_TOKEN} or {@value #OOV_TOKEN} are not counted; they already have their ids.
   *
   * @param minFrequency {@code >= 1}
   * @param maxSize      the most entries, PAD and OOV included (the embedding's input size), {@code >= 2}
   * @throws IllegalArgumentException for a bad bound, naming it
   */
  public static Vocabulary ofWords(List<? extends List<String>> tokenizedTexts, int minFrequency, int maxSize) {
    Objects.requireNonNull(tokenizedTexts, "tokenizedTexts");
    if (minFrequency < 1) {
      throw new IllegalArgumentException("minFrequency must be >= 1, got " + minFrequency);
    }
    if (maxSize < 2) {
      throw new IllegalArgumentException("maxSize counts PAD and OOV, so it must be >= 2, got " + maxSize);
    }
    Map<String, int[]> counts = new HashMap<>();
    for (int t = 0; t < tokenizedTexts.size(); t++) {
      List<String> text = Objects.requireNonNull(tokenizedTexts.get(t), "tokenizedTexts[" + t + "]");
      for (String token : text) {
        Objects.requireNonNull(token, "a token of tokenizedTexts[" + t + "]");
        if (!token.equals(PAD_TOKEN) && !token.equals(OOV_TOKEN)) {
          counts.computeIfAbsent(token, k -> new int[1])[0]++;
        }
      }
    }
    List<Map.Entry<String, int[]>> kept = new ArrayList<>();
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      if (e.getValue()[0] >= minFrequency) {
        kept.add(e);
      }
    }
    kept.sort((a, b) -> a.getValue()[0] != b.getValue()[0]
        ? Integer.compare(b.getValue()[0], a.getValue()[0])
        : a.getKey().compareTo(b.getKey()));
    int size = (int) Math.min(maxSize, 2L + kept.size());
    String[] tokens = new String[size];
    tokens[PAD] = PAD_TOKEN;
    tokens[OOV] = OOV_TOKEN;
    for (int i = 2; i < size; i++) {
      tokens[i] = kept.get(i - 2).getKey();
    }
    return new Vocabulary(Kind.WORDS, tokens);
  }

  /**
   * A character vocabulary: the distinct code points of {@code text} in code-point order, ids from 0,
   * no PAD or OOV.
   *
   * @throws IllegalArgumentException if {@code text} is empty
   */
  public static Vocabulary ofCharacters(CharSequence text) {
    Objects.requireNonNull(text, "text");
    if (text.length() == 0) {
      throw new IllegalArgumentException("a character vocabulary needs a non-empty text");
    }
    TreeSet<Integer> seen = new TreeSet<>();
    text.codePoints().forEach(seen::add);
    String[] tokens = new String[seen.size()];
    int i = 0;
    for (int cp : seen) {
      tokens[i++] = Character.toString(cp);
    }
    return new Vocabulary(Kind.CHARACTERS, tokens);
  }

  public Kind kind() {
    return kind;
  }

  /** Whether ids {@link #PAD} and {@link #OOV} are reserved (a word vocabulary). */
  public boolean hasSpecialTokens() {
    return kind == Kind.WORDS;
  }

  /** The number of ids, special ones included: the embedding's input size and a language model's classes. */
  public int size() {
    return tokens.length;
  }

  /** The token of an id. @throws IndexOutOfBoundsException outside {@code [0, size())} */
  public String token(int id) {
    return tokens[Objects.checkIndex(id, tokens.length)];
  }

  /** All tokens, token {@code i} having id {@code i}; unmodifiable. */
  public List<String> tokens() {
    return Collections.unmodifiableList(Arrays.asList(tokens));
  }

  /** Whether {@code token} has an id of its own. */
  public boolean contains(String token) {
    return ids.containsKey(token);
  }

  /**
   * The id of {@code token}: its own, or {@link #OOV} in a word vocabulary.
   *
   * @throws IllegalArgumentException for a token a character vocabulary does not hold
   */
  public int id(String token) {
    Integer id = ids.get(Objects.requireNonNull(token, "token"));
    if (id != null) {
      return id;
    }
    if (kind == Kind.WORDS) {
      return OOV;
    }
    throw new IllegalArgumentException("character " + describe(token) + " is not in the vocabulary of "
        + tokens.length + " characters");
  }

  /** The ids of {@code tokens}, in order, unknown ones as by {@link #id}. */
  public int[] ids(List<String> tokens) {
    Objects.requireNonNull(tokens, "tokens");
    int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = id(tokens.get(i));
    }
    return out;
  }

  /**
   * The ids of the characters of {@code text}, one per code point.
   *
   * @throws IllegalStateException for a word vocabulary
   * @throws IllegalArgumentException naming the character and its 0-based position (in code points)
   *                                  for one the vocabulary does not hold
   */
  public int[] characterIds(CharSequence text) {
    Objects.requireNonNull(text, "text");
    requireCharacters("characterIds");
    int[] cps = text.codePoints().toArray();
    for (int i = 0; i < cps.length; i++) {
      Integer id = ids.get(Character.toString(cps[i]));
      if (id == null) {
        throw new IllegalArgumentException("character " + describe(Character.toString(cps[i])) + " at position " + i
            + " is not in the vocabulary of " + tokens.length + " characters");
      }
      cps[i] = id;
    }
    return cps;
  }

  /** The text of character ids {@code ids[from, to)}. @throws IllegalStateException for a word vocabulary */
  public String characters(int[] ids, int from, int to) {
    Objects.checkFromToIndex(from, to, ids.length);
    requireCharacters("characters");
    StringBuilder b = new StringBuilder(to - from);
    for (int i = from; i < to; i++) {
      b.append(token(ids[i]));
    }
    return b.toString();
  }

  private void requireCharacters(String what) {
    if (kind != Kind.CHARACTERS) {
      throw new IllegalStateException(what + " needs a character vocabulary; this is a word vocabulary");
    }
  }

  private static String describe(String token) {
    int cp = token.codePointAt(0);
    return Json.quote(token) + String.format(" (U+%04X)", cp);
  }

  /** Writes the vocabulary as JSON, atomically (a reader sees the old file or the whole new one). */
  public void save(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    StringBuilder b = new StringBuilder(16 * tokens.length + 100);
    b.append("{\"format\": ").append(Json.quote(FORMAT))
        .append(", \"version\": ").append(VERSION)
        .append(", \"kind\": ").append(Json.quote(kind.jsonName()))
        .append(", \"tokens\": [");
    for (int i = 0; i < tokens.length; i++) {
      b.append(i == 0 ? "\n  " : ",\n  ").append(Json.quote(tokens[i]));
    }
    b.append("\n]}\n");
    AtomicFiles.write(file, b.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads a vocabulary written by {@link #save}.
   *
   * @throws DataException naming the file and what is wrong: missing, not UTF-8, not JSON (with the
   *                       character position), another format or version, a repeated token, a word
   *                       vocabulary without {@value #PAD_TOKEN} and {@value #OOV_TOKEN} first, or a
   *                       character entry that is not one character
   */
  public static Vocabulary load(Path file) throws DataException {
    Objects.requireNonNull(file, "file");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new DataException(file + ": no such file", e);
    } catch (IOException e) {
      throw new DataException(file + ": cannot read (is it UTF-8?): " + e, e);
    }
    Object root;
    try {
      root = Json.parse(text);
    } catch (Json.SyntaxError e) {
      throw new DataException(file + ": not JSON at character " + e.position() + ": " + e.getMessage(), e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new DataException(file + ": expected a JSON object with \"format\": \"" + FORMAT + "\"");
    }
    if (!FORMAT.equals(map.get("format"))) {
      throw new DataException(file + ": \"format\" is " + map.get("format") + ", expected \"" + FORMAT + "\"");
    }
    if (!Long.valueOf(VERSION).equals(map.get("version"))) {
      throw new DataException(file + ": \"version\" is " + map.get("version") + ", this reader knows version " + VERSION);
    }
    Object kindName = map.get("kind");
    Kind kind = Kind.WORDS.jsonName().equals(kindName) ? Kind.WORDS
        : Kind.CHARACTERS.jsonName().equals(kindName) ? Kind.CHARACTERS : null;
    if (kind == null) {
      throw new DataException(file + ": \"kind\" is " + kindName + ", expected \"words\" or \"characters\"");
    }
    if (!(map.get("tokens") instanceof List<?> list)) {
      throw new DataException(file + ": \"tokens\" must be an array of strings");
    }
    String[] tokens = new String[list.size()];
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < tokens.length; i++) {
      if (!(list.get(i) instanceof String s)) {
        throw new DataException(file + ": token " + i + " is " + list.get(i) + ", not a string");
      }
      if (kind == Kind.CHARACTERS && (s.isEmpty() || s.codePointCount(0, s.length()) != 1)) {
        throw new DataException(file + ": token " + i + " is " + Json.quote(s)
            + ", but a character vocabulary holds single characters");
      }
      Integer before = first.putIfAbsent(s, i);
      if (before != null) {
        throw new DataException(file + ": token " + i + " " + Json.quote(s) + " repeats token " + before);
      }
      tokens[i] = s;
    }
    if (kind == Kind.WORDS && (tokens.length < 2 || !PAD_TOKEN.equals(tokens[PAD]) || !OOV_TOKEN.equals(tokens[OOV]))) {
      throw new DataException(file + ": a word vocabulary starts with \"" + PAD_TOKEN + "\", \"" + OOV_TOKEN
          + "\" (ids 0 and 1)");
    }
    if (tokens.length == 0) {
      throw new DataException(file + ": a character vocabulary holds at least one character");
    }
    return new Vocabulary(kind, tokens);
  }

  /** Equal when of the same kind with the same tokens in the same order. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && v.kind == kind && Arrays.equals(v.tokens, tokens);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Arrays.hashCode(tokens);
  }

  @Override
  public String toString() {
    return "Vocabulary[" + kind.jsonName() + ", " + tokens.length + " ids]";
  }
}
