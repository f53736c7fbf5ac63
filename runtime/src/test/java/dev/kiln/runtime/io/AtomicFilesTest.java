package dev.kiln.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<Path> listing() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void writesReplacesAndCreatesParentsLeavingNoTemporaryFile() throws IOException {
    Path file = dir.resolve("a/b/out.txt");
    AtomicFiles.write(file, "one".getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(file, "two".getBytes(StandardCharsets.UTF_8));
    assertArrayEquals("two".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(file));
    try (Stream<Path> s = Files.list(file.getParent())) {
      assertEquals(List.of(file), s.toList());
    }
  }

  @Test
  void aDirectoryTargetIsRefusedNamingItAndNothingIsLeft() throws IOException {
    Path target = Files.createDirectory(dir.resolve("taken"));
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("is a directory"), e.getMessage());
    assertEquals(List.of(target), listing());
  }

  @Test
  void aParentThatIsAFileIsRefusedNamingIt() throws IOException {
    Path file = Files.writeString(dir.resolve("plain"), "keep");
    IOException e =
        assertThrows(IOException.class, () -> AtomicFiles.write(file.resolve("x.bin"), new byte[] {1}));
    assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
    assertEquals("keep", Files.readString(file));
  }
}
