package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingKernelsTest {
  private final Random rnd = new Random(37);

  @Test
  void forwardGathersTheRowsOfTheIds() {
    int vocabulary = 7, dim = 5;
    float[] table = Reference.embedded(rnd, 3, vocabulary * dim);
    int[] ids = {-9, 4, 0, 6, 4, 2};
    float[] y = new float[2 + 5 * dim + 5];
    Arrays.fill(y, Float.NaN);
    EmbeddingKernels.forward(5, vocabulary, dim, ids, 1, table, 3, y, 2);
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(Arrays.copyOfRange(table, 3 + ids[1 + i] * dim, 3 + (ids[1 + i] + 1) * dim),
          Arrays.copyOfRange(y, 2 + i * dim, 2 + (i + 1) * dim), "row " + i);
    }
    Reference.assertSentinels(y, 2, 5 * dim);
  }

  @Test
  void anIdOutsideTheVocabularyIsNamedWithItsPositionBeforeAnyWrite() {
    float[] table = new float[4 * 3], y = new float[3 * 3];
    Arrays.fill(table, 1f);
    var e = assertThrows(IllegalArgumentException.class,
        () -> EmbeddingKernels.forward(3, 4, 3, new int[] {1, 2, 4}, 0, table, 0, y, 0));
    assertEquals("embedding: id 4 at position 2 is outside the vocabulary [0, 4)", e.getMessage());
    assertArrayEquals(new float[9], y, "nothing written");
    e = assertThrows(IllegalArgumentException.class,
        () -> EmbeddingKernels.forward(2, 4, 3, new int[] {-1, 0}, 0, table, 0, y, 0));
    assertEquals("embedding: id -1 at position 0 is outside the vocabulary [0, 4)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> EmbeddingKernels.backward(1, 4, 3, new int[] {7}, 0, y, 0, table, 0, -1));
  }

  @Test
  void backwardScatterAddsRepeatedIdsAndSkipsThePaddingRow() {
    int vocabulary = 6, dim = 19, count = 8;
    int[] ids = {3, 0, 3, 5, 0, 0, 1, 3};
    float[] dy = Reference.random(rnd, count * dim), g = Reference.random(rnd, 2 + vocabulary * dim);
    float[] expected = g.clone();
    for (int i = 0; i < count; i++) {
      if (ids[i] != 0) {
        for (int j = 0; j < dim; j++) {
          expected[2 + ids[i] * dim + j] += dy[i * dim + j];
        }
      }
    }
    EmbeddingKernels.backward(count, vocabulary, dim, ids, 0, dy, 0, g, 2, 0);
    assertArrayEquals(expected, g);
    // Without a padding index every row gets its gradient.
    float[] g2 = new float[vocabulary * dim];
    EmbeddingKernels.backward(count, vocabulary, dim, ids, 0, dy, 0, g2, 0, -1);
    for (int j = 0; j < dim; j++) {
      assertEquals(dy[dim + j] + dy[4 * dim + j] + dy[5 * dim + j], g2[j], 1e-6f, "row 0 column " + j);
    }
  }

  @Test
  void lengthsArePositionsOfTheFirstPaddingId() {
    int[] ids = {
      5, 2, 0, 0,
      0, 0, 0, 0,
      1, 2, 3, 4,
      7, 0, 9, 0,
    };
    int[] lengths = new int[5];
    lengths[0] = -1;
    EmbeddingKernels.lengths(4, 4, ids, 0, 0, lengths, 1);
    assertArrayEquals(new int[] {-1, 2, 0, 4, 1}, lengths);
    EmbeddingKernels.lengths(4, 4, ids, 0, -1, lengths, 1);
    assertArrayEquals(new int[] {-1, 4, 4, 4, 4}, lengths);
  }
}
