package dev.kiln.runtime.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and string quoter, enough for safetensors headers and the
 * small metadata files beside weights (e.g. a {@code data.Vocabulary}).
 *
 * <p>Values map to: object → {@code Map<String,Object>} (insertion-ordered, unmodifiable), array →
 * {@code List<Object>}, string → {@link String}, integer → {@link Long}, other number → {@link Double},
 * {@code true/false} → {@link Boolean}, {@code null} → {@link #NULL}. Duplicate object keys, trailing
 * commas, leading zeros, raw control characters in strings and trailing non-whitespace are errors.
 */
public final class Json {

  /** Stands for JSON {@code null}, so that maps never hold Java nulls. */
  public static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  /** Deep enough for any header; bounded so hostile input cannot overflow the stack. */
  private static final int MAX_DEPTH = 64;

  /** A syntax error at a character index of the parsed text. */
  public static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    private final int position;

    SyntaxError(String message, int position) {
      super(message);
      this.position = position;
    }

    /** Index of the offending character in the parsed text (a UTF-16 index). */
    public int position() {
      return position;
    }
  }

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value that makes up the whole of {@code text} (surrounding whitespace allowed). */
  public static Object parse(String text) throws SyntaxError {
    Json p = new Json(text);
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected " + p.describeCurrent() + " after the end of the JSON value");
    }
    return value;
  }

  /** Returns {@code s} as a JSON string literal, quotes included; non-ASCII is written as is (UTF-8 output). */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c) && !isPairedSurrogate(s, i)) {
            // Lone surrogates cannot be encoded in UTF-8, so escape them (and controls).
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static boolean isPairedSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private Object value(int depth) throws SyntaxError {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object(depth + 1);
      case '[' -> array(depth + 1);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", NULL);
      default -> {
        if (c == '-' || c >= '0' && c <= '9') {
          yield number();
        }
        throw error("unexpected " + describeCurrent() + ", expected a value");
      }
    };
  }

  private Map<String, Object> object(int depth) throws SyntaxError {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(map);
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("unexpected " + describeCurrent() + ", expected a string key");
      }
      int keyStart = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object v = value(depth);
      if (map.putIfAbsent(key, v) != null) {
        pos = keyStart;
        throw error("duplicate key " + quote(key));
      }
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return Collections.unmodifiableMap(map);
      } else {
        throw error("unexpected " + describeCurrent() + ", expected ',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) throws SyntaxError {
    checkDepth(depth);
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        return Collections.unmodifiableList(list);
      } else {
        throw error("unexpected " + describeCurrent() + ", expected ',' or ']'");
      }
    }
  }

  private String string() throws SyntaxError {
    pos++; // opening quote
    StringBuilder b = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return b.toString();
      }
      if (c < 0x20) {
        throw error(String.format("raw control character U+%04X in string (must be escaped)", (int) c));
      }
      if (c != '\\') {
        b.append(c);
        pos++;
        continue;
      }
      pos++;
      if (pos >= text.length()) {
        throw error("unterminated escape in string");
      }
      char e = text.charAt(pos);
      switch (e) {
        case '"' -> b.append('"');
        case '\\' -> b.append('\\');
        case '/' -> b.append('/');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (pos + 5 > text.length()) {
            throw error("incomplete \\u escape");
          }
          int code = 0;
          for (int i = 1; i <= 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
              pos += i;
              throw error("invalid hex digit in \\u escape");
            }
            code = code * 16 + d;
          }
          b.append((char) code);
          pos += 4;
        }
        default -> throw error("invalid escape \\" + e);
      }
      pos++;
    }
  }

  private Object number() throws SyntaxError {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
      if (isDigit(peek())) {
        throw error("leading zero in number");
      }
    } else if (isDigit(peek())) {
      while (isDigit(peek())) {
        pos++;
      }
    } else {
      throw error("expected a digit");
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("expected a digit after '.'");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("expected a digit in exponent");
      }
      while (isDigit(peek())) {
        pos++;
      }
    }
    String literal = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(literal);
      } catch (NumberFormatException tooLarge) {
        pos = start;
        throw error("integer " + literal + " does not fit in 64 bits");
      }
    }
    return Double.parseDouble(literal);
  }

  private Object literal(String word, Object value) throws SyntaxError {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeCurrent() + ", expected a value");
    }
    pos += word.length();
    return value;
  }

  private void expect(char c) throws SyntaxError {
    if (peek() != c) {
      throw error("unexpected " + describeCurrent() + ", expected '" + c + "'");
    }
    pos++;
  }

  private void checkDepth(int depth) throws SyntaxError {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  /** The current character, or U+FFFF at the end (never valid JSON syntax, so it fails every check). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\uffff';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private String describeCurrent() {
    if (pos >= text.length()) {
      return "end of input";
    }
    char c = text.charAt(pos);
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("character U+%04X", (int) c);
  }

  private SyntaxError error(String message) {
    return new SyntaxError(message, pos);
  }
}
