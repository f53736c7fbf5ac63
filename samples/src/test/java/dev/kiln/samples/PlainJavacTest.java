package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise without Maven: {@code javac -processorpath kiln-processor.jar -cp
 * kiln-dsl.jar:kiln-runtime.jar} compiles a network, and {@code java} trains it.
 */
class PlainJavacTest {
  @TempDir Path dir;

  private static String jar(String property) {
    String path = System.getProperty(property);
    assertTrue(path != null && Files.isRegularFile(Path.of(path)), property + " must point to a built jar: " + path);
    return path;
  }

  @Test
  void plainJavacWithTheProcessorJarCompilesAndRunsANetwork() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/demo"));
    Files.writeString(
        src.resolve("Xor.java"),
        """
        package demo;

        import dev.kiln.dsl.*;
        import dev.kiln.runtime.data.Dataset;
        import dev.kiln.runtime.train.TrainOptions;

        @Network(inputs = 2, loss = Loss.BINARY_CROSS_ENTROPY, learningRate = 0.05, batchSize = 4, seed = 1)
        public class Xor {
          @Dense(units = 8, activation = Activation.TANH) Layer hidden;
          @Dense(units = 1, activation = Activation.SIGMOID) Layer out;

          public static void main(String[] args) {
            Dataset xor = Dataset.classification("xor", new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2, new int[] {0, 1, 1, 0}, 2);
            XorModel model = new XorModel();
            model.train(xor, TrainOptions.epochs(300).quiet());
            System.out.println("accuracy " + model.evaluate(xor).accuracy());
          }
        }
        """);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    String cp = jar("kiln.dslJar") + java.io.File.pathSeparator + jar("kiln.runtimeJar");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        javac.run(
            null, err, err,
            "-processorpath", jar("kiln.processorJar"),
            "-cp", cp,
            "--add-modules", "jdk.incubator.vector",
            "-d", classes.toString(),
            "-s", Files.createDirectories(dir.resolve("generated")).toString(),
            src.resolve("Xor.java").toString());
    assertEquals(0, rc, "javac failed:\n" + err.toString(StandardCharsets.UTF_8));
    assertTrue(Files.exists(dir.resolve("generated/demo/XorModel.java")), "XorModel.java must be generated");

    String javaExe = ProcessHandle.current().info().command().orElseThrow();
    List<String> cmd = new ArrayList<>(List.of(javaExe, "--add-modules", "jdk.incubator.vector", "-cp",
        classes + java.io.File.pathSeparator + cp, "demo.Xor"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the trained program must finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("accuracy 1.0"), "XOR must be learned: " + out);
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
