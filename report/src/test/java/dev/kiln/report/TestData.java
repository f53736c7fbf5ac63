package dev.kiln.report;

import dev.kiln.runtime.data.Dataset;
import java.util.SplittableRandom;

/** Deterministic synthetic data sets for the report tests. */
final class TestData {
  private TestData() {}

  /** {@code perClass} Gaussian points around each of {@code classes} centres on a circle of radius {@code spread}. */
  static Dataset blobs(String name, int classes, int perClass, double spread, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int rows = classes * perClass;
    float[] x = new float[rows * 2];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      int c = i % classes;
      double angle = 2 * Math.PI * c / classes;
      x[2 * i] = (float) (spread * Math.cos(angle) + gaussian(rng));
      x[2 * i + 1] = (float) (spread * Math.sin(angle) + gaussian(rng));
      y[i] = c;
    }
    return Dataset.classification(name, x, rows, 2, y, classes);
  }

  /** Targets (x0 + 0.5 x1, x0 · x1) plus a little noise. */
  static Dataset plane(String name, int rows, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[rows * 2];
    float[] t = new float[rows * 2];
    for (int i = 0; i < rows; i++) {
      float a = (float) rng.nextDouble(-1, 1);
      float b = (float) rng.nextDouble(-1, 1);
      x[2 * i] = a;
      x[2 * i + 1] = b;
      t[2 * i] = (float) (a + 0.5 * b + 0.05 * gaussian(rng));
      t[2 * i + 1] = (float) (a * b + 0.05 * gaussian(rng));
    }
    return Dataset.regression(name, x, rows, 2, t, 2);
  }

  private static double gaussian(SplittableRandom rng) {
    // Box–Muller; SplittableRandom has no nextGaussian of its own on every JDK.
    double u = rng.nextDouble(Double.MIN_VALUE, 1);
    double v = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
