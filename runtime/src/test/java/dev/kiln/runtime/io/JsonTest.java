package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parsesNestedValuesKeepingKeyOrder() throws Exception {
    Object v = Json.parse(" {\"b\": [1, -2, 3.5e0, true, false, null], \"a\": {\"x\": \"y\\n\\u00e9\\\"\"}} ");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of("b", "a"), List.copyOf(m.keySet()));
    assertEquals(List.of(1L, -2L, 3.5, true, false, Json.NULL), m.get("b"));
    assertEquals(Map.of("x", "y\né\""), m.get("a"));
  }

  @Test
  void rejectsMalformedInputWithPosition() {
    assertSyntaxError("{\"a\":1,}", 7, "expected a string key");
    assertSyntaxError("{\"a\":1,\"a\":2}", 7, "duplicate key \"a\"");
    assertSyntaxError("[01]", 2, "leading zero");
    assertSyntaxError("{\"a\":1} x", 8, "after the end");
    assertSyntaxError("\"abc", 4, "unterminated string");
    assertSyntaxError("\"a\tb\"", 2, "control character");
    assertSyntaxError("[1 2]", 3, "expected ',' or ']'");
    assertSyntaxError("{\"a\" 1}", 5, "expected ':'");
    assertSyntaxError("[99999999999999999999]", 1, "does not fit in 64 bits");
    assertSyntaxError("[".repeat(100), 64, "nesting deeper");
    assertSyntaxError("", 0, "end of input");
    assertSyntaxError("[tru]", 1, "expected a value");
  }

  @Test
  void quoteEscapesWhatJsonRequiresAndRoundTrips() throws Exception {
    String s = "a\"b\\c\nd\u0001é😀";
    String quoted = Json.quote(s);
    assertEquals("\"a\\\"b\\\\c\\nd\\u0001é😀\"", quoted);
    assertEquals(s, Json.parse(quoted));
  }

  private static void assertSyntaxError(String text, int position, String messagePart) {
    Json.SyntaxError e = assertThrows(Json.SyntaxError.class, () -> Json.parse(text));
    assertTrue(e.getMessage().contains(messagePart), () -> "message: " + e.getMessage());
    assertEquals(position, e.position(), () -> "position for " + text + ": " + e.getMessage());
  }
}
