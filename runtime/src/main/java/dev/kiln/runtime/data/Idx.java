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
    return read(images, labels, classes, scale, name, false);
  }

  /**
   * {@link #classification} whose samples keep the images' shape ({@link Dataset#sampleShape()}):
   * {@code [1, H, W]} for a file of shape {@code [n, H, W]} (one grey channel), {@code [d1, d2, d3]}
   * for a file of shape {@code [n, d1, d2, d3]}.
   *
   * @throws DataException as {@link #classification} does, or if the images file is not of rank 3 or 4
   */
  public static Dataset images(Path images, Path labels, int classes, float scale, String name)
      throws DataException {
    return read(images, labels, classes, scale, name, true);
  }

  private static Dataset read(Path images, Path labels, int classes, float scale, String name, boolean shaped)
      throws DataException {
    if (classes < 1) {
      throw new IllegalArgumentException("classes must be >= 1, got " + classes);
    }
    IdxArray img = IdxReader.read(images);
    IdxArray lab = IdxReader.read(labels);
    if (img.rank() < 1) {
      throw new DataException(images + ": expected images of rank >= 1, got " + img);
    }
    if (shaped && img.rank() != 3 && img.rank() != 4) {
      throw new DataException(images + ": expected images of shape [n, H, W] or [n, C, H, W], got dimensions "
          + Arrays.toString(img.dims()));
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
      Dataset d = Dataset.classification(name, x, n, cols, y, classes);
      if (!shaped) {
        return d;
      }
      int[] dims = img.dims();
      return img.rank() == 3
          ? d.withSampleShape(1, dims[1], dims[2])
          : d.withSampleShape(dims[1], dims[2], dims[3]);
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
