package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares Kiln's generated models with an independent PyTorch implementation
 * ({@code torch_reference.py}, float64): outputs, mean loss, every parameter's gradient, the
 * weights after whole epochs of {@code train()}, and each optimizer class step by step against
 * {@code torch.optim}. The Python side rebuilds each network from the {@code kiln.architecture}
 * string and the weights saved by {@code model.save}, parsing safetensors with struct + json.
 *
 * <p>Skipped when no interpreter can {@code import torch} (tried: {@code -Dkiln.python},
 * {@code /usr/bin/python3}, {@code python3}; on Debian {@code apt-get install python3-torch}).
 *
 * <p>Tolerances (Kiln computes in float32, the reference in float64, so the differences are Kiln's
 * rounding; each bound is far below the size of any real mistake, e.g. a wrong activation
 * derivative or a missing bias correction changes results by 1e-2 or more):
 * <ul>
 *   <li>outputs: max |Δ| ≤ 1e-5 (probabilities and outputs of order 1, float32 ulp 6e-8 near 1,
 *       dot products of ≤ 64 terms; observed ≤ 3e-7);
 *   <li>mean loss (evaluate, trainingLoss, and each epoch's loss in the History): relative error
 *       ≤ 1e-5 (Kiln sums in double; observed ≤ 1e-7);
 *   <li>gradients: per tensor ‖Δ‖ / ‖g‖ ≤ 1e-5, and over the whole arena (observed ≤ 2.5e-7,
 *       i.e. float32 rounding; a tanh-approximated GELU or an off-by-one in a derivative is
 *       1e-4 or more);
 *   <li>optimizer steps on identical inputs: |Δ| ≤ 8 ulps of the element's largest |p| so far,
 *       per step taken (each step rounds a few float32 operations; observed ≤ 3 ulps per step);
 *   <li>weights after training: see {@link #TRAINED_TOLERANCE}.
 * </ul>
 */
class PyTorchReferenceTest {
  static final double OUTPUT_TOLERANCE = 1e-5;
  static final double LOSS_TOLERANCE = 1e-5;
  static final double GRADIENT_TOLERANCE = 1e-5;

  /** Optimizer steps on identical inputs: |Δ| ≤ this many ulps of the element's largest |p| so far, per step taken. */
  static final double OPTIMIZER_ULPS_PER_STEP = 8;

  /**
   * Max |Δ| of any weight after training, relative to the largest weight movement of the run
   * (observed: ≤ 1.5e-5). The float32/float64 gradient differences (~2e-7 relative) can be amplified
   * by Adam's division by √v for gradients near zero, and propagate over 8-26 steps; a real error (a
   * wrong batch or order, wrong optimizer semantics, a wrong gradient) changes weights by a sizeable
   * part of one step, i.e. 1e-2 or more of the movement.
   */
  static final double TRAINED_TOLERANCE = 1e-3;

  /** Epochs of the training comparison and the shuffle seed of its batches. */
  static final int EPOCHS = 2;
  static final long SHUFFLE_SEED = 99;

  @TempDir static Path dir;

  record ModelCase(CompiledModel model, Dataset data, int batch, boolean dropout) {}

  record OptimizerCase(OptimizerSpec spec, float[] p0, float[][] grads) {}

  static final Map<String, ModelCase> MODELS = new LinkedHashMap<>();
  static final Map<String, OptimizerCase> OPTIMIZERS = new LinkedHashMap<>();
  static final List<String> SUMMARY = new ArrayList<>();
  static String torchVersion = "?";

  /** The interpreter found, or null: every test is then skipped (reported as skipped, with the reason). */
  static String python;

  static final String NO_TORCH =
      "no Python interpreter with torch (tried -Dkiln.python, /usr/bin/python3, python3);"
          + " on Debian: apt-get install python3-torch";

  // ---------------------------------------------------------------- setup: one Python run for all cases

  @BeforeAll
  static void runPyTorch() throws Exception {
    long t0 = System.nanoTime();
    python = findPython();
    if (python == null) {
      return;
    }

    Dataset digits = standardized(SampleData.digits().split(7, 0.7, 0.15)).subset(0, 150);
    Dataset cancer = standardized(SampleData.breastCancer().split(3, 0.7, 0.1)).subset(0, 120);

    model("Digits", new DigitsModel(), digits, 32, Map.of(), false);
    model("BreastCancer", new BreastCancerModel(), cancer, 16, Map.of(), true);
    // The saved architecture carries LEAKY_RELU(0.05); the test states TestNetworks.NesterovDigits'
    // slope independently and the Python side checks that the two agree.
    model("NesterovDigits", new NesterovDigitsModel(), digits, 32, Map.of("hidden", 0.05f), false);
    model("Regressor", new RegressorModel(), regression2(100), 32, Map.of(), false);
    model("TanhBinary", new TanhBinaryModel(), cancer, 16, Map.of(), false);
    model("SigmoidLogit", new SigmoidLogitModel(), cancer, 16, Map.of(), false);
    model("TanhRegressor", new TanhRegressorModel(), regression5(100), 8, Map.of(), false);
    model("PlainSgdDigits", new PlainSgdDigitsModel(), digits, 24, Map.of(), false);

    // 1001 floats: not a multiple of any vector width, so the vector loops' tails are compared too.
    optimizer("sgd", new OptimizerSpec("SGD", 0.1f, 0f, false, 0f, 0f, 0f, 0f));
    optimizer("sgd-momentum-l2", new OptimizerSpec("SGD", 0.05f, 0.9f, false, 0f, 0f, 0f, 1e-2f));
    optimizer("sgd-nesterov-l2", new OptimizerSpec("SGD", 0.05f, 0.8f, true, 0f, 0f, 0f, 1e-3f));
    optimizer("adam-l2", new OptimizerSpec("ADAM", 1e-2f, 0f, false, 0.9f, 0.999f, 1e-8f, 1e-2f));
    optimizer("adamw", new OptimizerSpec("ADAMW", 1e-2f, 0f, false, 0.85f, 0.98f, 1e-6f, 0.1f));

    List<String> command = new ArrayList<>(List.of(python, script().toString(), dir.toString()));
    command.addAll(MODELS.keySet());
    command.addAll(OPTIMIZERS.keySet());
    Path log = dir.resolve("torch_reference.log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("torch_reference.py did not finish in 120 s:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), () -> "torch_reference.py failed:\n" + readQuietly(log));
    SUMMARY.add(String.format("PyTorch reference (%s): set-up and Python run %.1f s", python, (System.nanoTime() - t0) / 1e9));
  }

  @AfterAll
  static void printSummary() {
    if (!SUMMARY.isEmpty()) {
      System.out.println("PyTorchReferenceTest, torch " + torchVersion + ", max errors:");
      SUMMARY.forEach(s -> System.out.println("  " + s));
    }
  }

  // ---------------------------------------------------------------- models

  @ParameterizedTest
  @ValueSource(strings = {"Digits", "BreastCancer", "NesterovDigits", "Regressor", "TanhBinary", "SigmoidLogit", "TanhRegressor", "PlainSgdDigits"})
  void modelMatchesPyTorch(String name) throws IOException {
    Assumptions.assumeTrue(python != null, NO_TORCH);
    ModelCase c = MODELS.get(name);
    CompiledModel model = c.model();
    Dataset data = c.data();
    int rows = data.rows();
    int outs = model.spec().outputs();
    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve(name + ".torch.safetensors"))) {
      torchVersion = ref.metadata().get("torch_version");
      StringBuilder line = new StringBuilder(String.format("%-15s", name));

      // Outputs: the batched path, and the one-sample path on a few rows.
      float[] expected = ref.data("predict");
      float[] actual = new float[rows * outs];
      model.predict(data.features(), rows, actual);
      double outErr = maxAbsDiff(actual, 0, expected, 0, rows * outs);
      for (int i = 0; i < 5; i++) {
        outErr = Math.max(outErr, maxAbsDiff(model.predict(data.row(i)), 0, expected, i * outs, outs));
      }
      line.append(String.format(" output %.1e", outErr));
      assertTrue(outErr <= OUTPUT_TOLERANCE, name + ": outputs differ from PyTorch by " + outErr);

      // Mean loss with dropout off.
      double evalRef = Double.parseDouble(ref.metadata().get("eval_loss"));
      double evalErr = relErr(model.evaluate(data).loss(), evalRef);
      line.append(String.format(" | loss %.1e", evalErr));
      assertTrue(evalErr <= LOSS_TOLERANCE, name + ": evaluate loss relative error " + evalErr + " (torch " + evalRef + ")");

      if (c.dropout()) {
        // Training-mode loss, gradient and training depend on Kiln's dropout masks: not comparable.
        SUMMARY.add(line.append(" | (dropout: outputs and loss only)").toString());
        return;
      }

      // Training-mode loss and gradient of the mean loss over all rows.
      float[] grad = new float[model.spec().parameterCount()];
      double loss = model.trainingLoss(data, 0, grad);
      double gradLossRef = Double.parseDouble(ref.metadata().get("grad_loss"));
      double lossErr = relErr(loss, gradLossRef);
      assertTrue(lossErr <= LOSS_TOLERANCE, name + ": training loss relative error " + lossErr);
      double diff2 = 0, norm2 = 0, worstTensor = 0;
      String worstName = "";
      for (ParamSpec p : model.spec().parameters()) {
        float[] g = ref.data("grad." + p.name());
        assertEquals(p.length(), g.length, p.name());
        double d2 = 0, n2 = 0;
        for (int i = 0; i < p.length(); i++) {
          double d = grad[p.offset() + i] - (double) g[i];
          d2 += d * d;
          n2 += (double) g[i] * g[i];
        }
        assertTrue(n2 > 0, name + ": PyTorch's gradient of " + p.name() + " is zero; the check would be vacuous");
        double rel = Math.sqrt(d2 / n2);
        if (rel > worstTensor) {
          worstTensor = rel;
          worstName = p.name();
        }
        assertTrue(rel <= GRADIENT_TOLERANCE, name + ": gradient of " + p.name() + " relative error " + rel);
        diff2 += d2;
        norm2 += n2;
      }
      double gradErr = Math.sqrt(diff2 / norm2);
      assertTrue(gradErr <= GRADIENT_TOLERANCE, name + ": gradient relative error " + gradErr);
      line.append(String.format(" | grad %.1e (worst tensor %.1e %s)", gradErr, worstTensor, worstName));

      // Training: EPOCHS epochs of train(); PyTorch took the same batches in the same order.
      float[] before = model.parameters();
      History history =
          model.train(data, TrainOptions.epochs(EPOCHS).withBatchSize(c.batch()).withShuffleSeed(SHUFFLE_SEED).quiet());
      float[] after = model.parameters();
      double moved = maxAbsDiff(after, 0, before, 0, after.length);
      double trainedErr = 0;
      for (ParamSpec p : model.spec().parameters()) {
        trainedErr = Math.max(trainedErr, maxAbsDiff(after, p.offset(), ref.data("trained." + p.name()), 0, p.length()));
      }
      int steps = EPOCHS * EpochOrder.batchCount(rows, c.batch());
      line.append(String.format(" | trained %.1e of max move %.1e (%d steps)", trainedErr, moved, steps));
      // Guards against a vacuous pass (neither side moving); the smallest expected move is ~10 Adam steps of lr 1e-3.
      assertTrue(moved >= 1e-3, name + ": training moved the weights by only " + moved + "; the comparison would be weak");
      assertTrue(
          trainedErr <= TRAINED_TOLERANCE * moved,
          name + ": weights after " + steps + " steps differ from PyTorch by " + trainedErr + " (max movement " + moved + ")");

      String[] epochRef = ref.metadata().get("epoch_losses").split(",");
      assertEquals(EPOCHS, epochRef.length);
      double epochErr = 0;
      for (int e = 0; e < EPOCHS; e++) {
        EpochStats s = history.epochs().get(e);
        epochErr = Math.max(epochErr, relErr(s.loss(), Double.parseDouble(epochRef[e])));
      }
      line.append(String.format(" | epoch loss %.1e", epochErr));
      assertTrue(epochErr <= LOSS_TOLERANCE, name + ": epoch loss relative error " + epochErr);
      SUMMARY.add(line.toString());
    }
  }

  // ---------------------------------------------------------------- optimizers

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "sgd-momentum-l2", "sgd-nesterov-l2", "adam-l2", "adamw"})
  void optimizerMatchesTorchOptim(String name) throws IOException {
    Assumptions.assumeTrue(python != null, NO_TORCH);
    OptimizerCase c = OPTIMIZERS.get(name);
    int size = c.p0().length;
    float[] expected;
    try (SafeTensorsFile ref = SafeTensors.read(dir.resolve(name + ".torch.safetensors"))) {
      expected = ref.data("trajectory");
    }
    assertEquals(c.grads().length * size, expected.length);
    Optimizer opt = c.spec().create(size);
    float[] p = c.p0().clone();
    // Per element, the largest |p| so far: each step's float32 rounding is a few ulps of it.
    float[] scale = new float[size];
    for (int i = 0; i < size; i++) {
      scale[i] = Math.abs(p[i]);
    }
    double worstUlps = 0, worstAbs = 0, moved;
    for (int k = 0; k < c.grads().length; k++) {
      opt.step(p, c.grads()[k].clone(), 0, size);
      for (int i = 0; i < size; i++) {
        double ref = expected[k * size + i];
        scale[i] = Math.max(scale[i], Math.abs((float) ref));
        double d = Math.abs(p[i] - ref);
        double ulps = d / Math.ulp(scale[i]);
        worstAbs = Math.max(worstAbs, d);
        worstUlps = Math.max(worstUlps, ulps / (k + 1));
        assertTrue(
            ulps <= OPTIMIZER_ULPS_PER_STEP * (k + 1),
            name + ": step " + (k + 1) + ", element " + i + ": Kiln " + p[i] + ", torch " + ref);
      }
    }
    moved = maxAbsDiff(p, 0, c.p0(), 0, size);
    assertTrue(moved > 1e-3, name + ": parameters hardly moved (" + moved + ")");
    SUMMARY.add(String.format("%-15s max |Δ| %.1e, max %.2f ulp per step, %d steps of %s (max move %.1e)",
        name, worstAbs, worstUlps, c.grads().length, c.spec(), moved));
  }

  // ---------------------------------------------------------------- case files

  static void model(String name, CompiledModel model, Dataset data, int batch, Map<String, Float> slopes, boolean dropout)
      throws IOException {
    assertEquals(name, model.spec().network());
    model.save(dir.resolve(name + ".weights.safetensors"));
    Map<String, String> meta = optimizerMeta(model.spec().optimizer());
    meta.put("kind", "model");
    meta.put("loss", model.spec().loss().name());
    meta.put("batch", Integer.toString(batch));
    slopes.forEach((layer, s) -> meta.put("slope." + layer, Double.toString(s)));
    int rows = data.rows();
    float[] y;
    int yCols;
    if (data.isClassification()) {
      yCols = 1;
      y = new float[rows];
      for (int i = 0; i < rows; i++) {
        y[i] = data.label(i);
      }
    } else {
      yCols = data.targetCols();
      y = data.targets();
    }
    float[] order = new float[EPOCHS * rows];
    for (int e = 0; e < EPOCHS; e++) {
      int[] perm = EpochOrder.permutation(SHUFFLE_SEED, e + 1, rows); // train() numbers epochs from 1
      for (int i = 0; i < rows; i++) {
        order[e * rows + i] = perm[i];
      }
    }
    SafeTensors.write(
        dir.resolve(name + ".data.safetensors"),
        meta,
        List.of(
            Tensor.of("x", data.features(), rows, data.cols()),
            Tensor.of("y", y, rows, yCols),
            Tensor.of("order", order, EPOCHS, rows)));
    MODELS.put(name, new ModelCase(model, data, batch, dropout));
  }

  static void optimizer(String name, OptimizerSpec spec) throws IOException {
    int size = 1001, steps = 12;
    SplittableRandom rng = new SplittableRandom(name.hashCode());
    float[] p0 = new float[size];
    float[][] grads = new float[steps][size];
    for (int i = 0; i < size; i++) {
      p0[i] = (float) (0.5 * rng.nextGaussian());
    }
    for (float[] g : grads) {
      for (int i = 0; i < size; i++) {
        // Magnitudes over four decades, and some exact zeros, so Adam's √v + eps regime varies.
        g[i] = i % 97 == 0 ? 0f : (float) (rng.nextGaussian() * Math.pow(10, -4 * rng.nextDouble()));
      }
    }
    float[] flat = new float[steps * size];
    for (int k = 0; k < steps; k++) {
      System.arraycopy(grads[k], 0, flat, k * size, size);
    }
    Map<String, String> meta = optimizerMeta(spec);
    meta.put("kind", "optimizer");
    SafeTensors.write(
        dir.resolve(name + ".data.safetensors"),
        meta,
        List.of(Tensor.of("p0", p0, size), Tensor.of("grads", flat, steps, size)));
    OPTIMIZERS.put(name, new OptimizerCase(spec, p0, grads));
  }

  /** Hyperparameters as the exact decimal of Kiln's float values, so torch uses the very same numbers. */
  static Map<String, String> optimizerMeta(OptimizerSpec o) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("optimizer", o.kind());
    meta.put("lr", Double.toString(o.learningRate()));
    meta.put("momentum", Double.toString(o.momentum()));
    meta.put("nesterov", Boolean.toString(o.nesterov()));
    meta.put("beta1", Double.toString(o.beta1()));
    meta.put("beta2", Double.toString(o.beta2()));
    meta.put("epsilon", Double.toString(o.epsilon()));
    meta.put("weight_decay", Double.toString(o.weightDecay()));
    return meta;
  }

  static Dataset standardized(Split split) {
    return Standardizer.fit(split.train()).transform(split.train());
  }

  /** y = sin(x0) + x1²/2 on [-2, 2]², the Regressor's kind of target. */
  static Dataset regression2(int rows) {
    SplittableRandom rng = new SplittableRandom(21);
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) rng.nextDouble(-2, 2);
      x[2 * i + 1] = (float) rng.nextDouble(-2, 2);
      y[i] = (float) (Math.sin(x[2 * i]) + 0.5 * x[2 * i + 1] * x[2 * i + 1]);
    }
    return Dataset.regression("regression2", x, rows, 2, y, 1);
  }

  /** Five Gaussian features, three targets in (-1, 1) for the TANH head. */
  static Dataset regression5(int rows) {
    SplittableRandom rng = new SplittableRandom(23);
    float[] x = new float[rows * 5];
    float[] y = new float[rows * 3];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < 5; j++) {
        x[5 * i + j] = (float) rng.nextGaussian();
      }
      float[] r = Arrays.copyOfRange(x, 5 * i, 5 * i + 5);
      y[3 * i] = (float) Math.tanh(r[0] * r[1]);
      y[3 * i + 1] = (float) (0.8 * Math.sin(r[2] + r[3]));
      y[3 * i + 2] = (float) (0.5 * Math.tanh(r[4] - r[0]));
    }
    return Dataset.regression("regression5", x, rows, 5, y, 3);
  }

  // ---------------------------------------------------------------- helpers

  static Path script() throws IOException {
    Path target = dir.resolve("torch_reference.py");
    try (InputStream in = PyTorchReferenceTest.class.getResourceAsStream("torch_reference.py")) {
      if (in == null) {
        throw new IllegalStateException("test resource dev/kiln/samples/torch_reference.py is missing");
      }
      Files.copy(in, target);
    }
    return target;
  }

  /** The first interpreter that can import torch, or null. */
  static String findPython() {
    List<String> candidates = new ArrayList<>();
    String configured = System.getProperty("kiln.python");
    if (configured != null && !configured.isBlank()) {
      candidates.add(configured);
    }
    candidates.add("/usr/bin/python3");
    candidates.add("python3");
    for (String candidate : candidates) {
      try {
        Process p =
            new ProcessBuilder(candidate, "-c", "import torch")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        } else if (p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // not installed under that name: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  static double maxAbsDiff(float[] a, int aOff, float[] b, int bOff, int n) {
    double max = 0;
    for (int i = 0; i < n; i++) {
      double d = Math.abs((double) a[aOff + i] - b[bOff + i]);
      if (Double.isNaN(d)) {
        return Double.NaN; // fails every comparison against a tolerance
      }
      max = Math.max(max, d);
    }
    return max;
  }

  static double relErr(double actual, double expected) {
    return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  }
}
