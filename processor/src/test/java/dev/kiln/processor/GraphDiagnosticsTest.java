package dev.kiln.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * Diagnostics of the graph compiler's ops and wiring, each on the file and line of the declaration
 * at fault: shapes that do not fit, windows larger than the image, unknown or later inputs, wrong
 * input counts, unused layers, and the input shape itself.
 */
class GraphDiagnosticsTest {

  private static JavaFileObject source(String... lines) {
    String[] all = new String[lines.length + 3];
    all[0] = "package test;";
    all[1] = "import dev.kiln.dsl.*;";
    all[2] = "";
    System.arraycopy(lines, 0, all, 3, lines.length);
    return JavaFileObjects.forSourceLines("test.Net", all);
  }

  private static Compilation compile(JavaFileObject source) {
    return javac().withProcessors(new KilnProcessor()).compile(source);
  }

  @Test
  void validResidualCnnCompilesWithoutDiagnostics() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {1, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME, activation = Activation.RELU) Layer stem;",
            "  @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) Layer conv;",
            "  @BatchNorm Layer bn;",
            "  @Add(from = {\"bn\", \"stem\"}) Layer sum;",
            "  @Activate(Activation.RELU) Layer relu;",
            "  @MaxPool2D(size = 2) Layer pool;",
            "  @GlobalAveragePool2D Layer gap;",
            "  @Dropout(rate = 0.1) Layer drop;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).succeededWithoutWarnings();
    assertThat(c).generatedSourceFile("test.NetModel");
  }

  @Test
  void denseOnAnImageAsksForFlatten() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {1, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 4, kernel = 3) Layer conv;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnShape] @Dense 'out' needs a vector [B, features] or a sequence [B, steps, features], but its input is [B, 4, 6, 6]; add @Flatten before it")
        .inFile(src).onLine(7);
  }

  @Test
  void convOnAVectorAsksForAnImageInput() {
    JavaFileObject src =
        source(
            "@Network(inputs = 64, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 4, kernel = 3) Layer conv;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnShape] @Conv2D 'conv' needs an image [B, C, H, W], but its input is [B, 64]; declare the network with @Network(inputShape = {C, H, W})")
        .inFile(src).onLine(6);
  }

  @Test
  void aWindowLargerThanTheImageIsReportedOnItsSize() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {1, 5, 5}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 2, kernel = 3) Layer conv;",
            "  @MaxPool2D(size = 4) Layer pool;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnShape] @MaxPool2D 'pool': window 4x4 does not fit input [B, 2, 3, 3] with padding [0, 0, 0, 0]")
        .inFile(src).onLine(7);
  }

  @Test
  void groupsMustDivideTheChannels() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {3, 5, 5}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 4, kernel = 3, groups = 2) Layer conv;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnValue] groups must be a divisor of the input channels (3), got 2")
        .inFile(src).onLine(6);
  }

  @Test
  void badKernelAndPaddingValuesAreReported() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {1, 8, 8}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Conv2D(filters = 2, kernel = {3, 3, 3}, padding = Padding.SAME, pad = 1) Layer conv;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnValue] kernel must be one value or two ({height, width}), got [3, 3, 3]")
        .inFile(src).onLine(6);
    assertThat(c).hadErrorContaining("[KilnOption] pad does not apply to padding SAME").inFile(src).onLine(6);
  }

  @Test
  void fromMustNameALayerDeclaredBefore() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer a;",
            "  @Dense(units = 3, from = {\"c\"}) Layer b;",
            "  @Dense(units = 3) Layer c;",
            "  @Add(from = {\"b\", \"c\", \"nope\"}) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnFrom] layer 'b' reads 'c', which is not a layer declared before it; layers declared before it: [input, a]")
        .inFile(src).onLine(7);
    assertThat(c).hadErrorContaining("[KilnFrom] layer 'out' reads 'nope'").inFile(src).onLine(9);
  }

  @Test
  void inputCountsAreChecked() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer a;",
            "  @Add(from = {\"a\"}) Layer sum;",
            "  @Dense(units = 3, from = {\"a\", \"sum\"}) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnFrom] @Add 'sum' reads one layer; it needs two or more").inFile(src).onLine(7);
    assertThat(c).hadErrorContaining("[KilnFrom] @Dense 'out' reads 2 layers; it needs exactly 1").inFile(src).onLine(8);
  }

  @Test
  void addOfDifferentShapesIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer a;",
            "  @Dense(units = 5) Layer b;",
            "  @Add(from = {\"a\", \"b\"}) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnShape] @Add 'out' needs the same shape, got 'a' [B, 3], 'b' [B, 5]")
        .inFile(src).onLine(8);
  }

  @Test
  void aLayerNobodyReadsIsReported() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 3) Layer a;",
            "  @Dense(units = 3, from = {\"input\"}) Layer b;",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnUnusedLayer] layer 'a' is never read: only the last layer ('out') may be unread")
        .inFile(src).onLine(6);
  }

  @Test
  void inputShapeIsChecked() {
    JavaFileObject src =
        source(
            "@Network(inputs = 4, inputShape = {1, 0}, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Dense(units = 1) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnInputs] @Network has inputs = 4 and inputShape = [1, 0]; give one of them")
        .inFile(src).onLine(4);
    assertThat(c).hadErrorContaining("[KilnInputs] @Network inputShape must be {features}, {steps, features} or {channels, height, width}")
        .inFile(src).onLine(4);
  }

  @Test
  void twoLayerAnnotationsOnOneFieldAreReported() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {1, 4, 4}, loss = Loss.MEAN_SQUARED_ERROR)",
            "class Net {",
            "  @Conv2D(filters = 1, kernel = 3) @MaxPool2D(size = 2) Layer both;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 1) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnLayerConflict] field 'both' has both @Conv2D and @MaxPool2D; a field declares one layer")
        .inFile(src).onLine(6);
  }

  @Test
  void tokenIdsAreReadByAnEmbeddingOnly() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {12}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnTokens] layer 'out' (@Dense) reads the token ids of the input; only @Embedding reads an inputType = TOKENS input")
        .inFile(src).onLine(6);
  }

  @Test
  void anEmbeddingNeedsATokenInput() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {12}, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Embedding(vocabulary = 50, dim = 8) Layer emb;",
            "  @LSTM(units = 4) Layer lstm;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnTokens] layer 'emb' (@Embedding) reads token ids: its input must be the network input with @Network(inputType = TOKENS), not 'input'")
        .inFile(src).onLine(6);
  }

  @Test
  void aRecurrentLayerNeedsASequence() {
    JavaFileObject src =
        source(
            "@Network(inputs = 12, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @GRU(units = 4) Layer gru;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnShape] @GRU 'gru' needs a sequence [B, steps, features], but its input is [B, 12]; declare the input as inputShape = {steps, features}, or read an @Embedding")
        .inFile(src).onLine(6);
  }

  @Test
  void recurrentAndEmbeddingValuesAreCheckedOnTheirAttribute() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {12}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Embedding(vocabulary = 50, dim = 8, paddingIndex = 50) Layer emb;",
            "  @SimpleRNN(units = 4, activation = Activation.SIGMOID) Layer rnn;",
            "  @LSTM(units = 0) Layer lstm;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    assertThat(c).hadErrorContaining("[KilnValue] paddingIndex must be -1 (none) or an id in [0, vocabulary), got 50")
        .inFile(src).onLine(6);
    assertThat(c).hadErrorContaining("[KilnValue] @SimpleRNN activation must be TANH or RELU (as torch.nn.RNN), got SIGMOID")
        .inFile(src).onLine(7);
    assertThat(c).hadErrorContaining("[KilnValue] units must be at least 1, got 0").inFile(src).onLine(8);
  }

  @Test
  void statefulCannotBeBidirectionalOnEveryCell() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {12}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Embedding(vocabulary = 50, dim = 8) Layer emb;",
            "  @SimpleRNN(units = 4, returnSequences = true, bidirectional = true, stateful = true) Layer rnn;",
            "  @GRU(units = 4, returnSequences = true, stateful = true, bidirectional = true) Layer gru;",
            "  @LSTM(units = 3, stateful = true) Layer lstm;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    Compilation c = compile(src);
    String why = "stateful cannot be combined with bidirectional: the reverse direction reads each sequence from its end,"
        + " so it has no state to carry into the next batch; remove one of them";
    assertThat(c).hadErrorContaining("[KilnStateful] @SimpleRNN 'rnn': " + why).inFile(src).onLine(7);
    assertThat(c).hadErrorContaining("[KilnStateful] @GRU 'gru': " + why).inFile(src).onLine(8);
    assertThat(c).hadErrorCount(2); // a forward-only stateful LSTM is fine
  }

  @Test
  void tokensNeedOneAxis() {
    JavaFileObject src =
        source(
            "@Network(inputShape = {12, 3}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY)",
            "class Net {",
            "  @Embedding(vocabulary = 50, dim = 8) Layer emb;",
            "  @Flatten Layer flat;",
            "  @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;",
            "}");
    assertThat(compile(src))
        .hadErrorContaining("[KilnInputs] @Network inputType = TOKENS needs inputShape = {steps} (one token id per step), got [12, 3]")
        .inFile(src).onLine(4);
  }
}
