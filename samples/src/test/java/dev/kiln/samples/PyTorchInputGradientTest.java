package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.dsl.Activate;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Flatten;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.MaxPool2D;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Padding;
import dev.kiln.runtime.inspect.Fgsm;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input gradients of generated models against torch autograd ({@code torch_input_gradients.py}, in
 * float64, the network rebuilt as a {@code torch.nn.Sequential} from Kiln's weights and put in
 * {@code eval()} mode): {@code x.grad} of the summed per-sample loss equals {@code lossGradient}, and
 * the vector-Jacobian product of the logits with a seed equals {@code logitGradient}, on a CNN with
 * batch normalization (randomized running statistics) and dropout and on two MLPs (softmax
 * cross-entropy with dropout, binary cross-entropy), at odd sizes. Tolerance: per case
 * ‖Δ‖ / ‖g‖ ≤ {@value #TOLERANCE} (float32 against float64), and the loss sums within
 * {@value #TOLERANCE} relative (measured: 0.7e-7 to 2.2e-7). FGSM and the fast gradient method
 * (L2) made from {@code lossGradient} equal torch's, computed in the script from {@code x.grad},
 * within {@value #FGSM_TOLERANCE}.
 */
class PyTorchInputGradientTest {
  static final double TOLERANCE = 1e-5;

  /** FGSM's ε, and how close Kiln's perturbed inputs must be to torch's (the issue asks 1e-6). */
  static final float EPSILON = 0.1f;

  static final double FGSM_TOLERANCE = 1e-6;

  @TempDir Path dir;

  /** Conv, BatchNorm (inference: running statistics), ReLU, max pooling, dropout, two dense layers. */
  @Network(inputShape = {2, 9, 7}, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 41)
  static class InputGradientCnn {
    @Conv2D(filters = 4, kernel = 3, padding = Padding.SAME) Layer conv;

    @BatchNorm Layer bn;

    @Activate(Activation.RELU) Layer relu;

    @MaxPool2D(size = 2) Layer pool;

    @Dropout(rate = 0.3) Layer drop;

    @Flatten Layer flat;

    @Dense(units = 5, activation = Activation.TANH) Layer hidden;

    @Dense(units = 3, activation = Activation.SOFTMAX) Layer out;
  }

  /** GELU, dropout, LEAKY_RELU without bias, SIGMOID, a softmax head. */
  @Network(inputs = 11, loss = Loss.SOFTMAX_CROSS_ENTROPY, seed = 42)
  static class InputGradientMlp {
    @Dense(units = 9, activation = Activation.GELU) Layer a;

    @Dropout(rate = 0.25) Layer drop;

    @Dense(units = 7, activation = Activation.LEAKY_RELU, negativeSlope = 0.2, useBias = false) Layer b;

    @Dense(units = 6, activation = Activation.SIGMOID) Layer c;

    @Dense(units = 4, activation = Activation.SOFTMAX) Layer out;
  }

  /** A binary classifier: sigmoid head with binary cross-entropy. */
  @Network(inputs = 11, loss = Loss.BINARY_CROSS_ENTROPY, seed = 43)
  static class InputGradientBinary {
    @Dense(units = 6, activation = Activation.TANH) Layer hidden;

    @Dropout(rate = 0.5) Layer drop;

    @Dense(units = 1, activation = Activation.SIGMOID) Layer out;
  }

  @Test
  void cnnWithBatchNormAndDropoutMatchesTorchAutograd() throws Exception {
    compare("cnn", new InputGradientCnnModel(), 5);
  }

  @Test
  void mlpsMatchTorchAutograd() throws Exception {
    compare("mlp", new InputGradientMlpModel(), 7);
    compare("binary", new InputGradientBinaryModel(), 6);
  }

  private void compare(String name, CompiledModel model, int rows) throws Exception {
    String python = PyTorchReferenceTest.findPython();
    Assumptions.assumeTrue(python != null, PyTorchReferenceTest.NO_TORCH);
    randomize(model);
    int in = model.inputs();
    int outs = model.outputs();
    SplittableRandom r = new SplittableRandom(name.hashCode());
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    int classes = outs == 1 ? 2 : outs;
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = r.nextInt(classes);
    }
    float[] seed = new float[rows * outs];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = (float) (r.nextDouble() * 2 - 1);
    }
    float[] lossGradient = new float[rows * in];
    double loss = model.lossGradient(x, labels, rows, lossGradient);
    float[] logitGradient = new float[rows * in];
    model.logitGradient(x, rows, seed, logitGradient);

    Files.writeString(dir.resolve(name + ".json"), json(model, rows));
    writeFloats(dir.resolve(name + ".params"), model.parameters());
    writeFloats(dir.resolve(name + ".x"), x);
    writeFloats(dir.resolve(name + ".seed"), seed);
    ByteBuffer b = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
    for (int label : labels) {
      b.putInt(label);
    }
    Files.write(dir.resolve(name + ".labels"), b.array());
    Path script = dir.resolve("torch_input_gradients.py");
    if (!Files.exists(script)) {
      PyTorchGraphReferenceTest.copyResource("torch_input_gradients.py", script);
    }
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(python, script.toString(), dir.toString(), name)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("torch_input_gradients.py did not finish in 120 s:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), () -> "torch_input_gradients.py failed:\n" + PyTorchReferenceTest.readQuietly(log));

    ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(name + ".ref"))).order(ByteOrder.LITTLE_ENDIAN);
    double[] torchLossGradient = new double[rows * in];
    double[] torchLogitGradient = new double[rows * in];
    for (int i = 0; i < torchLossGradient.length; i++) {
      torchLossGradient[i] = ref.getDouble();
    }
    for (int i = 0; i < torchLogitGradient.length; i++) {
      torchLogitGradient[i] = ref.getDouble();
    }
    double torchLoss = ref.getDouble();
    double[] torchFgsm = new double[rows * in];
    double[] torchFgm = new double[rows * in];
    for (int i = 0; i < torchFgsm.length; i++) {
      torchFgsm[i] = ref.getDouble();
    }
    for (int i = 0; i < torchFgm.length; i++) {
      torchFgm[i] = ref.getDouble();
    }
    assertFgsmMatches(name, rows, Fgsm.linf(EPSILON).range(-1, 1).perturb(model, x, labels, rows), torchFgsm,
        torchLossGradient, true);
    assertFgsmMatches(name, rows, Fgsm.l2(EPSILON).range(-1, 1).perturb(model, x, labels, rows), torchFgm,
        torchLossGradient, false);
    double lossError = relative(lossGradient, torchLossGradient);
    double logitError = relative(logitGradient, torchLogitGradient);
    System.out.printf("PyTorchInputGradientTest %s: loss gradient %.2e, logit gradient %.2e, loss %.2e%n", name,
        lossError, logitError, Math.abs(loss - torchLoss) / torchLoss);
    assertTrue(lossError <= TOLERANCE, name + ": lossGradient differs from x.grad by " + lossError);
    assertTrue(logitError <= TOLERANCE, name + ": logitGradient differs from torch's VJP by " + logitError);
    assertEquals(torchLoss, loss, TOLERANCE * torchLoss, name + ": the summed per-sample loss");
  }

  /**
   * Kiln's FGSM equals torch's within {@value #FGSM_TOLERANCE} in every feature, except where the
   * sign of the gradient is not determined in float32: components below 1e-6 of the row's largest
   * (float64 against float32 rounding may give either sign or zero there); at most 1 % of them.
   */
  private static void assertFgsmMatches(
      String name, int rows, float[] kiln, double[] torch, double[] gradient, boolean sign) {
    int width = kiln.length / rows;
    int undetermined = 0;
    double worst = 0;
    for (int i = 0; i < kiln.length; i++) {
      double d = Math.abs(kiln[i] - torch[i]);
      if (d <= FGSM_TOLERANCE) {
        worst = Math.max(worst, d);
        continue;
      }
      int row = i / width;
      double largest = 0;
      for (int k = row * width; k < (row + 1) * width; k++) {
        largest = Math.max(largest, Math.abs(gradient[k]));
      }
      assertTrue(sign && Math.abs(gradient[i]) < 1e-6 * largest,
          name + (sign ? " FGSM" : " FGM") + ": feature " + i + " is " + kiln[i] + ", torch " + torch[i]
              + " (gradient " + gradient[i] + ")");
      undetermined++;
    }
    assertTrue(undetermined <= kiln.length / 100, name + ": " + undetermined + " undetermined signs");
    System.out.printf("PyTorchInputGradientTest %s %s: max |Δ| %.2e over %d features (%d undetermined signs)%n",
        name, sign ? "FGSM" : "FGM", worst, kiln.length, undetermined);
  }

  /** Biases, BatchNorm's affine parameters and running statistics away from their initial values. */
  private static void randomize(CompiledModel model) {
    SplittableRandom r = new SplittableRandom(5);
    float[] p = model.parameters();
    for (ParamSpec s : model.spec().parameters()) {
      for (int i = s.offset(); i < s.offset() + s.length(); i++) {
        if (s.name().endsWith("running_var") || s.name().endsWith("gamma")) {
          p[i] = (float) (0.5 + r.nextDouble());
        } else if (s.name().endsWith("running_mean") || s.name().endsWith("beta") || s.name().endsWith("bias")) {
          p[i] = (float) (r.nextDouble() - 0.5);
        }
      }
    }
    model.setParameters(p);
  }

  private static double relative(float[] kiln, double[] torch) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < kiln.length; i++) {
      diff += (kiln[i] - torch[i]) * (kiln[i] - torch[i]);
      norm += torch[i] * torch[i];
    }
    assertTrue(norm > 0, "torch's gradient is zero");
    return Math.sqrt(diff / norm);
  }

  private static void writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    Files.write(file, b.array());
  }

  /** The layers (kind, attributes, parameter tensors) as the script reads them. */
  private static String json(CompiledModel model, int rows) {
    List<String> layers = new ArrayList<>();
    for (LayerSpec l : model.spec().layers()) {
      if (l.type().equals("Input")) {
        continue;
      }
      String attributes = l.attributes().entrySet().stream()
          .map(e -> "\"" + e.getKey() + "\": " + value(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
      String params = l.params().stream()
          .map(p -> "{\"key\": \"" + p.name().substring(p.name().lastIndexOf('.') + 1) + "\", \"offset\": " + p.offset()
              + ", \"shape\": " + java.util.Arrays.toString(p.shape()) + "}")
          .collect(Collectors.joining(", ", "[", "]"));
      layers.add("{\"kind\": \"" + l.type() + "\", \"attributes\": " + attributes + ", \"params\": " + params + "}");
    }
    return "{\"rows\": " + rows + ", \"inputShape\": " + java.util.Arrays.toString(model.spec().inputShape())
        + ", \"loss\": \"" + model.loss() + "\", \"epsilon\": " + EPSILON + ", \"layers\": [" + String.join(", ", layers) + "]}";
  }

  private static String value(Object v) {
    return switch (v) {
      case String s -> "\"" + s + "\"";
      case List<?> l -> l.toString();
      case Map<?, ?> m -> throw new IllegalArgumentException("nested attributes " + m);
      default -> String.valueOf(v);
    };
  }
}
