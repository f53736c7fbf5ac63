package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads files assembled byte by byte here, so these tests do not depend on the writer. */
class SafeTensorsReadTest {

  @TempDir
  Path dir;

  @Test
  void readsHandBuiltFileWithPaddingAndWhitespace() throws IOException {
    // Keys in non-write order, whitespace inside the JSON, and padding well past 8-byte alignment.
    String header = "{ \"b\" : {\"shape\": [2, 2], \"dtype\": \"F32\", \"data_offsets\": [4, 20]},\n"
        + "  \"__metadata__\": {\"format\": \"pt\"},\n"
        + "  \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]} }" + " ".repeat(13);
    Path file = write("hand.safetensors", header, floats(7f, 1f, 2f, 3f, 4f));
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals(Map.of("format", "pt"), f.metadata());
      assertEquals(List.of("b", "a"), f.names());
      assertArrayEquals(new int[] {2, 2}, f.shape("b"));
      assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, f.data("b"));
      assertArrayEquals(new float[] {7f}, f.data("a"));
      assertEquals(4, f.elementCount("b"));
    }
  }

  @Test
  void readsFileWithoutMetadataOrTensors() throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(write("empty.safetensors", "{}      ", new byte[0]))) {
      assertEquals(Map.of(), f.metadata());
      assertEquals(List.of(), f.names());
    }
  }

  @Test
  void otherDtypesAreValidatedButNotConvertible() throws IOException {
    Path file = write("f16.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]}}",
        new byte[6]);
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals("F16", f.dtype("h"));
      SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> f.data("h"));
      assertEquals(file + ": tensor 'h' has dtype F16; Kiln reads F32 tensors only (convert the file, e.g."
          + " with tensor.float() in PyTorch)", e.getMessage());
      assertThrows(SafeTensorsFormatException.class, () -> f.readInto("h", new float[3], 0));
    }
    assertFormatError("{\"h\":{\"dtype\":\"Q4\",\"shape\":[3],\"data_offsets\":[0,6]}}", new byte[6],
        "tensor 'h': unknown dtype \"Q4\"");
  }

  @Test
  void missingFileNamesThePath() {
    Path file = dir.resolve("absent.safetensors");
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.read(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void fileShorterThanLengthPrefix() throws IOException {
    Path file = dir.resolve("short.safetensors");
    Files.write(file, new byte[] {1, 0, 0});
    assertMessage(file, "file is 3 bytes, shorter than the 8-byte header length");
  }

  @Test
  void headerLengthBeyondFile() throws IOException {
    Path file = dir.resolve("long.safetensors");
    Files.write(file, SafeTensorsWriteTest.concat(lengthPrefix(1000), "{}".getBytes(StandardCharsets.US_ASCII)));
    assertMessage(file, "header length 1000 (bytes 0-7) exceeds the 2 bytes that follow it");
  }

  @Test
  void absurdHeaderLength() throws IOException {
    Path file = dir.resolve("absurd.safetensors");
    Files.write(file, SafeTensorsWriteTest.concat(lengthPrefix(-1L), "{}".getBytes(StandardCharsets.US_ASCII)));
    assertMessage(file, "header length 18446744073709551615 (bytes 0-7) exceeds the limit of 104857600 bytes");
    Files.write(file, SafeTensorsWriteTest.concat(lengthPrefix(200L << 20), "{}".getBytes(StandardCharsets.US_ASCII)));
    assertMessage(file, "header length 209715200 (bytes 0-7) exceeds the limit");
  }

  @Test
  void invalidJsonReportsFileByteOffset() throws IOException {
    // The error is at header character 8 (the second comma); "é" takes two bytes, so file byte 8 + 9.
    assertFormatError("{\"é\":[1,,2]}", new byte[0],
        "invalid JSON header at file byte 17 (header character 8): unexpected ','");
    assertFormatError("{\"a\":1} {}", new byte[0], "after the end of the JSON value");
    assertFormatError("[1, 2]  ", new byte[0], "must start with '{'");
    assertFormatError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], "duplicate key \"a\"");
  }

  @Test
  void truncatedData() throws IOException {
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", new byte[20],
        "tensor 'w': data_offsets [0, 24] end beyond the data section of 20 bytes (file truncated?)");
  }

  @Test
  void offsetsNotMatchingShape() throws IOException {
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20],
        "tensor 'w': data_offsets [0, 20] span 20 bytes but F32 shape [2, 3] needs 24");
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8],
        "data_offsets [8, 0] are not a range");
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", new byte[8],
        "\"shape\" element 2.0 is not an integer");
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", new byte[8],
        "\"data_offsets\" must have 2 elements but has 1");
    assertFormatError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", new byte[8],
        "tensor 'w': unexpected key \"extra\"");
  }

  @Test
  void overlappingGapAndTrailingBytes() throws IOException {
    String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    assertFormatError(overlap, new byte[12], "tensor 'b' bytes [4, 12) overlap tensor 'a' bytes [0, 8)");
    String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    assertFormatError(gap, new byte[12], "data section bytes [4, 8)");
    assertFormatError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[7],
        "3 trailing bytes after the last tensor");
  }

  @Test
  void metadataValuesMustBeStrings() throws IOException {
    assertFormatError("{\"__metadata__\":{\"epochs\":3}}", new byte[0],
        "__metadata__ value for \"epochs\" must be a string but is 3");
  }

  @Test
  void invalidUtf8Header() throws IOException {
    Path file = dir.resolve("utf8.safetensors");
    byte[] header = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
    Files.write(file, SafeTensorsWriteTest.concat(lengthPrefix(header.length), header));
    assertMessage(file, "header (bytes 8-15) is not valid UTF-8");
  }

  private void assertFormatError(String header, byte[] data, String messagePart) throws IOException {
    assertMessage(write("bad.safetensors", header, data), messagePart);
  }

  private static void assertMessage(Path file, String messagePart) {
    SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), () -> "expected <" + messagePart + "> in: " + e.getMessage());
    assertEquals(file, e.file());
  }

  private Path write(String name, String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve(name);
    Files.write(file, SafeTensorsWriteTest.concat(lengthPrefix(json.length), json, data));
    return file;
  }

  private static byte[] lengthPrefix(long n) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
  }

  private static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }
}
