package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** Every diagnostic of the checker, on the file and line of the annotation value at fault. */
class DiagnosticsTest {

  private static JavaFileObject source(String... lines) {
    String[] all = new String[lines.length + 3];
    all[0] = "package test;";
    all[1] = "import dev.kiln.dsl.*;";
    all[2] = "";
    System.arraycopy(lines, 0, all, 3, lines.length);
    return JavaFileObjects.forSourceLines("test.Net", all);
  }

  private static Compilation compile(JavaFileObject source, String... options) {
    return javac().withProcessors(new KilnProcessor()).withOptions((Object[]) options).compile(source);
  }

  @Test
  void validNetworkCompilesWithoutDiagnostics() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 8, activation = Activation.RELU) Layer hidden;",
            "  @Dropout(rate = 0.5) Layer drop;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).succeededWithoutWarnings();
    assertThat(c).generatedSourceFile("test.NetModel");
  }

  @Test
  void zeroUnitsIsReportedOnTheUnitsValue() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 8) Layer hidden;",
            "  @Dense(units = 0) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).failed();
    assertThat(c).hadErrorContaining("[KilnUnits] @Dense units must be at least 1, got 0 (layer 'out')")
        .inFile(src).onLine(7);
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void dropoutRateOutsideUnitIntervalIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 8) Layer hidden;",
            "  @Dropout(rate = 1.0) Layer drop;",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnDropoutRate] @Dropout rate must be in [0, 1), got 1.0")
        .inFile(src).onLine(7);
  }

  @Test
  void negativeDropoutRateIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 8) Layer hidden;",
            "  @Dropout(rate = -0.1) Layer drop;",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnDropoutRate]").inFile(src).onLine(7);
  }

  @Test
  void dropoutAsFirstOrLastLayerIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dropout(rate = 0.1) Layer first;",
            "  @Dense(units = 1) Layer out;",
            "  @Dropout(rate = 0.1) Layer last;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnDropoutPosition] @Dropout 'first' must come between two layers (it is the first layer)")
        .inFile(src).onLine(6);
    assertThat(c).hadErrorContaining("[KilnDropoutPosition] @Dropout 'last' must come between two layers (it is the last layer)")
        .inFile(src).onLine(8);
  }

  @Test
  void softmaxBeforeTheLastLayerIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 8, activation = Activation.SOFTMAX) Layer hidden;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnSoftmaxPosition] SOFTMAX is only allowed on the last layer; layer 'hidden' is followed by 'out'")
        .inFile(src).onLine(6);
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void crossEntropyOnOneUnitIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLossMismatch] loss SOFTMAX_CROSS_ENTROPY needs at least 2 units")
        .inFile(src).onLine(6);
  }

  @Test
  void crossEntropyWithSigmoidHeadIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 3, activation = Activation.SIGMOID) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLossMismatch] loss SOFTMAX_CROSS_ENTROPY does not fit activation SIGMOID of the last layer 'out'")
        .inFile(src).onLine(6);
  }

  @Test
  void binaryCrossEntropyOnSeveralUnitsIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.BINARY_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 8, activation = Activation.TANH) Layer hidden;",
            "  @Dense(units = 2, activation = Activation.SIGMOID) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLossMismatch] loss BINARY_CROSS_ENTROPY needs exactly 1 unit on the last layer, but 'out' has 2 unit(s)")
        .inFile(src).onLine(7);
  }

  @Test
  void binaryCrossEntropyWithReluHeadIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.BINARY_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 1, activation = Activation.RELU) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLossMismatch] loss BINARY_CROSS_ENTROPY does not fit activation RELU")
        .inFile(src).onLine(6);
  }

  @Test
  void meanSquaredErrorWithSoftmaxIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLossMismatch] loss MEAN_SQUARED_ERROR does not fit activation SOFTMAX")
        .inFile(src).onLine(6);
  }

  @Test
  void missingInputSizeIsReported() {
    JavaFileObject src =
        source(
            "@Network(loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnInputs] @Network needs inputs = <features per sample> (at least 1), got 0")
        .inFile(src).onLine(4);
  }

  @Test
  void negativeInputSizeIsReportedOnTheValue() {
    JavaFileObject src =
        source(
            "@Network(loss = Loss.MEAN_SQUARED_ERROR,",
            "         inputs = -2)",
            "class Net {",
            "  @Dense(units = 3) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnInputs]").inFile(src).onLine(5);
  }

  @Test
  void networkWithoutLayersIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  Layer notAnnotated;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnNoLayers] network Net declares no layers")
        .inFile(src).onLine(4);
  }

  @Test
  void networkOnAnInterfaceIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "interface Net {",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnNotAClass] @Network must be on a class, not on interface Net")
        .inFile(src).onLine(4);
  }

  @Test
  void networkOnAnEnumIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "enum Net { A }");
    assertThat(compile(src)).hadErrorContaining("[KilnNotAClass] @Network must be on a class, not on enum Net")
        .inFile(src).onLine(4);
  }

  @Test
  void layerOutsideANetworkIsReported() {
    JavaFileObject src =
        source(
            "class Net {",
            "  @Dense(units = 3) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLayerOutsideNetwork] @Dense field 'out' is in Net, which is not annotated @Network")
        .inFile(src).onLine(5);
  }

  @Test
  void twoLayerAnnotationsOnOneFieldAreReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer hidden;",
            "  @Dense(units = 3) @Dropout(rate = 0.2) Layer both;",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnLayerConflict] field 'both' has both @Dense and @Dropout")
        .inFile(src).onLine(7);
  }

  @Test
  void momentumWithAdamIsAConflictingOption() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM,",
            "         momentum = 0.9)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnOption] momentum does not apply to optimizer ADAM; remove it")
        .inFile(src).onLine(5);
  }

  @Test
  void betasWithSgdAreConflictingOptions() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.SGD,",
            "         beta1 = 0.8,",
            "         epsilon = 1e-7)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnOption] beta1 does not apply to optimizer SGD").inFile(src).onLine(5);
    assertThat(c).hadErrorContaining("[KilnOption] epsilon does not apply to optimizer SGD").inFile(src).onLine(6);
    assertThat(c).hadErrorCount(2);
  }

  @Test
  void nesterovWithoutMomentumIsAConflict() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.SGD,",
            "         nesterov = true)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnOption] nesterov = true needs momentum > 0").inFile(src).onLine(5);
  }

  @Test
  void negativeSlopeWithoutLeakyReluIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3, activation = Activation.RELU, negativeSlope = 0.2) Layer hidden;",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src)).hadErrorContaining("[KilnOption] negativeSlope does not apply to activation RELU")
        .inFile(src).onLine(6);
  }

  @Test
  void badHyperparametersAreReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR,",
            "         learningRate = 0,",
            "         batchSize = 0)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnValue] learningRate must be positive and finite, got 0.0").inFile(src).onLine(5);
    assertThat(c).hadErrorContaining("[KilnValue] batchSize must be at least 1, got 0").inFile(src).onLine(6);
  }

  @Test
  void negativeOrInfiniteGradientClippingIsReportedOnTheValue() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR,",
            "         clipNorm = -1.0,",
            "         clipValue = Double.POSITIVE_INFINITY)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).failed();
    assertThat(c).hadErrorContaining("[KilnValue] clipNorm must be 0 (off) or positive and finite, got -1.0")
        .inFile(src).onLine(5);
    assertThat(c).hadErrorContaining("[KilnValue] clipValue must be 0 (off) or positive and finite, got Infinity")
        .inFile(src).onLine(6);
    assertThat(c).hadErrorCount(2);
  }

  @Test
  void declaredGradientClippingIsCarriedIntoTheModelSpec() throws java.io.IOException {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR, clipNorm = 1.5, clipValue = 0.25)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).succeededWithoutWarnings();
    assertThat(c).generatedSourceFile("test.NetModel").contentsAsUtf8String()
        .contains("INT_ACTIVATIONS_PER_SAMPLE,\n      new GradientClipSpec(1.5, 0.25));");
  }

  @Test
  void everyErrorOfACompileIsReportedNotJustTheFirst() {
    JavaFileObject src =
        source(
            "@Network(loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 0) Layer hidden;",
            "  @Dropout(rate = 2) Layer drop;",
            "  @Dense(units = 1, activation = Activation.TANH) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnInputs]").inFile(src).onLine(4);
    assertThat(c).hadErrorContaining("[KilnUnits]").inFile(src).onLine(6);
    assertThat(c).hadErrorContaining("[KilnDropoutRate]").inFile(src).onLine(7);
    assertThat(c).hadErrorContaining("needs at least 2 units").inFile(src).onLine(8);
    assertThat(c).hadErrorContaining("does not fit activation TANH").inFile(src).onLine(8);
    assertThat(c).hadErrorCount(5);
  }

  @Test
  void unknownProcessorOptionIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src, "-Akiln.fastmath=true"))
        .hadErrorContaining("[KilnUnknownOption] unknown processor option -Akiln.fastmath; Kiln knows: [kiln.verbose]");
  }

  @Test
  void verboseOptionPrintsThePlanAsANote() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer out;",
            "}");
    Compilation c = compile(src, "-Akiln.verbose");
    assertThat(c).succeeded();
    assertThat(c).hadNoteContaining("Kiln: test.NetModel: 1 layers, 15 parameters").inFile(src).onLine(5);
  }

  @Test
  void invalidNetworksGenerateNoModel(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    java.nio.file.Path src = java.nio.file.Files.writeString(dir.resolve("Net.java"),
        "import dev.kiln.dsl.*;\n@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)\n"
            + "class Net { @Dense(units = 0) Layer out; }\n");
    java.nio.file.Path gen = java.nio.file.Files.createDirectories(dir.resolve("gen"));
    try (javax.tools.StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
      javax.tools.JavaCompiler.CompilationTask task = javac.getTask(new java.io.StringWriter(), files, null,
          java.util.List.of("-cp", System.getProperty("java.class.path"), "-s", gen.toString(), "-d", dir.toString()),
          null, files.getJavaFileObjects(src));
      task.setProcessors(java.util.List.of(new KilnProcessor()));
      org.junit.jupiter.api.Assertions.assertFalse(task.call());
    }
    org.junit.jupiter.api.Assertions.assertFalse(
        java.nio.file.Files.exists(gen.resolve("NetModel.java")), "no model may be rendered for an invalid network");
  }
}
