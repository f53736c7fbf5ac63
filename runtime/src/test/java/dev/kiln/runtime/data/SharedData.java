package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real data sets in /work/shared/data, found from the runtime module or the repository root; tests skip without them. */
final class SharedData {
  private SharedData() {
  }

  static Path file(String name) {
    for (String candidate : new String[] {"../../shared/data", "../shared/data"}) {
      Path p = Path.of(candidate, name);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    assumeTrue(false, "shared data " + name + " not found");
    return null;
  }
}
