package dev.kiln.processor;

import dev.kiln.runtime.model.CompiledModel;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * Compiles network sources with the real javac and {@link KilnProcessor}, then loads the generated
 * models, so tests exercise the generated code itself rather than a hand-written copy.
 */
final class GeneratedModels {
  private GeneratedModels() {}

  /** Compiles {@code sources} (qualified name → text) and returns a loader for the classes. */
  static ClassLoader compile(Path dir, Map<String, String> sources) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
      Path classes = Files.createDirectories(dir.resolve("classes"));
      Path generated = Files.createDirectories(dir.resolve("generated"));
      files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(classes));
      files.setLocationFromPaths(StandardLocation.SOURCE_OUTPUT, List.of(generated));
      List<JavaFileObject> units = new ArrayList<>();
      for (Map.Entry<String, String> e : sources.entrySet()) {
        units.add(new Source(e.getKey(), e.getValue()));
      }
      StringWriter out = new StringWriter();
      List<String> options =
          List.of(
              "--release", "25",
              "--add-modules", "jdk.incubator.vector",
              "-classpath", System.getProperty("java.class.path"));
      JavaCompiler.CompilationTask task = javac.getTask(out, files, null, options, null, units);
      task.setProcessors(List.of(new KilnProcessor()));
      if (!task.call()) {
        throw new AssertionError("compilation failed:\n" + out);
      }
      return new URLClassLoader(new URL[] {classes.toUri().toURL()}, GeneratedModels.class.getClassLoader());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new instance of generated model {@code name} from {@code loader}, with {@code seed}. */
  static CompiledModel instantiate(ClassLoader loader, String name, long seed) {
    try {
      return (CompiledModel) loader.loadClass(name).getConstructor(long.class).newInstance(seed);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot instantiate " + name, e);
    }
  }

  /** Text of a generated source file under {@code dir}. */
  static String generatedSource(Path dir, String qualifiedName) throws IOException {
    return Files.readString(dir.resolve("generated").resolve(qualifiedName.replace('.', '/') + ".java"));
  }

  private static final class Source extends SimpleJavaFileObject {
    private final String text;

    Source(String qualifiedName, String text) {
      super(java.net.URI.create("string:///" + qualifiedName.replace('.', '/') + ".java"), Kind.SOURCE);
      this.text = text;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return text;
    }
  }
}
