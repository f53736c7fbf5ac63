package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.kernels.Backend;
import org.junit.jupiter.api.Test;

class FiniteInputsTest {
  private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
      Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xff800001)};
  private static final float[] EDGE = {0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-40f, -1e38f};

  @Test
  void findsTheFirstNonFiniteFloatAtEveryPositionAndLength() {
    assertTrue(Backend.vectorized(), "tests run with the vector module, so the vector path is the one checked here");
    for (int n : new int[] {0, 1, 7, 15, 16, 17, 33, 64, 100}) {
      float[] x = new float[n + 3];
      for (int i = 0; i < n; i++) {
        x[i] = EDGE[i % EDGE.length];
      }
      x[n] = Float.NaN; // beyond the length asked for: must not count
      assertEquals(-1, FiniteInputs.firstNonFinite(x, n), "n " + n);
      assertTrue(FiniteInputs.allFiniteScalar(x, 0, n));
      for (int at = 0; at < n; at++) {
        for (float bad : BAD) {
          float keep = x[at];
          x[at] = bad;
          assertEquals(at, FiniteInputs.firstNonFinite(x, n), "n " + n + ", " + bad + " at " + at);
          assertTrue(!FiniteInputs.allFiniteScalar(x, 0, n));
          x[at] = keep;
        }
      }
    }
  }

  @Test
  void allocatesNothing() {
    float[] x = new float[784 * 128];
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    for (int warm = 0; warm < 20_000; warm++) {
      FiniteInputs.firstNonFinite(x, 784);
    }
    // The least of up to 5 windows: a late deoptimization allocates once, an allocation per check in every window.
    long allocated = Long.MAX_VALUE;
    for (int window = 0; window < 5 && allocated >= 1000; window++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      int found = 0;
      for (int k = 0; k < 1000; k++) {
        found += FiniteInputs.firstNonFinite(x, x.length);
      }
      allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
      assertEquals(-1000, found);
    }
    assertTrue(allocated < 1000, allocated + " bytes allocated by 1000 checks");
  }
}
