package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.samples.BreastCancerModel;
import dev.kiln.samples.DigitsModel;
import dev.kiln.samples.SampleData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights files Kiln saves from trained networks, read by an independent reader: {@code
 * kiln_safetensors.py} (Python standard library only, written from the format description). It
 * prints metadata, names, dtypes, shapes and every value, and runs the network from the file with
 * the documented layout ({@code kernel [in, out]} row-major, {@code y = act(x·kernel + bias)}); the
 * test compares all of it with the model. Skipped when {@code python3} is not installed.
 */
class SafeTensorsInteropTest {
  private static final String SCRIPT = "kiln_safetensors.py";

  @TempDir Path dir;

  @BeforeAll
  static void requirePython() {
    boolean available;
    try {
      Process p = new ProcessBuilder(python(), "-c", "import array, hashlib, json, math, struct").redirectErrorStream(true).start();
      available = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      available = false;
    }
    Assumptions.assumeTrue(available, "python3 is not available");
  }

  @Test
  void digitsWeightsReadAndRunInPython() throws Exception {
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    DigitsModel model = new DigitsModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(5).quiet());
    check(model, scale.transform(split.test()).subset(0, 60), "softmax");
  }

  @Test
  void breastCancerWeightsWithDropoutReadAndRunInPython() throws Exception {
    Split split = SampleData.breastCancer().split(3, 0.7, 0.1);
    Standardizer scale = Standardizer.fit(split.train());
    BreastCancerModel model = new BreastCancerModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(5).quiet());
    check(model, scale.transform(split.test()), "sigmoid");
  }

  @Test
  void leakyReluGeluWeightsReadAndRunInPython() throws Exception {
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    LeakyGeluDigitsModel model = new LeakyGeluDigitsModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(3).quiet());
    check(model, scale.transform(split.test()).subset(0, 60), "softmax");
  }

  @Test
  void weightsWithoutBiasReadAndRunInPython() throws Exception {
    Split split = SampleData.breastCancer().split(3, 0.7, 0.1);
    Standardizer scale = Standardizer.fit(split.train());
    SigmoidTanhBinaryModel model = new SigmoidTanhBinaryModel();
    model.train(scale.transform(split.train()), TrainOptions.epochs(5).quiet());
    check(model, scale.transform(split.test()), "sigmoid");
  }

  @Test
  void regressionWeightsReadAndRunInPython() throws Exception {
    // An untrained regressor still has distinct, seeded weights: layout and the TANH output are what count.
    TanhHeadRegressorModel model = new TanhHeadRegressorModel(5);
    Dataset raw = SampleData.breastCancer();
    Dataset all = Standardizer.fit(raw).transform(raw);
    float[] x = new float[40 * 28];
    for (int r = 0; r < 40; r++) {
      System.arraycopy(all.row(r), 2, x, r * 28, 28);
    }
    check(model, Dataset.regression("rows", x, 40, 28, new float[40 * 2], 2), "none");
  }

  /**
   * Saves {@code model}, reads the file in Python and checks metadata, tensor names/dtypes/shapes,
   * every value bit for bit, and Python's forward pass on {@code data} against {@code predict}.
   */
  private void check(CompiledModel model, Dataset data, String head) throws Exception {
    Path weights = dir.resolve(model.spec().network() + ".safetensors");
    model.save(weights);
    Path inputs = dir.resolve("inputs.txt");
    StringBuilder rows = new StringBuilder();
    for (int r = 0; r < data.rows(); r++) {
      float[] row = data.row(r);
      for (int j = 0; j < row.length; j++) {
        rows.append(j == 0 ? "" : " ").append(row[j]);
      }
      rows.append('\n');
    }
    Files.writeString(inputs, rows);

    List<String> lines = runPython(weights.toString(), "--head", head, "--inputs", inputs.toString());
    Map<String, String> meta = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    Map<String, String[]> tensorLines = new LinkedHashMap<>();
    Map<String, String[]> valueLines = new LinkedHashMap<>();
    List<float[]> outputs = new ArrayList<>();
    String sha = null;
    for (String line : lines) {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "meta" -> meta.put(f[1], line.substring(("meta " + f[1] + " ").length()));
        case "sha256" -> sha = f[1];
        case "tensor" -> {
          names.add(f[1]);
          tensorLines.put(f[1], f);
        }
        case "values" -> valueLines.put(f[1], f);
        case "output" -> {
          assertEquals(outputs.size(), Integer.parseInt(f[1]));
          float[] y = new float[f.length - 2];
          for (int j = 0; j < y.length; j++) {
            y[j] = (float) Double.parseDouble(f[j + 2]);
          }
          outputs.add(y);
        }
        default -> throw new AssertionError("unexpected line from " + SCRIPT + ": " + line);
      }
    }

    String net = model.spec().network();
    assertEquals(
        Map.of(
            "format", "\"pt\"",
            "kiln.network", "\"" + net + "\"",
            "kiln.architecture", "\"" + model.spec().architecture() + "\"",
            "kiln.architecture_sha256", "\"" + model.spec().architectureHash() + "\""),
        meta);
    assertEquals(model.spec().architectureHash(), sha, "the hash is SHA-256 of the architecture string's UTF-8");

    List<ParamSpec> params = model.spec().parameters();
    assertEquals(params.stream().map(ParamSpec::name).toList(), names, "tensor names, in arena order");
    float[] arena = model.parameters();
    for (ParamSpec p : params) {
      String[] t = tensorLines.get(p.name());
      assertEquals("F32", t[2], p.name());
      String shape = String.join(",", java.util.Arrays.stream(p.shape()).mapToObj(Integer::toString).toList());
      assertEquals(shape, t[3], p.name() + " shape");
      assertEquals(p.length(), Integer.parseInt(t[4]), p.name() + " count");
      double sum = 0;
      for (int k = 0; k < p.length(); k++) {
        sum += arena[p.offset() + k];
      }
      assertEquals(sum, Double.parseDouble(t[5]), 1e-9 * p.length(), p.name() + " checksum");
      String[] v = valueLines.get(p.name());
      assertEquals(p.length() + 2, v.length, p.name() + " values");
      for (int k = 0; k < p.length(); k++) {
        float expected = arena[p.offset() + k];
        // repr of a float32 widened to double parses back to exactly that float.
        float actual = (float) Double.parseDouble(v[k + 2]);
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) {
          throw new AssertionError(p.name() + "[" + k + "]: Kiln " + expected + ", Python " + v[k + 2]);
        }
      }
    }

    assertEquals(data.rows(), outputs.size(), "one output row per input row");
    float[] kiln = new float[data.rows() * model.spec().outputs()];
    model.predict(data.features(), data.rows(), kiln);
    float[] python = new float[kiln.length];
    for (int r = 0; r < outputs.size(); r++) {
      assertEquals(model.spec().outputs(), outputs.get(r).length, "outputs of row " + r);
      System.arraycopy(outputs.get(r), 0, python, r * model.spec().outputs(), model.spec().outputs());
    }
    OnnxExportTest.assertClose(kiln, python, net + ": Python forward pass from the saved weights");
  }

  private List<String> runPython(String... args) throws Exception {
    Path script = dir.resolve(SCRIPT);
    try (InputStream in = SafeTensorsInteropTest.class.getResourceAsStream(SCRIPT)) {
      assertTrue(in != null, SCRIPT + " is missing from the test resources");
      Files.write(script, in.readAllBytes());
    }
    List<String> command = new ArrayList<>(List.of(python(), script.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(SCRIPT + " timed out");
    }
    assertEquals(0, p.exitValue(), () -> SCRIPT + " failed:\n" + out);
    return out.lines().toList();
  }

  /** /usr/bin/python3 where it exists (Debian), else python3 from the PATH. */
  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }
}
