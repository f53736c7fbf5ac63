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
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsWriteTest {

  @TempDir
  Path dir;

  @Test
  void tinyFileMatchesHandBuiltBytes() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    SafeTensors.write(file, Map.of("k", "v"),
        List.of(Tensor.of("a", new float[] {1.0f, -2.5f}, 2), Tensor.of("s", new float[] {0.5f})));

    String json = "{\"__metadata__\":{\"k\":\"v\"},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}";
    assertEquals(132, json.length());
    byte[] expected = concat(
        new byte[] {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0},    // 136 = 132 bytes of JSON + 4 spaces of padding
        (json + "    ").getBytes(StandardCharsets.US_ASCII),
        new byte[] {0, 0, (byte) 0x80, 0x3f},              // 1.0f  = 0x3f800000
        new byte[] {0, 0, 0x20, (byte) 0xc0},              // -2.5f = 0xc0200000
        new byte[] {0, 0, 0, 0x3f});                       // 0.5f  = 0x3f000000
    assertArrayEquals(expected, Files.readAllBytes(file));
  }

  @Test
  void roundTripKeepsMetadataOrderShapesAndValues() throws IOException {
    float[] arena = new float[1 + 3 * 4 + 5 + 20_000];
    Random random = new Random(42);
    for (int i = 0; i < arena.length; i++) {
      arena[i] = (float) random.nextGaussian();
    }
    arena[0] = Float.NaN;
    arena[1] = Float.NEGATIVE_INFINITY;
    arena[2] = -0.0f;
    arena[3] = Float.MIN_VALUE;
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("kiln.network", "FashionMlp");
    metadata.put("architecture", "{\"layers\":[\"dense 784x128 relu\"]}");
    metadata.put("note", "ünïcödé\n\"quoted\"");
    List<Tensor> tensors = List.of(
        Tensor.slice("scale", arena, 0),                // rank 0
        Tensor.slice("dense1.weight", arena, 1, 3, 4),  // rank 2
        Tensor.slice("dense1.bias", arena, 13, 5),      // rank 1
        Tensor.slice("big", arena, 18, 20_000),         // spans several I/O chunks
        Tensor.slice("empty", arena, 0, 0, 7));         // zero elements
    Path file = dir.resolve("model.safetensors");
    SafeTensors.write(file, metadata, tensors);

    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals(List.copyOf(metadata.entrySet()), List.copyOf(f.metadata().entrySet()));
      assertEquals(List.of("scale", "dense1.weight", "dense1.bias", "big", "empty"), f.names());
      for (Tensor t : tensors) {
        assertArrayEquals(t.shape(), f.shape(t.name()), t.name());
        assertEquals("F32", f.dtype(t.name()));
        float[] expected = java.util.Arrays.copyOfRange(arena, t.offset(), t.offset() + t.length());
        float[] actual = f.data(t.name());
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
          // Compare bits so NaN and -0.0 count as preserved only if exactly preserved.
          assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), t.name() + "[" + i + "]");
        }
      }
      float[] into = new float[arena.length + 3];
      f.readInto("dense1.weight", into, 3);
      assertArrayEquals(java.util.Arrays.copyOfRange(arena, 1, 13), java.util.Arrays.copyOfRange(into, 3, 15));
      assertThrows(IndexOutOfBoundsException.class, () -> f.readInto("big", new float[100], 0));
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> f.shape("nope"));
      assertTrue(missing.getMessage().contains("no tensor 'nope'"), missing.getMessage());
    }
  }

  @Test
  void headerIsPaddedSoDataStartsEightByteAligned() throws IOException {
    for (int nameLength = 1; nameLength <= 9; nameLength++) {
      Path file = dir.resolve("p" + nameLength + ".safetensors");
      SafeTensors.write(file, Map.of(), List.of(Tensor.of("x".repeat(nameLength), new float[] {1f}, 1)));
      byte[] bytes = Files.readAllBytes(file);
      long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertEquals(0, headerLength % 8, "header length " + headerLength);
      assertEquals(8 + headerLength + 4, bytes.length);
      String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
      assertTrue(header.startsWith("{\"" + "x".repeat(nameLength) + "\":"), header);
      assertTrue(header.stripTrailing().endsWith("}"), header);
    }
  }

  @Test
  void createsParentDirectories() throws IOException {
    Path file = dir.resolve("a/b/c/w.safetensors");
    SafeTensors.write(file, Map.of(), List.of(Tensor.of("w", new float[] {3f}, 1)));
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertArrayEquals(new float[] {3f}, f.data("w"));
    }
  }

  @Test
  void duplicateNamesAreRejectedBeforeTouchingTheExistingFile() throws IOException {
    Path file = dir.resolve("w.safetensors");
    Files.writeString(file, "old content");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of(),
        List.of(Tensor.of("w", new float[] {1f}, 1), Tensor.of("w", new float[] {2f}, 1))));
    assertEquals("duplicate tensor name 'w'", e.getMessage());
    assertEquals("old content", Files.readString(file));
    assertEquals(List.of(file), listDir());
  }

  @Test
  void failedWriteLeavesExistingFileAndNoTempFiles() throws IOException {
    // An existing file is replaced atomically by a complete new one...
    Path file = dir.resolve("w.safetensors");
    Files.writeString(file, "old content");
    SafeTensors.write(file, Map.of(), List.of(Tensor.of("w", new float[] {1f}, 1)));
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertArrayEquals(new float[] {1f}, f.data("w"));
    }
    // ...and when the final rename fails (the target is a non-empty directory), the temp file,
    // already fully written by then, is removed and the target is untouched.
    Path blocked = dir.resolve("blocked.safetensors");
    Files.createDirectories(blocked);
    Files.writeString(blocked.resolve("keep.txt"), "keep");
    assertThrows(IOException.class, () -> SafeTensors.write(blocked, Map.of(),
        List.of(Tensor.of("w", new float[1000], 10, 100))));
    assertEquals("keep", Files.readString(blocked.resolve("keep.txt")));
    assertEquals(List.of(blocked, file), listDir());
  }

  @Test
  void unwritableDirectoryFailsAndKeepsExistingFile() throws IOException {
    Path sub = Files.createDirectories(dir.resolve("ro"));
    Path file = sub.resolve("w.safetensors");
    Files.writeString(file, "old content");
    assertTrue(sub.toFile().setWritable(false, false));
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(sub),
          "directory permissions are not enforced here (running as root?)");
      assertThrows(IOException.class, () -> SafeTensors.write(file, Map.of(),
          List.of(Tensor.of("w", new float[] {1f}, 1))));
      assertEquals("old content", Files.readString(file));
      try (Stream<Path> s = Files.list(sub)) {
        assertEquals(List.of(file), s.toList());
      }
    } finally {
      sub.toFile().setWritable(true, false);
    }
  }

  private List<Path> listDir() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }
}
