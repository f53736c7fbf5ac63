package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Any file gives a readable safetensors file whose every tensor reads (or is refused as not F32),
 * or a {@link SafeTensorsFormatException} naming the file; never another exception, an
 * OutOfMemoryError (length fields are checked against the file size before allocating) or a hang.
 */
class SafeTensorsFuzzTest {
  private static final Path FILE = tempFile();

  static Path tempFile() {
    try {
      Path p = Files.createTempFile("kiln-fuzz", ".safetensors");
      p.toFile().deleteOnExit();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void readsOrThrowsFormatException(byte[] bytes) throws IOException {
    Files.write(FILE, bytes);
    try (SafeTensorsFile f = SafeTensors.read(FILE)) {
      assertEquals(f.names().size(), f.names().stream().distinct().count());
      f.metadata();
      for (String name : f.names()) {
        String dtype = f.dtype(name);
        try {
          float[] values = f.data(name);
          assertEquals("F32", dtype);
          assertEquals(f.elementCount(name), values.length);
        } catch (SafeTensorsFormatException e) {
          assertNotEquals("F32", dtype, e.getMessage());
          assertTrue(e.getMessage().startsWith(FILE + ": tensor '"), e.getMessage());
        }
      }
    } catch (SafeTensorsFormatException e) {
      assertTrue(e.getMessage() != null && e.getMessage().startsWith(FILE + ": "), e.getMessage());
    }
  }
}
