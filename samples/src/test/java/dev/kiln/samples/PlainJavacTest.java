package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise without Maven, as the README's "With plain javac" section gives it: {@code javac
 * -processorpath kiln-processor-<version>.jar -cp kiln-dsl-<version>.jar:kiln-runtime-<version>.jar}
 * compiles {@code examples/plain-javac/src/demo/Xor.java} without {@code --add-modules}, and {@code
 * java --add-modules jdk.incubator.vector} trains it with only the runtime jar on the class path.
 */
class PlainJavacTest {
  @TempDir Path dir;

  private static String jar(String property) {
    String path = System.getProperty(property);
    assertTrue(path != null && Files.isRegularFile(Path.of(path)), property + " must point to a built jar: " + path);
    return path;
  }

  @Test
  void theReadmeCommandsCompileAndRunTheXorExample() throws Exception {
    Path source = Path.of(System.getProperty("kiln.plainJavacSource", "(kiln.plainJavacSource not set)"));
    assertTrue(Files.isRegularFile(source), "the README's example must exist: " + source);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String cp = jar("kiln.dslJar") + java.io.File.pathSeparator + jar("kiln.runtimeJar");
    // javac in its own process, as on the command line: an in-process compiler would load the
    // processor from this test's class path before looking at -processorpath.
    Path bin = Path.of(System.getProperty("java.home"), "bin");
    ProcessResult compiled =
        run(
            bin.resolve("javac").toString(),
            "-processorpath", jar("kiln.processorJar"),
            "-cp", cp,
            "-d", classes.toString(),
            source.toString());
    // No --add-modules: the user's code never names a Vector API type, so javac does not need it.
    assertEquals(0, compiled.exitCode(), "javac failed:\n" + compiled.output());
    assertFalse(compiled.output().contains("warning"), "javac warned:\n" + compiled.output());
    assertTrue(Files.exists(classes.resolve("demo/XorModel.java")), "XorModel.java must be generated beside the classes");

    // Run time needs the runtime jar only: the annotations have source retention and the
    // generated model does not refer to kiln-dsl.
    ProcessResult ran =
        run(bin.resolve("java").toString(), "--add-modules", "jdk.incubator.vector",
            "-cp", classes + java.io.File.pathSeparator + jar("kiln.runtimeJar"), "demo.Xor");
    assertEquals(0, ran.exitCode(), ran.output());
    assertTrue(ran.output().contains("accuracy 1.0"), "XOR must be learned: " + ran.output());
    assertFalse(ran.output().contains("scalar kernels"), "must run on the Vector API: " + ran.output());
  }

  private record ProcessResult(int exitCode, String output) {}

  private static ProcessResult run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes(); // until the process closes its output
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "must finish: " + String.join(" ", command));
    return new ProcessResult(p.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  @Test
  void processorJarIsSelfContained() throws IOException {
    try (var zip = new java.util.zip.ZipFile(jar("kiln.processorJar"))) {
      assertTrue(zip.getEntry("dev/kiln/processor/shaded/javapoet/JavaFile.class") != null, "JavaPoet relocated inside");
      assertTrue(zip.getEntry("com/palantir/javapoet/JavaFile.class") == null, "no unrelocated JavaPoet");
      assertTrue(zip.getEntry("META-INF/services/javax.annotation.processing.Processor") != null);
      assertTrue(zip.getEntry("META-INF/gradle/incremental.annotation.processors") != null);
      assertTrue(zip.getEntry("dev/kiln/dsl/Network.class") != null, "the DSL the processor reads is inside");
    }
  }
}
