package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ScalarFallbackTest {
  @Test
  void withoutVectorModuleKernelsFallBackToScalarWithOneWarning() throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow();
    // The launcher may load tests through its own class loader, so add where these classes really live.
    Set<String> classpath = new LinkedHashSet<>();
    classpath.add(location(FallbackMain.class));
    classpath.add(location(Gemm.class));
    classpath.addAll(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
    Process process = new ProcessBuilder(java, "-cp", String.join(File.pathSeparator, classpath),
        FallbackMain.class.getName()).start();
    byte[] out = process.getInputStream().readAllBytes();
    byte[] err = process.getErrorStream().readAllBytes();
    process.waitFor(60, TimeUnit.SECONDS);
    String stdout = new String(out, StandardCharsets.UTF_8), stderr = new String(err, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), stderr);

    List<String> warnings = new ArrayList<>();
    for (String line : stderr.split("\\R")) {
      if (line.startsWith("kiln:")) {
        warnings.add(line);
      }
    }
    assertEquals(List.of("kiln: jdk.incubator.vector is not available (run with --add-modules jdk.incubator.vector);"
        + " using scalar kernels"), warnings);

    String[] lines = stdout.strip().split("\\R");
    assertEquals("vectorized=false", lines[0]);
    float[] vector = FallbackMain.product(); // this JVM runs the vector path
    assertEquals(vector.length, lines.length - 1);
    for (int i = 0; i < vector.length; i++) {
      assertEquals(vector[i], Float.parseFloat(lines[i + 1]), 1e-5f * Math.max(1f, Math.abs(vector[i])), "element " + i);
    }
  }

  private static String location(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
