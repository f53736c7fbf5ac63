package dev.kiln.runtime.kernels;

/** Run in a child JVM by {@link ScalarFallbackTest}: prints the backend and a small Gemm.nn result, one value a line. */
public final class FallbackMain {
  private FallbackMain() {}

  static float[] product() {
    int m = 7, n = 19, k = 37;
    java.util.Random rnd = new java.util.Random(11);
    float[] a = Reference.random(rnd, m * k), b = Reference.random(rnd, k * n), c = new float[m * n];
    Gemm.nn(m, n, k, a, 0, b, 0, c, 0, false);
    return c;
  }

  public static void main(String[] args) {
    System.out.println("vectorized=" + Backend.vectorized());
    for (float v : product()) {
      System.out.println(v);
    }
  }
}
