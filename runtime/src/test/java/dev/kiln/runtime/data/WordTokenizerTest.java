package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
  @Test
  void lowerCasesAndSplitsOnEverythingButLettersAndDigits() {
    assertEquals(List.of("a", "very", "slow", "moving", "aimless", "movie"),
        WordTokenizer.tokenize("A very, SLOW-moving... aimless movie!"));
    assertEquals(List.of("10", "10", "would", "buy", "again"), WordTokenizer.tokenize("10/10 would buy again"));
  }

  @Test
  void apostrophesInsideAWordStayLeadingAndTrailingOnesSplit() {
    assertEquals(List.of("don't", "can't", "rock'n'roll"), WordTokenizer.tokenize("Don’t can't rock'n'roll"));
    assertEquals(List.of("the", "actors", "best"), WordTokenizer.tokenize("the actors' 'best'"));
    assertEquals(List.of("a", "b"), WordTokenizer.tokenize("a '' b"));
  }

  @Test
  void emptyAndBlankTextsHaveNoTokens() {
    assertEquals(List.of(), WordTokenizer.tokenize(""));
    assertEquals(List.of(), WordTokenizer.tokenize("  ...  !? "));
  }

  @Test
  void unicodeLettersAndCombiningMarksBelongToWords() {
    assertEquals(List.of("café", "naïve", "über"), WordTokenizer.tokenize("Café NAÏVE Über"));
    assertEquals(List.of("cafe\u0301"), WordTokenizer.tokenize("cafe\u0301")); // decomposed é
  }
}
