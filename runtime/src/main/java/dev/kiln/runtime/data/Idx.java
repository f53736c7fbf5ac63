package dev.kiln.runtime.data;

import java.nio.file.Path;
import java.util.Arrays;

/** Builds data sets from IDX image and label files (the MNIST family layout). */
public final class Idx {
  private Idx() {
  }

  /**
   * A classification data set from an images file of shape {@code [n, d1, d2, ...]} and a labels
   * file of shape {@code [n]}. Each image becomes one row of {@code d1 * d2 * ...} features,
   * multiplied by {@code scale} (e.g. {@code 1/255f} to map bytes to [0, 1]).
   *
   * @throws DataException if a file is missing or malformed, the counts differ, a label is not an
   *                       integer in {@code [0, classes)}, or a scaled value is not finite
   */
  public static Dataset classification(Path images, Path labels, int classes, float scale, String name)
      throws DataException {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be >= 1, got " + classes);
    }
    IdxArray img = IdxReader.read(images);
    IdxArray lab = IdxReader.read(labels);
    if (img.rank() < 1) {
      throw new DataException(images + ": expected images of rank >= 1, got " + img);
    }
    if (lab.rank() != 1) {
      throw new DataException(labels + ": expected labels of rank 1 [n], got dimensions "
          + Arrays.toString(lab.dims()));
    }
    if (!lab.type().isIntegral()) {
      throw new DataException(labels + ": expected integer labels, got " + lab.type());
    }
    int n = img.dim(0);
    if (lab.dim(0) != n) {
      throw new DataException("image and label counts differ: " + images + " has " + n + " images, "
          + labels + " has " + lab.dim(0) + " labels");
    }
    int[] y = lab.toInts();
    for (int i = 0; i < n; i++) {
      if (y[i] < 0 || y[i] >= classes) {
        throw new DataException(labels + ": label " + i + " is " + y[i] + ", outside [0, " + classes + ")");
      }
    }
    int cols = n == 0 ? product(img.dims(), 1) : img.size() / n;
    if (cols == 0) {
      throw new DataException(images + ": images have no pixels: dimensions " + Arrays.toString(img.dims()));
    }
    float[] x = img.toFloats(scale);
    try {
      return Dataset.classification(name, x, n, cols, y, classes);
    } catch (IllegalArgumentException e) {
      throw new DataException(images + ": " + e.getMessage(), e);
    }
  }

  private static int product(int[] dims, int from) {
    long p = 1;
    for (int i = from; i < dims.length; i++) {
      p *= dims[i];
    }
    return (int) Math.min(p, Integer.MAX_VALUE);
  }
}
