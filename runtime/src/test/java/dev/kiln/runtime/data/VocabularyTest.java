package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
  @TempDir
  Path dir;

  private static final List<List<String>> TEXTS = List.of(
      List.of("the", "cat", "sat"),
      List.of("the", "dog", "sat"),
      List.of("a", "cat", "the", "bird"));

  @Test
  void padAndOovComeFirstThenDescendingFrequencyWithTiesInStringOrder() {
    Vocabulary v = Vocabulary.ofWords(TEXTS);
    // the: 3; cat, sat: 2; a, bird, dog: 1
    assertEquals(List.of("<pad>", "<unk>", "the", "cat", "sat", "a", "bird", "dog"), v.tokens());
    assertEquals(Vocabulary.PAD, v.id("<pad>"));
    assertEquals(2, v.id("the"));
    assertEquals("cat", v.token(3));
    assertTrue(v.hasSpecialTokens());
    assertEquals(Vocabulary.Kind.WORDS, v.kind());
  }

  @Test
  void tieOrderDoesNotDependOnInputOrder() {
    Vocabulary a = Vocabulary.ofWords(List.of(List.of("z", "y", "x", "b", "a")));
    Vocabulary b = Vocabulary.ofWords(List.of(List.of("a", "b"), List.of("x", "y", "z")));
    assertEquals(a, b);
    assertEquals(List.of("<pad>", "<unk>", "a", "b", "x", "y", "z"), a.tokens());
  }

  @Test
  void minimumFrequencyAndMaximumSize() {
    assertEquals(List.of("<pad>", "<unk>", "the", "cat", "sat"), Vocabulary.ofWords(TEXTS, 2, 100).tokens());
    assertEquals(List.of("<pad>", "<unk>", "the", "cat"), Vocabulary.ofWords(TEXTS, 1, 4).tokens());
    assertEquals(List.of("<pad>", "<unk>"), Vocabulary.ofWords(TEXTS, 1, 2).tokens());
    assertEquals(List.of("<pad>", "<unk>"), Vocabulary.ofWords(TEXTS, 4, 100).tokens());
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.ofWords(TEXTS, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.ofWords(TEXTS, 1, 1));
  }

  @Test
  void unknownWordsAreOovAndSpecialSpellingsAreNotCounted() {
    Vocabulary v = Vocabulary.ofWords(List.of(List.of("<unk>", "<pad>", "<unk>", "hi")));
    assertEquals(List.of("<pad>", "<unk>", "hi"), v.tokens());
    assertArrayEquals(new int[] {2, Vocabulary.OOV, Vocabulary.OOV}, v.ids(List.of("hi", "never", "seen")));
    assertFalse(v.contains("never"));
  }

  @Test
  void emptyTextsGiveOnlyTheSpecialTokens() {
    assertEquals(2, Vocabulary.ofWords(List.of()).size());
    assertEquals(2, Vocabulary.ofWords(List.of(List.of())).size());
  }

  @Test
  void characterVocabularyHasNoSpecialsAndCodePointOrder() {
    Vocabulary v = Vocabulary.ofCharacters("hello, world\n😀");
    assertEquals(List.of("\n", " ", ",", "d", "e", "h", "l", "o", "r", "w", "😀"), v.tokens());
    assertFalse(v.hasSpecialTokens());
    int[] ids = v.characterIds("hold😀");
    assertArrayEquals(new int[] {5, 7, 6, 3, 10}, ids);
    assertEquals("hold😀", v.characters(ids, 0, ids.length));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.characterIds("hex"));
    assertTrue(e.getMessage().contains("\"x\" (U+0078) at position 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> v.id("q"));
    assertThrows(IllegalArgumentException.class, () -> Vocabulary.ofCharacters(""));
    assertThrows(IllegalStateException.class, () -> Vocabulary.ofWords(TEXTS).characterIds("the"));
  }

  @Test
  void saveAndLoadRoundTrip() throws IOException {
    Vocabulary words = Vocabulary.ofWords(List.of(List.of("quote\"d", "back\\slash", "tab\there", "naïve", "日本")));
    Path f = dir.resolve("sub/words.json");
    words.save(f);
    assertEquals(words, Vocabulary.load(f));
    Vocabulary chars = Vocabulary.ofCharacters("ab\"\\\n\t😀é");
    chars.save(f); // overwrite
    Vocabulary back = Vocabulary.load(f);
    assertEquals(chars, back);
    assertEquals(Vocabulary.Kind.CHARACTERS, back.kind());
    try (var files = Files.list(f.getParent())) {
      assertEquals(1, files.count(), "no temporary file is left behind");
    }
  }

  @Test
  void loadNamesTheFileAndTheProblem() throws IOException {
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 1, \"kind\": \"words\", \"tokens\": [\"<pad>\", \"<unk>\", \"a\", \"a\"]}",
        "token 3 \"a\" repeats token 2");
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 1, \"kind\": \"words\", \"tokens\": [\"a\"]}",
        "starts with \"<pad>\", \"<unk>\"");
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 1, \"kind\": \"characters\", \"tokens\": [\"ab\"]}",
        "token 0 is \"ab\"");
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 2, \"kind\": \"words\", \"tokens\": []}",
        "\"version\" is 2");
    assertLoadFails("{\"format\": \"other\"}", "\"format\" is other");
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 1, \"kind\": \"bytes\", \"tokens\": []}",
        "\"kind\" is bytes");
    assertLoadFails("{\"format\": \"kiln.vocabulary\", \"version\": 1, \"kind\": \"words\", \"tokens\": [\"<pad>\", 3]}",
        "token 1 is 3");
    assertLoadFails("{\"format\": ", "not JSON at character 11");
    DataException e = assertThrows(DataException.class, () -> Vocabulary.load(dir.resolve("missing.json")));
    assertTrue(e.getMessage().contains("missing.json: no such file"), e.getMessage());
  }

  private void assertLoadFails(String json, String expected) throws IOException {
    Path f = dir.resolve("bad.json");
    Files.write(f, json.getBytes(StandardCharsets.UTF_8));
    DataException e = assertThrows(DataException.class, () -> Vocabulary.load(f));
    assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(expected), e.getMessage());
  }
}
