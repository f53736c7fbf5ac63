package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SequenceEncoderTest {
  // vocabulary: <pad>=0 <unk>=1 the=2 cat=3 sat=4 a=5 dog=6
  private final SequenceEncoder enc = SequenceEncoder.fit(List.of("The cat sat.", "the cat sat", "the a dog"), 1, 100, 4);

  @Test
  void padsAtTheEndWithZero() {
    assertEquals(List.of("<pad>", "<unk>", "the", "cat", "sat", "a", "dog"), enc.vocabulary().tokens());
    assertArrayEquals(new float[] {3, 4, 0, 0}, enc.encode("Cat sat"));
  }

  @Test
  void truncatesToTheFirstTokens() {
    float[] out = new float[6];
    assertEquals(4, enc.encode("the cat sat a dog dog", out, 1));
    assertArrayEquals(new float[] {0, 2, 3, 4, 5, 0}, out);
  }

  @Test
  void unknownWordsAreOovAndEmptyTextIsAllPadding() {
    assertArrayEquals(new float[] {2, 1, 1, 0}, enc.encode("the zebra jumped"));
    assertArrayEquals(new float[] {0, 0, 0, 0}, enc.encode(""));
    assertArrayEquals(new float[] {0, 0, 0, 0}, enc.encode("?!"));
  }

  @Test
  void classificationDatasetHasOneRowPerText() {
    Dataset d = enc.classification("t", List.of("the cat", "a dog sat"), new int[] {1, 0}, 2);
    assertEquals(2, d.rows());
    assertEquals(4, d.cols());
    assertArrayEquals(new float[] {2, 3, 0, 0, 5, 6, 4, 0}, d.features());
    assertArrayEquals(new int[] {1, 0}, d.labels());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> enc.classification("t", List.of("a"), new int[] {1, 0}, 2));
    assertTrue(e.getMessage().contains("1 texts but 2 labels"), e.getMessage());
  }

  @Test
  void rejectsLengthZeroAndCharacterVocabularies() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SequenceEncoder(enc.vocabulary(), 0));
    assertTrue(e.getMessage().contains("length must be >= 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SequenceEncoder(Vocabulary.ofCharacters("abc"), 3));
  }
}
