package dev.kiln.runtime.inspect;

import java.util.Arrays;
import java.util.Objects;

/**
 * The valid values of a network's input features, to which attacks clip what they perturb: none
 * (tables of standardized features), one interval for every feature ({@code [0, 1]} for images), or
 * an interval per feature. Immutable.
 */
public final class InputRange {
  private static final InputRange UNBOUNDED = new InputRange(null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);

  private final float[] lo; // per feature, or null for the scalar bounds
  private final float[] hi;
  private final float low;
  private final float high;

  private InputRange(float[] lo, float[] hi, float low, float high) {
    this.lo = lo;
    this.hi = hi;
    this.low = low;
    this.high = high;
  }

  /** No bounds: perturbed features may take any value. */
  public static InputRange unbounded() {
    return UNBOUNDED;
  }

  /**
   * Every feature in {@code [lo, hi]}; an infinite bound leaves that side open.
   *
   * @throws IllegalArgumentException if a bound is NaN or {@code lo > hi}
   */
  public static InputRange of(float lo, float hi) {
    checkBounds(lo, hi, -1);
    return new InputRange(null, null, lo, hi);
  }

  /**
   * Feature {@code j} in {@code [lo[j], hi[j]]} (copied); infinite bounds leave a side open.
   *
   * @throws IllegalArgumentException if the arrays differ in length, a bound is NaN or
   *     {@code lo[j] > hi[j]}, naming the feature
   */
  public static InputRange perFeature(float[] lo, float[] hi) {
    Objects.requireNonNull(lo, "lo");
    Objects.requireNonNull(hi, "hi");
    if (lo.length != hi.length || lo.length == 0) {
      throw new IllegalArgumentException(
          "per-feature bounds need as many (at least one) lower as upper bounds, got " + lo.length + " and " + hi.length);
    }
    for (int j = 0; j < lo.length; j++) {
      checkBounds(lo[j], hi[j], j);
    }
    return new InputRange(lo.clone(), hi.clone(), Float.NaN, Float.NaN);
  }

  private static void checkBounds(float lo, float hi, int feature) {
    if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) {
      throw new IllegalArgumentException(
          "input range" + (feature < 0 ? "" : " of feature " + feature) + " must have lo <= hi, got [" + lo + ", "
              + hi + "]");
    }
  }

  /** Whether the range is per feature. */
  public boolean isPerFeature() {
    return lo != null;
  }

  /** The lower bound of feature {@code j} of a sample. */
  public float lo(int j) {
    return lo == null ? low : lo[j];
  }

  /** The upper bound of feature {@code j} of a sample. */
  public float hi(int j) {
    return hi == null ? high : hi[j];
  }

  /**
   * Checks that per-feature bounds fit samples of {@code width} features.
   *
   * @throws IllegalArgumentException naming both counts
   */
  void checkWidth(int width) {
    if (lo != null && lo.length != width) {
      throw new IllegalArgumentException(
          "the input range has bounds for " + lo.length + " features, but samples have " + width);
    }
  }

  /**
   * Checks that every value of {@code rows} samples of {@code width} features lies in the range.
   *
   * @param what names the samples in the message, e.g. "training data"
   * @throws IllegalArgumentException naming the row, the feature and the value, or if per-feature
   *     bounds do not have {@code width} features
   */
  public void checkInside(float[] x, int rows, int width, String what) {
    checkWidth(width);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < width; j++) {
        float v = x[i * width + j];
        if (!(v >= lo(j) && v <= hi(j))) {
          throw new IllegalArgumentException(
              what + " at row " + i + ", feature " + j + " is " + v + ", outside the valid input range [" + lo(j) + ", "
                  + hi(j) + "]");
        }
      }
    }
  }

  /** Clamps {@code x[off + j]} into feature {@code j}'s bounds, for j in [0, width). */
  void clip(float[] x, int off, int width) {
    if (lo == null) {
      if (low == Float.NEGATIVE_INFINITY && high == Float.POSITIVE_INFINITY) {
        return;
      }
      for (int j = 0; j < width; j++) {
        x[off + j] = Math.min(Math.max(x[off + j], low), high);
      }
    } else {
      for (int j = 0; j < width; j++) {
        x[off + j] = Math.min(Math.max(x[off + j], lo[j]), hi[j]);
      }
    }
  }

  @Override
  public String toString() {
    return lo == null ? "[" + low + ", " + high + "]" : "per feature " + Arrays.toString(lo) + " .. " + Arrays.toString(hi);
  }
}
