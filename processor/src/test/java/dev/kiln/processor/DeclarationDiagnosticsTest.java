package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import java.nio.file.Path;
import java.util.Map;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Diagnostics about the declaration itself rather than its layers' values: clashing generated
 * names, {@code @Network(name = ...)}, and what a layer field may be (instance, of type Layer; any
 * access modifier).
 */
class DeclarationDiagnosticsTest {

  private static JavaFileObject source(String qualifiedName, String... lines) {
    String[] all = new String[lines.length + 3];
    all[0] = "package test;";
    all[1] = "import dev.kiln.dsl.*;";
    all[2] = "";
    System.arraycopy(lines, 0, all, 3, lines.length);
    return JavaFileObjects.forSourceLines(qualifiedName, all);
  }

  private static Compilation compile(JavaFileObject... sources) {
    return javac().withProcessors(new KilnProcessor()).compile(sources);
  }

  @Test
  void nestedNetworksWithTheSameSimpleNameAreReportedOnBoth() {
    JavaFileObject a =
        source(
            "test.OuterA",
            "class OuterA {",
            "  @Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "  static class Net { @Dense(units = 1) Layer out; }",
            "}");
    JavaFileObject b =
        source(
            "test.OuterB",
            "class OuterB {",
            "",
            "  @Network(inputs = 3, loss = Loss.MEAN_SQUARED_ERROR)",
            "  static class Net { @Dense(units = 2) Layer out; }",
            "}");
    Compilation c = compile(a, b);
    assertThat(c).failed();
    assertThat(c)
        .hadErrorContaining(
            "[KilnNameClash] test.OuterA.Net and test.OuterB.Net would both generate class test.NetModel;"
                + " choose another name for one of them with @Network(name = \"...\")")
        .inFile(a)
        .onLine(5);
    assertThat(c)
        .hadErrorContaining("[KilnNameClash] test.OuterB.Net and test.OuterA.Net would both generate class test.NetModel")
        .inFile(b)
        .onLine(6);
    assertThat(c).hadErrorCount(2); // and no KilnInternal FilerException
  }

  @Test
  void explicitNameClashingWithADefaultNameIsReportedOnTheNameValue() {
    JavaFileObject net =
        source(
            "test.Net",
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net { @Dense(units = 1) Layer out; }");
    JavaFileObject other =
        source(
            "test.Other",
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR,",
            "         name = \"NetModel\")",
            "class Other { @Dense(units = 1) Layer out; }");
    Compilation c = compile(net, other);
    assertThat(c).hadErrorContaining("[KilnNameClash] test.Net and test.Other").inFile(net).onLine(4);
    assertThat(c).hadErrorContaining("[KilnNameClash] test.Other and test.Net").inFile(other).onLine(5);
    assertThat(c).hadErrorCount(2);
  }

  @Test
  void networkNameChoosesTheGeneratedClass(@TempDir Path dir) throws Exception {
    String a =
        "package test; import dev.kiln.dsl.*;\n"
            + "class OuterA {\n"
            + "  @Network(inputs = 2, loss = Loss.MEAN_SQUARED_ERROR, name = \"RegressorA\")\n"
            + "  static class Net { @Dense(units = 1) Layer out; }\n"
            + "}\n";
    String b =
        "package test; import dev.kiln.dsl.*;\n"
            + "class OuterB {\n"
            + "  @Network(inputs = 3, loss = Loss.MEAN_SQUARED_ERROR)\n"
            + "  static class Net { @Dense(units = 1) Layer out; }\n"
            + "}\n";
    ClassLoader loader = GeneratedModels.compile(dir, Map.of("test.OuterA", a, "test.OuterB", b));
    CompiledModel named = GeneratedModels.instantiate(loader, "test.RegressorA", 1);
    CompiledModel unnamed = GeneratedModels.instantiate(loader, "test.NetModel", 1);
    assertEquals(2, named.spec().inputs());
    assertEquals(3, unnamed.spec().inputs());
    // The network keeps its own name in saved files; only the class name changes.
    assertEquals("Net", named.spec().network());
  }

  @Test
  void networkNameMustBeAnIdentifier() {
    JavaFileObject src =
        source(
            "test.Net",
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR,",
            "         name = \"my.Model\")",
            "class Net { @Dense(units = 1) Layer out; }");
    Compilation c = compile(src);
    assertThat(c)
        .hadErrorContaining(
            "[KilnModelName] @Network name must be a Java identifier (the generated class's simple name), got \"my.Model\"")
        .inFile(src)
        .onLine(5);
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void staticLayerFieldIsAnError() {
    JavaFileObject src =
        source(
            "test.Net",
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 8) Layer hidden;",
            "  @Dense(units = 1) static Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c)
        .hadErrorContaining(
            "[KilnStaticLayer] layer field 'out' must not be static: layers belong to the network declaration;"
                + " remove 'static'")
        .inFile(src)
        .onLine(7);
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void layerFieldOfAnotherTypeIsAnError() {
    JavaFileObject src =
        source(
            "test.Net",
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 8) int hidden;",
            "  @Dropout(rate = 0.5) String drop;",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c)
        .hadErrorContaining("[KilnLayerType] layer field 'hidden' must have type dev.kiln.dsl.Layer, not int")
        .inFile(src)
        .onLine(6);
    assertThat(c)
        .hadErrorContaining("[KilnLayerType] layer field 'drop' must have type dev.kiln.dsl.Layer, not java.lang.String")
        .inFile(src)
        .onLine(7);
    assertThat(c).hadErrorCount(2);
  }

  @Test
  void privateLayerFieldsCompileAndTrain(@TempDir Path dir) throws Exception {
    String src =
        "package test; import dev.kiln.dsl.*;\n"
            + "@Network(inputs = 2, loss = Loss.MEAN_SQUARED_ERROR, learningRate = 0.05)\n"
            + "class Net {\n"
            + "  @Dense(units = 4, activation = Activation.TANH) private Layer hidden;\n"
            + "  @Dropout(rate = 0.1) private final Layer drop = null;\n"
            + "  @Dense(units = 1) protected Layer out;\n"
            + "}\n";
    ClassLoader loader = GeneratedModels.compile(dir, Map.of("test.Net", src));
    CompiledModel model = GeneratedModels.instantiate(loader, "test.NetModel", 3);
    assertEquals(
        java.util.List.of("hidden", "drop", "out"),
        model.spec().layers().stream().map(l -> l.name()).filter(n -> !n.equals("input")).toList());
    float[] x = {0, 0, 0, 1, 1, 0, 1, 1};
    float[] y = {0, 1, 1, 2};
    Dataset data = Dataset.regression("sum", x, 4, 2, y, 1);
    double before = model.evaluate(data).loss();
    model.train(data, dev.kiln.runtime.train.TrainOptions.epochs(50).quiet());
    double after = model.evaluate(data).loss();
    assertNotEquals(before, after);
    org.junit.jupiter.api.Assertions.assertTrue(after < before / 4, before + " -> " + after);
  }
}
