package dev.kiln.runtime.kernels;

import static dev.kiln.runtime.kernels.Reference.assertSentinels;
import static dev.kiln.runtime.kernels.Reference.embedded;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Residual add and concat copies equal the scalar reference, small and split over threads. */
class TensorOpsTest {
  @Test
  void addAndAccumulateMatchScalarReference() {
    Random rnd = new Random(13);
    for (int count : new int[] {0, 1, 17, 1000, 100_003}) {
      float[] a = embedded(rnd, 2, count), b = embedded(rnd, 3, count), y = embedded(rnd, 4, count);
      float[] ys = new float[count];
      TensorOps.add(count, a, 2, b, 3, y, 4);
      ScalarTensorOps.add(count, a, 2, b, 3, ys, 0);
      assertArrayEquals(ys, Arrays.copyOfRange(y, 4, 4 + count));
      assertSentinels(y, 4, count);
      for (boolean acc : new boolean[] {false, true}) {
        float[] d = embedded(rnd, 5, count), ds = Arrays.copyOfRange(d, 5, 5 + count);
        TensorOps.accumulate(count, a, 2, d, 5, acc);
        ScalarTensorOps.accumulate(count, a, 2, ds, 0, acc);
        assertArrayEquals(ds, Arrays.copyOfRange(d, 5, 5 + count));
        assertSentinels(d, 5, count);
      }
    }
  }

  @Test
  void copyColumnsThenGatherColumnsRoundTripsAConcat() {
    Random rnd = new Random(14);
    for (int[] s : new int[][] {{3, 5, 7}, {1, 1, 1}, {2000, 37, 50}}) {
      int n = s[0], wa = s[1], wb = s[2], w = wa + wb;
      float[] a = embedded(rnd, 1, n * wa), b = embedded(rnd, 2, n * wb);
      float[] cat = embedded(rnd, 3, n * w), cats = new float[n * w];
      TensorOps.copyColumns(n, wa, a, 1, wa, cat, 3, w, 0);
      TensorOps.copyColumns(n, wb, b, 2, wb, cat, 3, w, wa);
      ScalarTensorOps.columns(n, wa, a, 1, wa, 0, cats, 0, w, 0, false);
      ScalarTensorOps.columns(n, wb, b, 2, wb, 0, cats, 0, w, wa, false);
      assertArrayEquals(cats, Arrays.copyOfRange(cat, 3, 3 + n * w));
      assertSentinels(cat, 3, n * w);
      float[] db = embedded(rnd, 4, n * wb), dbs = Arrays.copyOfRange(db, 4, 4 + n * wb);
      TensorOps.gatherColumns(n, wb, cat, 3, w, wa, db, 4, wb, true);
      ScalarTensorOps.columns(n, wb, cat, 3, w, wa, dbs, 0, wb, 0, true);
      assertArrayEquals(dbs, Arrays.copyOfRange(db, 4, 4 + n * wb));
      TensorOps.gatherColumns(n, wb, cat, 3, w, wa, db, 4, wb, false);
      assertArrayEquals(Arrays.copyOfRange(b, 2, 2 + n * wb), Arrays.copyOfRange(db, 4, 4 + n * wb));
      assertSentinels(db, 4, n * wb);
    }
    assertThrows(IllegalArgumentException.class,
        () -> TensorOps.copyColumns(2, 4, new float[8], 0, 4, new float[12], 0, 6, 3));
  }
}
