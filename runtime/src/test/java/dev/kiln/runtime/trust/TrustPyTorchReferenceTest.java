package dev.kiln.runtime.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.kernels.SpatialPyTorchReferenceTest;
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
 * Temperature scaling against PyTorch's LBFGS on the same NLL (log T, float64, strong Wolfe line
 * search), and ECE, NLL and Brier score against a numpy computation, on fixed logits and labels of
 * odd sizes. Skipped when no interpreter can import torch.
 */
class TrustPyTorchReferenceTest {
  private static final String SCRIPT = """
      import sys, json
      import numpy as np
      import torch
      import torch.nn.functional as F
      cases = json.load(open(sys.argv[1]))
      out = {}
      for name, c in cases.items():
          n, w = len(c['labels']), c['width']
          z = np.array(c['logits'], dtype=np.float32).astype(np.float64).reshape(n, w)
          y = np.array(c['labels'])
          zt, yt = torch.tensor(z), torch.tensor(y)
          def nll(t):
              if w == 1:
                  return F.binary_cross_entropy_with_logits(zt[:, 0] / t, yt.double())
              return F.cross_entropy(zt / t, yt)
          log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
          opt = torch.optim.LBFGS([log_t], lr=1, max_iter=1000, tolerance_grad=1e-12,
                                  tolerance_change=1e-15, line_search_fn='strong_wolfe')
          def closure():
              opt.zero_grad()
              loss = nll(torch.exp(log_t))
              loss.backward()
              return loss
          opt.step(closure)
          r = {'T': float(torch.exp(log_t)), 'nll': float(nll(torch.tensor(1.0, dtype=torch.float64)))}
          if w == 1:
              p1 = 1 / (1 + np.exp(-z[:, 0]))
              r['brier'] = float(np.mean((p1 - y) ** 2))
              q = p1.astype(np.float32).astype(np.float64)
              pred = (q >= 0.5).astype(int)
              conf = np.maximum(q, 1 - q)
          else:
              p = np.exp(z - z.max(1, keepdims=True))
              p /= p.sum(1, keepdims=True)
              r['brier'] = float(np.mean(((p - np.eye(w)[y]) ** 2).sum(1)))
              q = p.astype(np.float32).astype(np.float64)
              pred = q.argmax(1)
              conf = q.max(1)
          bins = 15
          b = np.minimum((conf * bins).astype(int), bins - 1)
          ece = 0.0
          for k in range(bins):
              m = b == k
              if m.any():
                  ece += m.sum() / n * abs((pred[m] == y[m]).mean() - conf[m].mean())
          r['ece'] = float(ece)
          out[name] = r
      json.dump(out, open(sys.argv[2], 'w'))
      """;

  private static final Map<String, TemperatureScalingTest.Case> CASES = new LinkedHashMap<>();
  private static final Map<String, Map<String, Double>> TORCH = new LinkedHashMap<>();

  @TempDir static Path dir;

  @BeforeAll
  static void runPyTorch() throws Exception {
    CASES.put("overconfident7", TemperatureScalingTest.sample(301, 7, 3.0, 21));
    CASES.put("underconfident5", TemperatureScalingTest.sample(203, 5, 0.45, 22));
    CASES.put("binary", TemperatureScalingTest.sample(151, 1, 2.2, 23));
    CASES.put("tenClasses", TemperatureScalingTest.sample(997, 10, 1.7, 24));
    String python = SpatialPyTorchReferenceTest.findPython();
    Assumptions.assumeTrue(python != null, SpatialPyTorchReferenceTest.NO_TORCH);
    StringBuilder json = new StringBuilder("{");
    for (Map.Entry<String, TemperatureScalingTest.Case> e : CASES.entrySet()) {
      TemperatureScalingTest.Case c = e.getValue();
      json.append(json.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":{\"width\":")
          .append(c.width()).append(",\"logits\":[");
      for (int i = 0; i < c.logits().length; i++) {
        json.append(i > 0 ? "," : "").append(Float.toString(c.logits()[i]));
      }
      json.append("],\"labels\":[");
      for (int i = 0; i < c.labels().length; i++) {
        json.append(i > 0 ? "," : "").append(c.labels()[i]);
      }
      json.append("]}");
    }
    json.append('}');
    Path input = dir.resolve("cases.json");
    Path output = dir.resolve("torch.json");
    Path script = dir.resolve("fit.py");
    Files.writeString(input, json, StandardCharsets.UTF_8);
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Path log = dir.resolve("python.log");
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), output.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("the PyTorch reference failed:\n" + Files.readString(log));
    }
    // {"name": {"T": .., "nll": .., "brier": .., "ece": ..}, ...}: flat enough to read by hand.
    String text = Files.readString(output).replaceAll("\\s", "");
    for (String name : CASES.keySet()) {
      int at = text.indexOf("\"" + name + "\":{");
      String body = text.substring(text.indexOf('{', at) + 1, text.indexOf('}', at));
      Map<String, Double> values = new LinkedHashMap<>();
      for (String pair : body.split(",")) {
        String[] kv = pair.split(":");
        values.put(kv[0].replace("\"", ""), Double.parseDouble(kv[1]));
      }
      TORCH.put(name, values);
    }
  }

  @Test
  void temperatureEqualsTheLbfgsFit() {
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, TemperatureScalingTest.Case> e : CASES.entrySet()) {
      TemperatureScalingTest.Case c = e.getValue();
      double kiln = TemperatureScaling.fit(c.logits(), c.width(), c.labels(), c.head()).temperature();
      double torch = TORCH.get(e.getKey()).get("T");
      lines.add(e.getKey() + ": Kiln " + kiln + ", PyTorch " + torch);
      assertEquals(torch, kiln, 1e-3, e.getKey());
    }
    System.out.println("temperature scaling against PyTorch LBFGS: " + lines);
  }

  @Test
  void metricsEqualNumpy() {
    for (Map.Entry<String, TemperatureScalingTest.Case> e : CASES.entrySet()) {
      TemperatureScalingTest.Case c = e.getValue();
      CalibrationMetrics m = CalibrationMetrics.of(c.logits(), c.width(), c.labels(), c.head(), 1, 15);
      Map<String, Double> ref = TORCH.get(e.getKey());
      assertEquals(ref.get("nll"), m.negativeLogLikelihood(), 1e-9, e.getKey() + " NLL");
      assertEquals(ref.get("brier"), m.brier(), 1e-6, e.getKey() + " Brier");
      assertEquals(ref.get("ece"), m.expectedCalibrationError(), 1e-6, e.getKey() + " ECE");
    }
  }
}
