package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares the graph compiler's generated models ({@link GraphReferenceNetworks}: convolutions with
 * every padding, stride, dilation and group option, max/average/global pooling, BatchNorm after a
 * convolution and after a dense layer, a residual DAG with Add and Concat, a whole CNN, and the
 * recurrent family: embeddings with a padding id, SimpleRNN (tanh, ReLU), LSTM and GRU in both
 * directions with sequence and last-state outputs, stacking, Dense on every step, a float-sequence
 * regression and a character language model with a label per step) with an independent float64
 * PyTorch implementation ({@code torch_graph_reference.py}). The test writes the typed layer list of
 * {@code spec().layers()} as JSON next to the inputs; the Python side rebuilds each op from PyTorch's
 * definition and the weights saved by {@code model.save} (BatchNorm's running statistics included),
 * with its own SAME-padding rule and a shape check on every layer. Recurrent layers run as
 * {@code torch.nn.LSTM/GRU/RNN} modules holding Kiln's tensors under PyTorch's names, on sequences
 * packed with {@code pack_padded_sequence(enforce_sorted=False)} at the lengths the padding ids give
 * (so the last state is {@code h_n}, and padded steps of a sequence output are zeros).
 *
 * <p>Compared for each network, on odd sizes and randomized biases and BatchNorm parameters (running
 * statistics too, so that evaluation mode differs from training mode):
 * <ul>
 *   <li>{@code predict} (batched, and one sample at a time) and {@code evaluate}'s loss in evaluation
 *       mode (BatchNorm with running statistics), and its accuracy exactly; a sequence output per
 *       step, its loss and accuracy over the labelled steps (label -1 ignored);
 *   <li>the training-mode loss and every trained parameter's gradient ({@code trainingLoss}: BatchNorm
 *       with the statistics of the whole batch);
 *   <li>every parameter after each Adam step of {@code train()} with shuffle off (the last batch
 *       partial), BatchNorm's running mean and variance included (momentum, unbiased variance), and
 *       each step's loss;
 *   <li>{@code predict} and {@code evaluate} again after training, with the updated running statistics.
 * </ul>
 *
 * <p>Tolerances (Kiln computes in float32, the reference in float64; bounds as in {@link
 * PyTorchReferenceTest}, each far below a real mistake: {@link #mistakesAreRejected} runs the reference
 * again with one deliberate semantic error per op — padding on the wrong side, a flipped kernel, zeros
 * winning a max pool, the biased running variance, Keras' momentum convention, a tensor added once
 * instead of twice, a reversed Concat, Flatten in [H, W, C] order, train()'s partial last batch
 * averaged over the full batch size, LSTM gates in the order i, f, o, g, GRU's reset gate the Keras
 * way, padded steps processed, the backward direction starting at the padded end, the padding
 * embedding trained, a per-step loss averaged per sample, ... — and requires each to exceed
 * some bound at least {@link #MISTAKE_FACTOR} times):
 * <ul>
 *   <li>outputs: max |Δ| ≤ {@value #OUTPUT_TOLERANCE} (probabilities);
 *   <li>losses: relative error ≤ {@value #LOSS_TOLERANCE};
 *   <li>gradients: per tensor ‖Δ‖ / ‖g‖ ≤ {@value #GRADIENT_TOLERANCE};
 *   <li>trained parameters after each Adam step: per tensor ‖Δ‖ / ‖update‖ ≤ {@value #STEP_TOLERANCE},
 *       the update being PyTorch's movement since the initial weights. Not the largest |Δ| of one
 *       element: Adam divides by √v̂ + ε, so an element whose gradient is near ε = 1e-8 turns the
 *       float32 rounding of that gradient (~1e-9 absolute, a sum of terms of ~1e-3 that cancel) into
 *       up to ~2e-2 of its step. The CNN has such elements among its 225k (observed: one conv2
 *       weight with a first gradient of -7.7e-8 moved 0.8846·lr in Kiln, 0.8854·lr in PyTorch);
 *       over a tensor's norm they weigh little, while a wrong batch, order, optimizer rule or
 *       gradient changes an update by 1e-1 or more;
 *   <li>running statistics after k steps: |Δ| ≤ {@value #STATE_TOLERANCE} · max(1, |value|) (batch
 *       means and variances of ≤ 400 terms per channel, summed in float32).
 * </ul>
 */
class PyTorchGraphReferenceTest {
  static final double OUTPUT_TOLERANCE = 1e-5;
  static final double LOSS_TOLERANCE = 1e-5;
  static final double GRADIENT_TOLERANCE = 1e-5;
  static final double STEP_TOLERANCE = 1e-3;
  static final double STATE_TOLERANCE = 1e-5;

  /** A deliberate mistake must exceed some bound by at least this factor. */
  static final double MISTAKE_FACTOR = 10;

  @TempDir static Path dir;

  /** A network, its data, how {@code train()} batches it, and the reference's deliberate mistakes. */
  record Case(CompiledModel model, Dataset data, int batch, int epochs, List<String> samePadding, List<String> mistakes) {}

  /** What Kiln computed for a case; compared with the reference and with each mistake. */
  record KilnRun(
      float[] predict,
      float[] predictOne,
      double evalLoss,
      float[] grad,
      double gradLoss,
      List<float[]> steps,
      List<Double> stepLosses,
      float[] predictAfter,
      double evalLossAfter,
      float[] initial,
      double evalAccuracy,
      double evalAccuracyAfter) {}

  /** One comparison: its error and the bound it must stay under. */
  record Check(String what, double error, double tolerance) {
    double ratio() {
      return Double.isNaN(error) ? Double.POSITIVE_INFINITY : error / tolerance;
    }

    boolean passes() {
      return error <= tolerance;
    }
  }

  static final Map<String, Case> CASES = new LinkedHashMap<>();
  static final Map<String, KilnRun> RUNS = new LinkedHashMap<>();
  static final List<String> SUMMARY = new ArrayList<>();
  static String python;

  @BeforeAll
  static void runPyTorch() throws Exception {
    long t0 = System.nanoTime();
    python = PyTorchReferenceTest.findPython();
    if (python == null) {
      return;
    }
    add("ConvSameStrideDilated", new ConvSameStrideDilatedModel(), 7, 4, 1, List.of("same"), List.of("same_extra_top", "conv_flipped"));
    add("ConvExplicitPad", new ConvExplicitPadModel(), 7, 4, 1, List.of(), List.of("pad_mirrored", "conv_flipped", "partial_batch_over_capacity"));
    add("ConvGroups", new ConvGroupsModel(), 7, 4, 1, List.of("depthwise"), List.of("leaky_default_slope", "conv_flipped"));
    add("PoolPadded", new PoolPaddedModel(), 7, 4, 1, List.of("conv", "sameMax"), List.of("max_zero_pad", "avg_exclude_pad"));
    add("PoolAsymmetricGlobal", new PoolAsymmetricGlobalModel(), 7, 4, 1, List.of("sameAvg"), List.of("pool_pad_mirrored"));
    add("BatchNormConvDense", new BatchNormConvDenseModel(), 7, 4, 1, List.of(),
        List.of("bn_biased_running_var", "bn_momentum_complement", "bn_eval_batch_stats"));
    add("ResidualConcat", new ResidualConcatModel(), 7, 4, 1, List.of("stem", "a", "b"), List.of("add_once", "concat_reversed"));
    // 12 images in batches of 4 for 2 epochs: 6 Adam steps.
    add("FashionCnn", new FashionCnnModel(), 12, 4, 2, List.of(), List.of("flatten_hwc"));
    // The recurrent family: 9 sequences in batches of 4 for 2 epochs, 6 Adam steps (two of one sequence).
    add("PaddedBiLstm", new PaddedBiLstmModel(), r -> tokens(r, "PaddedBiLstm", 9, 4, 3), 4, 2,
        List.of("lstm_gate_order_ifog", "padding_unmasked", "reverse_from_padded_end", "embedding_padding_trained"));
    add("PaddedGruRnn", new PaddedGruRnnModel(), r -> tokens(r, "PaddedGruRnn", 9, 0, 3), 4, 2,
        List.of("gru_reset_before_matmul", "gru_bhn_outside_reset", "padding_unmasked", "reverse_from_padded_end"));
    add("StackedLstmPerStep", new StackedLstmPerStepModel(), r -> tokens(r, "StackedLstmPerStep", 9, 10, 3), 4, 2,
        List.of("lstm_gate_order_ifog", "padding_unmasked"));
    add("FloatSequenceRegression", new FloatSequenceRegressionModel(), r -> floatSequences(r, "FloatSequenceRegression", 9, 3, 2),
        4, 2, List.of("gru_reset_before_matmul", "gru_bhn_outside_reset", "rnn_relu_as_tanh"));
    add("CharLanguageModel", new CharLanguageModelModel(), r -> nextTokens(r, "CharLanguageModel", 9, 0), 4, 2,
        List.of("steps_mean_per_sample", "partial_batch_over_capacity", "lstm_gate_order_ifog", "padding_unmasked"));

    Path script = dir.resolve("torch_graph_reference.py");
    copyResource("torch_graph_reference.py", script);
    copyResource("torch_reference.py", dir.resolve("torch_reference.py")); // its safetensors and optimizer helpers
    List<String> command = new ArrayList<>(List.of(python, script.toString(), dir.toString()));
    command.addAll(CASES.keySet());
    Path log = dir.resolve("torch_graph_reference.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("torch_graph_reference.py did not finish in 120 s:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), () -> "torch_graph_reference.py failed:\n" + PyTorchReferenceTest.readQuietly(log));
    SUMMARY.add(String.format("set-up, Kiln runs and Python run %.1f s", (System.nanoTime() - t0) / 1e9));
  }

  @AfterAll
  static void printSummary() {
    if (!SUMMARY.isEmpty()) {
      System.out.println("PyTorchGraphReferenceTest (" + python + "), max errors:");
      SUMMARY.forEach(s -> System.out.println("  " + s));
    }
  }

  // ---------------------------------------------------------------- the comparisons

  @ParameterizedTest
  @ValueSource(strings = {
      "ConvSameStrideDilated", "ConvExplicitPad", "ConvGroups", "PoolPadded", "PoolAsymmetricGlobal",
      "BatchNormConvDense", "ResidualConcat", "FashionCnn",
      "PaddedBiLstm", "PaddedGruRnn", "StackedLstmPerStep", "FloatSequenceRegression", "CharLanguageModel"})
  void matchesPyTorch(String name) throws IOException {
    Assumptions.assumeTrue(python != null, PyTorchReferenceTest.NO_TORCH);
    Case c = CASES.get(name);
    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve(name + ".torch.safetensors"))) {
      // Guards against vacuous passes: PyTorch's gradient of every trained tensor is non-zero, and
      // every step moved the weights.
      for (ParamSpec p : c.model().spec().parameters()) {
        if (p.trained()) {
          float[] g = ref.data("grad." + p.name());
          assertTrue(norm(g) > 0, name + ": PyTorch's gradient of " + p.name() + " is zero; the check would be vacuous");
        }
      }
      KilnRun run = RUNS.get(name);
      List<Check> checks = compare(c, run, ref, "");
      for (Check k : checks) {
        assertTrue(k.passes(), name + ": " + k.what() + " differs from PyTorch by " + k.error() + " > " + k.tolerance());
      }
      // An embedding's padding row is zero before training and after every step, exactly.
      for (LayerSpec l : c.model().spec().layers()) {
        int pad = l.type().equals("Embedding") ? l.attribute("paddingIndex", -1) : -1;
        if (pad >= 0) {
          ParamSpec w = l.params().get(0);
          int dim = w.shape()[1];
          List<float[]> states = new ArrayList<>(run.steps());
          states.add(0, run.initial());
          for (int s = 0; s < states.size(); s++) {
            float[] row = Arrays.copyOfRange(states.get(s), w.offset() + pad * dim, w.offset() + (pad + 1) * dim);
            for (float v : row) {
              assertEquals(0f, v, 0f, name + ": padding row after step " + s + ": " + Arrays.toString(row));
            }
          }
        }
      }
      if (c.data().isClassification()) {
        // Accuracy over the labelled samples or steps, exactly (the outputs agree to 1e-7 and no two
        // logits of one row are that close).
        assertEquals(accuracy(ref, "eval_accuracy"), run.evalAccuracy(), 1e-12, name + ": accuracy");
        assertEquals(accuracy(ref, "eval_accuracy_after"), run.evalAccuracyAfter(), 1e-12, name + ": accuracy after");
      }
      SUMMARY.add(String.format("%-22s %s", name, checks.stream()
          .map(k -> String.format("%s %.1e", k.what(), k.error()))
          .collect(Collectors.joining(" | "))));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "ConvSameStrideDilated", "ConvExplicitPad", "ConvGroups", "PoolPadded", "PoolAsymmetricGlobal",
      "BatchNormConvDense", "ResidualConcat", "FashionCnn",
      "PaddedBiLstm", "PaddedGruRnn", "StackedLstmPerStep", "FloatSequenceRegression", "CharLanguageModel"})
  void mistakesAreRejected(String name) throws IOException {
    Assumptions.assumeTrue(python != null, PyTorchReferenceTest.NO_TORCH);
    Case c = CASES.get(name);
    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve(name + ".torch.safetensors"))) {
      for (String mistake : c.mistakes()) {
        List<Check> checks = compare(c, RUNS.get(name), ref, "mistake." + mistake + ".");
        Check worst = checks.stream().max((a, b) -> Double.compare(a.ratio(), b.ratio())).orElseThrow();
        assertTrue(
            worst.ratio() >= MISTAKE_FACTOR,
            name + ": the mistake '" + mistake + "' stays within " + MISTAKE_FACTOR + "x of every bound: " + checks);
        SUMMARY.add(String.format("%-22s mistake %-27s rejected by %s", name, mistake, checks.stream()
            .filter(k -> !k.passes())
            .sorted((a, b) -> Double.compare(b.ratio(), a.ratio()))
            .map(k -> String.format("%s %.1e (%.0fx)", k.what(), k.error(), k.ratio()))
            .collect(Collectors.joining(", "))));
      }
    }
  }

  /** The checks fail on a reference that is wrong by far less than a real mistake. */
  @Test
  void checksFailOnSlightlyWrongReferences() {
    float[] a = {0.25f, -1.5f, 3f, 0.125f};
    float[] off = a.clone();
    off[2] += 1e-4f; // 3.3e-5 relative: hundreds of float32 ulps
    assertTrue(gradientCheck("g", a, a).passes());
    assertFalse(gradientCheck("g", a, off).passes());
    assertFalse(new Check("output", PyTorchReferenceTest.maxAbsDiff(a, 0, off, 0, 4), OUTPUT_TOLERANCE).passes());
    assertFalse(new Check("loss", PyTorchReferenceTest.relErr(1.0001, 1.0), LOSS_TOLERANCE).passes());
    assertFalse(stateCheck("s", a, off).passes());
    float[] p0 = {0.249f, -1.499f, 2.999f, 0.124f}; // Adam's first step, lr 1e-3; one element wrong by 1/10 of it
    assertTrue(updateCheck("u", p0, a, a).passes());
    assertFalse(updateCheck("u", p0, a, off).passes());
    assertFalse(new Check("nan", Double.NaN, 1).passes());
  }

  static List<Check> compare(Case c, KilnRun k, SafeTensorsFile ref, String prefix) throws IOException {
    CompiledModel model = c.model();
    List<ParamSpec> params = model.spec().parameters();
    List<Check> checks = new ArrayList<>();
    float[] expected = ref.data(prefix + "predict");
    assertEquals(expected.length, k.predict().length, "outputs of every row");
    double out = PyTorchReferenceTest.maxAbsDiff(k.predict(), 0, expected, 0, expected.length);
    out = Math.max(out, PyTorchReferenceTest.maxAbsDiff(k.predictOne(), 0, expected, 0, expected.length));
    checks.add(new Check("output", out, OUTPUT_TOLERANCE));
    checks.add(new Check("eval loss", relErr(k.evalLoss(), ref, prefix + "eval_loss"), LOSS_TOLERANCE));

    checks.add(new Check("training loss", relErr(k.gradLoss(), ref, prefix + "grad_loss"), LOSS_TOLERANCE));
    Check worstGrad = new Check("grad", 0, GRADIENT_TOLERANCE);
    for (ParamSpec p : params) {
      if (p.trained()) {
        Check g = gradientCheck("grad " + p.name(), Arrays.copyOfRange(k.grad(), p.offset(), p.offset() + p.length()),
            ref.data(prefix + "grad." + p.name()));
        worstGrad = g.ratio() > worstGrad.ratio() ? g : worstGrad;
      }
    }
    checks.add(worstGrad);

    // Every parameter after each step: the update of each trained tensor against PyTorch's update, the
    // running statistics in absolute terms.
    String[] losses = ref.metadata().get(prefix + "step_losses").split(",");
    assertEquals(k.steps().size(), losses.length, "steps taken");
    double stepLossErr = 0, moved = 0;
    Check worstStep = null, worstState = null;
    for (int s = 0; s < k.steps().size(); s++) {
      float[] kiln = k.steps().get(s);
      moved = Math.max(moved, PyTorchReferenceTest.maxAbsDiff(kiln, 0, k.initial(), 0, kiln.length));
      for (ParamSpec p : params) {
        String what = "step " + (s + 1) + " " + p.name();
        float[] r = ref.data(prefix + "step" + (s + 1) + "." + p.name());
        Check st = p.trained()
            ? updateCheck(what, Arrays.copyOfRange(k.initial(), p.offset(), p.offset() + p.length()),
                Arrays.copyOfRange(kiln, p.offset(), p.offset() + p.length()), r)
            : stateCheck(what, Arrays.copyOfRange(kiln, p.offset(), p.offset() + p.length()), r);
        if (p.trained()) {
          worstStep = worstStep == null || st.ratio() > worstStep.ratio() ? st : worstStep;
        } else {
          worstState = worstState == null || st.ratio() > worstState.ratio() ? st : worstState;
        }
      }
      stepLossErr = Math.max(stepLossErr, PyTorchReferenceTest.relErr(k.stepLosses().get(s), Double.parseDouble(losses[s])));
    }
    assertTrue(moved >= 1e-3, c.model().spec().network() + ": training moved the weights by only " + moved);
    checks.add(worstStep);
    checks.add(new Check("step loss", stepLossErr, LOSS_TOLERANCE));
    if (worstState != null) {
      checks.add(worstState);
    }

    float[] after = ref.data(prefix + "predict_after");
    checks.add(new Check("output after", PyTorchReferenceTest.maxAbsDiff(k.predictAfter(), 0, after, 0, after.length), OUTPUT_TOLERANCE));
    checks.add(new Check("eval loss after", relErr(k.evalLossAfter(), ref, prefix + "eval_loss_after"), LOSS_TOLERANCE));
    return checks;
  }

  /** ‖Δ‖ / ‖g‖ of one tensor. */
  static Check gradientCheck(String what, float[] kiln, float[] ref) {
    assertEquals(ref.length, kiln.length, what);
    double d2 = 0;
    for (int i = 0; i < kiln.length; i++) {
      double d = kiln[i] - (double) ref[i];
      d2 += d * d;
    }
    return new Check(what, Math.sqrt(d2) / norm(ref), GRADIENT_TOLERANCE);
  }

  /** ‖Δ‖ / ‖ref − p0‖ of one tensor's update since {@code p0}. */
  static Check updateCheck(String what, float[] p0, float[] kiln, float[] ref) {
    assertEquals(ref.length, kiln.length, what);
    double d2 = 0, m2 = 0;
    for (int i = 0; i < kiln.length; i++) {
      double d = kiln[i] - (double) ref[i];
      double m = ref[i] - (double) p0[i];
      d2 += d * d;
      m2 += m * m;
    }
    return new Check(what, Math.sqrt(d2 / m2), STEP_TOLERANCE);
  }

  /** max |Δ| / max(1, |ref|) of a state tensor (running statistics). */
  static Check stateCheck(String what, float[] kiln, float[] ref) {
    assertEquals(ref.length, kiln.length, what);
    double worst = 0;
    for (int i = 0; i < kiln.length; i++) {
      double d = Math.abs(kiln[i] - (double) ref[i]) / Math.max(1, Math.abs(ref[i]));
      worst = Double.isNaN(d) ? Double.NaN : Math.max(worst, d);
    }
    return new Check(what, worst, STATE_TOLERANCE);
  }

  /** PyTorch's "correct/labelled" as a fraction. */
  static double accuracy(SafeTensorsFile ref, String key) {
    String[] parts = ref.metadata().get(key).split("/");
    return Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]);
  }

  static double relErr(double kiln, SafeTensorsFile ref, String key) {
    return PyTorchReferenceTest.relErr(kiln, Double.parseDouble(ref.metadata().get(key)));
  }

  static double norm(float[] a) {
    double n2 = 0;
    for (float v : a) {
      n2 += (double) v * v;
    }
    return Math.sqrt(n2);
  }

  // ---------------------------------------------------------------- case files and Kiln's side

  /** A case on inputs uniform in [-1, 1) (pixels in [0, 1)) with labels {@code i % classes}. */
  static void add(String name, CompiledModel model, int rows, int batch, int epochs, List<String> samePadding, List<String> mistakes)
      throws IOException {
    SplittableRandom rng = randomizeAndSave(name, model);

    int cols = model.spec().inputs();
    int classes = model.spec().outputs();
    boolean image28 = cols == 28 * 28;
    float[] x = new float[rows * cols];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (image28 ? rng.nextDouble() : rng.nextDouble(-1, 1)); // pixels in [0, 1), else [-1, 1)
    }
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % classes; // every class present
    }
    record(name, model, Dataset.classification(name, x, rows, cols, labels, classes), batch, epochs, samePadding, mistakes);
  }

  /** A case on data of its own (token sequences, float sequences, per-step labels), made from the case's random stream. */
  static void add(String name, CompiledModel model, java.util.function.Function<SplittableRandom, Dataset> data, int batch,
      int epochs, List<String> mistakes) throws IOException {
    SplittableRandom rng = randomizeAndSave(name, model);
    record(name, model, data.apply(rng), batch, epochs, List.of(), mistakes);
  }

  /**
   * Randomizes biases and BatchNorm parameters (recurrent weights and biases and embeddings keep
   * their initializers' values, which are not zero), saves the weights, and returns the case's random
   * stream for its data.
   */
  static SplittableRandom randomizeAndSave(String name, CompiledModel model) throws IOException {
    assertEquals(name, model.spec().network());
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    float[] w = model.parameters();
    for (ParamSpec p : model.spec().parameters()) {
      String kind = p.name().substring(p.name().lastIndexOf('.') + 1);
      for (int i = p.offset(); i < p.offset() + p.length(); i++) {
        switch (kind) {
          case "bias" -> w[i] = (float) (0.1 * rng.nextGaussian());
          case "gamma" -> w[i] = (float) rng.nextDouble(0.5, 1.5);
          case "beta" -> w[i] = (float) (0.2 * rng.nextGaussian());
          case "running_mean" -> w[i] = (float) (0.3 * rng.nextGaussian());
          case "running_var" -> w[i] = (float) rng.nextDouble(0.5, 2);
          default -> { } // kernels keep their initializer's values
        }
      }
    }
    model.setParameters(w);
    model.save(dir.resolve(name + ".weights.safetensors"));
    return rng;
  }

  /**
   * Writes the inputs, the labels (as floats, one per sample or per step, -1 for none) or targets,
   * and the layer list for Python, and runs Kiln on the case (the reference runs later, all cases in
   * one process).
   */
  static void record(String name, CompiledModel model, Dataset data, int batch, int epochs, List<String> samePadding,
      List<String> mistakes) throws IOException {
    int rows = data.rows();
    int cols = data.cols();
    float[] y;
    int yCols;
    if (data.isClassification()) {
      int[] labels = data.labels();
      yCols = labels.length / rows;
      y = new float[labels.length];
      for (int i = 0; i < labels.length; i++) {
        y[i] = labels[i];
      }
    } else {
      y = data.targets();
      yCols = data.targetCols();
    }

    Map<String, String> meta = PyTorchReferenceTest.optimizerMeta(model.spec().optimizer());
    meta.put("loss", model.spec().loss().name());
    meta.put("batch", Integer.toString(batch));
    meta.put("epochs", Integer.toString(epochs));
    meta.put("same_padding", String.join(",", samePadding));
    meta.put("mistakes", String.join(",", mistakes));
    meta.put("layers", layersJson(model.spec().layers()));
    SafeTensors.write(dir.resolve(name + ".data.safetensors"), meta,
        List.of(Tensor.of("x", data.features(), rows, cols), Tensor.of("y", y, rows, yCols)));
    Case c = new Case(model, data, batch, epochs, samePadding, mistakes);
    CASES.put(name, c);
    RUNS.put(name, runKiln(c));
  }

  static final int STEPS = 7;
  static final int VOCABULARY = 11;

  /**
   * {@code rows} token sequences of {@link #STEPS} ids padded at the end with {@code padding}: the
   * first of full length, the second of one real step, the others of 1 to {@link #STEPS} real steps
   * drawn at random; real ids are any but the padding id. Labels {@code i % classes}.
   */
  static Dataset tokens(SplittableRandom rng, String name, int rows, int padding, int classes) {
    float[] x = tokenIds(rng, rows, padding, 1);
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % classes;
    }
    return Dataset.classification(name, x, rows, STEPS, labels, classes);
  }

  static float[] tokenIds(SplittableRandom rng, int rows, int padding, int minLength) {
    float[] x = new float[rows * STEPS];
    for (int i = 0; i < rows; i++) {
      int length = i == 0 ? STEPS : i == 1 ? minLength : minLength + rng.nextInt(STEPS - minLength + 1);
      for (int t = 0; t < STEPS; t++) {
        int id = padding;
        if (t < length) {
          id = rng.nextInt(VOCABULARY - 1);
          id = id >= padding ? id + 1 : id; // any id but the padding one
        }
        x[i * STEPS + t] = id;
      }
    }
    return x;
  }

  /**
   * Next-token data for a language model: sequences as {@link #tokens} of 2 to {@link #STEPS} real
   * steps, labelled at every step with the next id; the last real step and the padded ones have
   * {@link Dataset#IGNORED_LABEL}, so samples have 1 to 6 labelled steps.
   */
  static Dataset nextTokens(SplittableRandom rng, String name, int rows, int padding) {
    float[] x = tokenIds(rng, rows, padding, 2);
    int[] labels = new int[rows * STEPS];
    for (int i = 0; i < rows * STEPS; i++) {
      boolean next = i % STEPS + 1 < STEPS && x[i + 1] != padding;
      labels[i] = next ? (int) x[i + 1] : Dataset.IGNORED_LABEL;
    }
    return Dataset.sequenceClassification(name, x, rows, STEPS, labels, STEPS, VOCABULARY);
  }

  /** {@code rows} sequences of {@code STEPS x features} floats in [-1, 1), targets in [-1, 1). */
  static Dataset floatSequences(SplittableRandom rng, String name, int rows, int features, int targets) {
    float[] x = new float[rows * STEPS * features];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextDouble(-1, 1);
    }
    float[] y = new float[rows * targets];
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) rng.nextDouble(-1, 1);
    }
    return Dataset.regression(name, x, rows, STEPS * features, y, targets).withSampleShape(STEPS, features);
  }

  static KilnRun runKiln(Case c) {
    CompiledModel model = c.model();
    Dataset data = c.data();
    int rows = data.rows();
    float[] initial = model.parameters();
    float[] predict = new float[rows * model.spec().outputs()];
    model.predict(data.features(), rows, predict);
    int outs = model.spec().outputs();
    float[] predictOne = new float[rows * outs];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(model.predict(data.row(i)), 0, predictOne, i * outs, outs);
    }
    Evaluation evaluation = model.evaluate(data);
    float[] grad = new float[model.spec().parameterCount()];
    double gradLoss = model.trainingLoss(data, 0, grad);
    assertTrue(Arrays.equals(initial, model.parameters()), "trainingLoss changed the parameters");

    List<float[]> steps = new ArrayList<>();
    List<Double> stepLosses = new ArrayList<>();
    Callback recorder = new Callback() {
      @Override
      public void onBatchEnd(TrainingContext context) {
        steps.add(context.copyWeights());
        stepLosses.add(context.batchLoss());
      }
    };
    model.train(data, TrainOptions.epochs(c.epochs()).withBatchSize(c.batch()).withShuffle(false).withCallbacks(recorder).quiet());
    float[] predictAfter = new float[rows * model.spec().outputs()];
    model.predict(data.features(), rows, predictAfter);
    Evaluation after = model.evaluate(data);
    return new KilnRun(predict, predictOne, evaluation.loss(), grad, gradLoss, steps, stepLosses, predictAfter, after.loss(),
        initial, evaluation.accuracy(), after.accuracy());
  }

  /** The typed layer list as JSON: name, type, inputs, per-sample shape, attributes, parameter tensors. */
  static String layersJson(List<LayerSpec> layers) {
    List<Object> list = new ArrayList<>();
    for (LayerSpec l : layers) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", l.name());
      m.put("type", l.type());
      m.put("inputs", l.inputs());
      m.put("shape", l.outputShape());
      m.put("attributes", l.attributes());
      List<Object> params = new ArrayList<>();
      for (ParamSpec p : l.params()) {
        params.add(Map.of("name", p.name(), "shape", p.shape(), "role", p.role().name()));
      }
      m.put("params", params);
      list.add(m);
    }
    return json(list);
  }

  static String json(Object v) {
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> json(e.getKey().toString()) + ":" + json(e.getValue()))
          .collect(Collectors.joining(",", "{", "}"));
    }
    if (v instanceof List<?> l) {
      return l.stream().map(PyTorchGraphReferenceTest::json).collect(Collectors.joining(",", "[", "]"));
    }
    if (v instanceof int[] a) {
      return json(Arrays.stream(a).boxed().toList());
    }
    if (v instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    if (v instanceof Integer || v instanceof Boolean) {
      return v.toString();
    }
    if (v instanceof Double d && Double.isFinite(d)) {
      return d.toString();
    }
    throw new IllegalArgumentException("not representable in the layer JSON: " + v);
  }

  static void copyResource(String resource, Path target) throws IOException {
    try (InputStream in = PyTorchGraphReferenceTest.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("test resource dev/kiln/samples/" + resource + " is missing");
      }
      Files.copy(in, target);
    }
  }
}
