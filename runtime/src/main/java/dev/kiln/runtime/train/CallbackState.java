package dev.kiln.runtime.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The state of one callback in a checkpoint: named numbers and float arrays. Numbers are kept as
 * their exact decimal text ({@link Double#toString}), so a double read back is bitwise the one
 * written.
 */
public final class CallbackState {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]+");

  private final Map<String, String> numbers = new LinkedHashMap<>();
  private final Map<String, float[]> arrays = new LinkedHashMap<>();

  private static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "callback state names are letters, digits and '_', got '" + name + "'");
    }
    return name;
  }

  /** Stores a double. */
  public CallbackState putDouble(String name, double value) {
    numbers.put(checkName(name), Double.toString(value));
    return this;
  }

  /** Stores a long. */
  public CallbackState putLong(String name, long value) {
    numbers.put(checkName(name), Long.toString(value));
    return this;
  }

  /** Stores a copy of a float array. */
  public CallbackState putFloats(String name, float[] values) {
    arrays.put(checkName(name), values.clone());
    return this;
  }

  /** A stored double, or {@code orElse} if there is none. */
  public double getDouble(String name, double orElse) {
    String v = numbers.get(name);
    return v == null ? orElse : Double.parseDouble(v);
  }

  /** A stored long, or {@code orElse} if there is none. */
  public long getLong(String name, long orElse) {
    String v = numbers.get(name);
    return v == null ? orElse : Long.parseLong(v);
  }

  /** A stored float array (a copy), or null if there is none. */
  public float[] getFloats(String name) {
    float[] v = arrays.get(name);
    return v == null ? null : v.clone();
  }

  /** Numbers as name → exact decimal text, in insertion order (for checkpoint files). */
  public Map<String, String> numbers() {
    return Collections.unmodifiableMap(numbers);
  }

  /** Float arrays by name, in insertion order (live arrays, for checkpoint files). */
  public Map<String, float[]> arrays() {
    return Collections.unmodifiableMap(arrays);
  }

  /**
   * Restores a number from a checkpoint's text.
   *
   * @throws IllegalArgumentException if the name or the text is malformed
   */
  public CallbackState putNumberText(String name, String text) {
    try {
      Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("callback state '" + name + "' is not a number: " + text);
    }
    numbers.put(checkName(name), text);
    return this;
  }

  /** Whether nothing is stored. */
  public boolean isEmpty() {
    return numbers.isEmpty() && arrays.isEmpty();
  }
}
