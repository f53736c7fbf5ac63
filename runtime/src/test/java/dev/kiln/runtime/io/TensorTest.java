package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void sliceViewsTheArenaWithoutCopying() {
    float[] arena = new float[10];
    Tensor t = Tensor.slice("w", arena, 4, 2, 3);
    assertEquals(4, t.offset());
    assertEquals(6, t.length());
    assertTrue(t.data() == arena);
    assertArrayEquals(new int[] {2, 3}, t.shape());
  }

  @Test
  void rejectsLengthThatDoesNotMatchShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Tensor("w", new int[] {2, 3}, new float[10], 0, 5));
    assertEquals("tensor 'w': shape [2, 3] has 6 elements but length is 5", e.getMessage());
  }

  @Test
  void rejectsSliceOutsideTheArray() {
    assertThrows(IndexOutOfBoundsException.class, () -> Tensor.slice("w", new float[10], 5, 2, 3));
  }

  @Test
  void rejectsReservedEmptyAndNegative() {
    assertThrows(IllegalArgumentException.class, () -> Tensor.of("__metadata__", new float[1], 1));
    assertThrows(IllegalArgumentException.class, () -> Tensor.of("", new float[1], 1));
    assertThrows(IllegalArgumentException.class, () -> new Tensor("w", new int[] {-1}, new float[1], 0, 1));
  }

  @Test
  void scalarHasOneElementAndShapeIsDefensivelyCopied() {
    int[] shape = {};
    Tensor s = Tensor.of("s", new float[] {1f}, shape);
    assertEquals(1, s.length());
    int[] dims = {2};
    Tensor v = Tensor.of("v", new float[2], dims);
    dims[0] = 7;
    v.shape()[0] = 9;
    assertArrayEquals(new int[] {2}, v.shape());
  }
}
