package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The convolution, pooling and batch-norm kernels (vector path) against PyTorch in float64 fed the very
 * same float inputs: {@code F.conv2d} (stride, dilation, groups; asymmetric padding through
 * {@code F.pad}), {@code F.max_pool2d}, {@code F.avg_pool2d}, a mean over H·W and {@code F.batch_norm}
 * in training (with running statistics) and evaluation mode; every output and every gradient of
 * {@code L = Σ r·y} for a random r. One Python run for all cases.
 *
 * <p>Skipped when no interpreter can {@code import torch} (tried: {@code -Dkiln.python},
 * {@code /usr/bin/python3}, {@code python3}; on Debian {@code apt-get install python3-torch}).
 */
public class SpatialPyTorchReferenceTest {
  static final double TOLERANCE = 1e-5;
  public static final String NO_TORCH = "no Python interpreter with torch (tried -Dkiln.python, /usr/bin/python3, python3);"
      + " on Debian: apt-get install python3-torch";

  private static final String SCRIPT = """
      import json, math, sys
      import torch
      import torch.nn.functional as F
      cases = json.load(open(sys.argv[1]))
      out = open(sys.argv[2], 'w')
      def t(v, shape, grad=False):
          x = torch.tensor(v, dtype=torch.float64).reshape(shape)
          return x.requires_grad_(grad)
      def emit(case, name, v):
          out.write(case + ' ' + name + ' ' + ' '.join(repr(e) for e in v.detach().reshape(-1).tolist()) + '\\n')
      for c in cases:
          name, op, n = c['name'], c['op'], c['n']
          if op == 'conv':
              inC, inH, inW, outC, kH, kW, sH, sW, pT, pL, pB, pR, dH, dW, groups = c['g']
              x = t(c['x'], (n, inC, inH, inW), True)
              w = t(c['w'], (outC, inC // groups, kH, kW), True)
              b = t(c['b'], (outC,), True)
              y = F.conv2d(F.pad(x, (pL, pR, pT, pB)), w, b, stride=(sH, sW), dilation=(dH, dW), groups=groups)
              (y * t(c['r'], y.shape)).sum().backward()
              for k, v in (('y', y), ('dx', x.grad), ('dw', w.grad), ('db', b.grad)):
                  emit(name, k, v)
          elif op in ('maxpool', 'avgpool'):
              C, inH, inW, kH, kW, sH, sW, pT, pL, pB, pR = c['g']
              x = t(c['x'], (n, C, inH, inW), True)
              if op == 'maxpool':
                  y = F.max_pool2d(F.pad(x, (pL, pR, pT, pB), value=-math.inf), (kH, kW), (sH, sW))
              else:
                  y = F.avg_pool2d(F.pad(x, (pL, pR, pT, pB)), (kH, kW), (sH, sW))
              (y * t(c['r'], y.shape)).sum().backward()
              emit(name, 'y', y)
              emit(name, 'dx', x.grad)
          elif op == 'globalavg':
              C, hw = c['g']
              x = t(c['x'], (n, C, hw), True)
              y = x.mean(dim=2)
              (y * t(c['r'], y.shape)).sum().backward()
              emit(name, 'y', y)
              emit(name, 'dx', x.grad)
          else:
              C, hw = c['g']
              x = t(c['x'], (n, C, hw), True)
              gamma, beta = t(c['gamma'], (C,), True), t(c['beta'], (C,), True)
              rm, rv = t(c['rm'], (C,)), t(c['rv'], (C,))
              y = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=c['momentum'], eps=c['eps'])
              (y * t(c['r'], y.shape)).sum().backward()
              for k, v in (('y', y), ('dx', x.grad), ('dgamma', gamma.grad), ('dbeta', beta.grad),
                           ('runMean', rm), ('runVar', rv)):
                  emit(name, k, v)
              emit(name, 'yEval', F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=c['eps']))
      out.close()
      """;

  /** Kiln's results per case, and the inputs as JSON for the Python side. */
  static final Map<String, Map<String, float[]>> KILN = new LinkedHashMap<>();
  static final List<String> JSON = new ArrayList<>();
  static Map<String, Map<String, double[]>> torch;
  static String python;

  @TempDir
  static Path dir;

  @BeforeAll
  static void runPyTorch() throws Exception {
    python = findPython();
    if (python == null) {
      return;
    }
    Random rnd = new Random(31);
    conv("conv-groups2-stride2-dilation2-asympad", new Conv2dGeometry(4, 9, 10, 6, 3, 3, 2, 2, 1, 2, 0, 1, 2, 2, 2), 3, rnd);
    conv("conv-depthwise-5x5", new Conv2dGeometry(3, 8, 7, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 3), 1, rnd);
    conv("conv-1x1", new Conv2dGeometry(5, 4, 6, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1), 3, rnd);
    conv("conv-fashion1", new Conv2dGeometry(1, 28, 28, 8, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1), 2, rnd);
    pool("maxpool-2x2", true, new Pool2dGeometry(3, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0), 3, rnd);
    pool("maxpool-3x3-stride2-asympad", true, new Pool2dGeometry(2, 11, 40, 3, 3, 2, 2, 1, 0, 0, 1), 1, rnd);
    pool("avgpool-3x3-stride1-pad1", false, new Pool2dGeometry(3, 9, 37, 3, 3, 1, 1, 1, 1, 1, 1), 3, rnd);
    pool("avgpool-2x3-stride2-asympad", false, new Pool2dGeometry(2, 10, 35, 2, 3, 2, 2, 1, 1, 0, 0), 1, rnd);
    globalAvg("globalavg", 3, 5, 49, rnd);
    batchNorm("batchnorm-conv", 4, 3, 37, rnd);
    batchNorm("batchnorm-dense", 9, 5, 1, rnd);

    Path input = dir.resolve("cases.json"), output = dir.resolve("torch.txt"), script = dir.resolve("spatial.py");
    Files.writeString(input, "[" + String.join(",\n", JSON) + "]", StandardCharsets.UTF_8);
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Path log = dir.resolve("spatial.log");
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), output.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("spatial.py did not finish in 120 s:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), () -> "spatial.py failed:\n" + readQuietly(log));
    torch = new LinkedHashMap<>();
    for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
      String[] parts = line.trim().split(" ");
      double[] values = new double[parts.length - 2];
      for (int i = 0; i < values.length; i++) {
        values[i] = Double.parseDouble(parts[i + 2]);
      }
      torch.computeIfAbsent(parts[0], k -> new LinkedHashMap<>()).put(parts[1], values);
    }
  }

  @Test
  void everyOutputAndGradientMatchesPyTorch() {
    Assumptions.assumeTrue(python != null, NO_TORCH);
    for (var kase : KILN.entrySet()) {
      Map<String, double[]> expected = torch.get(kase.getKey());
      assertNotNull(expected, kase.getKey() + ": no PyTorch results");
      for (var result : kase.getValue().entrySet()) {
        double[] ref = expected.get(result.getKey());
        String what = kase.getKey() + " " + result.getKey();
        assertNotNull(ref, what + ": no PyTorch result");
        assertEquals(ref.length, result.getValue().length, what + " size");
        Reference.assertClose(ref, result.getValue(), 0, TOLERANCE, what + " vs PyTorch");
      }
    }
  }

  private static void conv(String name, Conv2dGeometry g, int n, Random rnd) {
    float[] x = Reference.random(rnd, n * g.inSize()), w = Reference.random(rnd, g.weightSize());
    float[] b = Reference.random(rnd, g.outC()), r = Reference.random(rnd, n * g.outSize());
    float[] y = new float[n * g.outSize()], dx = new float[n * g.inSize()];
    float[] dw = new float[g.weightSize()], db = new float[g.outC()];
    ConvKernels.forward(g, n, x, 0, w, 0, b, 0, Activation.LINEAR, 0f, y, 0, null, 0);
    ConvKernels.backwardInput(g, n, r, 0, w, 0, dx, 0, false);
    ConvKernels.backwardParams(g, n, x, 0, r, 0, dw, 0, db, 0);
    KILN.put(name, Map.of("y", y, "dx", dx, "dw", dw, "db", db));
    int[] geo = {g.inC(), g.inH(), g.inW(), g.outC(), g.kH(), g.kW(), g.strideH(), g.strideW(), g.padTop(),
        g.padLeft(), g.padBottom(), g.padRight(), g.dilationH(), g.dilationW(), g.groups()};
    JSON.add(String.format("{\"name\":\"%s\",\"op\":\"conv\",\"n\":%d,\"g\":%s,\"x\":%s,\"w\":%s,\"b\":%s,\"r\":%s}",
        name, n, Arrays.toString(geo), json(x), json(w), json(b), json(r)));
  }

  private static void pool(String name, boolean max, Pool2dGeometry g, int n, Random rnd) {
    float[] x = Reference.random(rnd, n * g.inSize()), r = Reference.random(rnd, n * g.outSize());
    float[] y = new float[n * g.outSize()], dx = new float[n * g.inSize()];
    if (max) {
      int[] arg = new int[n * g.outSize()];
      PoolKernels.maxForward(g, n, x, 0, y, 0, arg, 0);
      PoolKernels.maxBackward(g, n, r, 0, arg, 0, dx, 0, false);
    } else {
      PoolKernels.avgForward(g, n, x, 0, y, 0);
      PoolKernels.avgBackward(g, n, r, 0, dx, 0, false);
    }
    KILN.put(name, Map.of("y", y, "dx", dx));
    int[] geo = {g.c(), g.inH(), g.inW(), g.kH(), g.kW(), g.strideH(), g.strideW(), g.padTop(), g.padLeft(),
        g.padBottom(), g.padRight()};
    JSON.add(String.format("{\"name\":\"%s\",\"op\":\"%s\",\"n\":%d,\"g\":%s,\"x\":%s,\"r\":%s}",
        name, max ? "maxpool" : "avgpool", n, Arrays.toString(geo), json(x), json(r)));
  }

  private static void globalAvg(String name, int n, int c, int hw, Random rnd) {
    float[] x = Reference.random(rnd, n * c * hw), r = Reference.random(rnd, n * c);
    float[] y = new float[n * c], dx = new float[n * c * hw];
    PoolKernels.globalAvgForward(n, c, hw, x, 0, y, 0);
    PoolKernels.globalAvgBackward(n, c, hw, r, 0, dx, 0, false);
    KILN.put(name, Map.of("y", y, "dx", dx));
    JSON.add(String.format("{\"name\":\"%s\",\"op\":\"globalavg\",\"n\":%d,\"g\":[%d,%d],\"x\":%s,\"r\":%s}",
        name, n, c, hw, json(x), json(r)));
  }

  private static void batchNorm(String name, int n, int c, int hw, Random rnd) {
    int size = n * c * hw;
    float[] x = Reference.random(rnd, size), r = Reference.random(rnd, size);
    for (int i = 0; i < size; i++) {
      x[i] = 2f + 3f * x[i];
    }
    float[] gamma = Reference.random(rnd, c), beta = Reference.random(rnd, c);
    float[] rm = Reference.random(rnd, c), rv = new float[c];
    for (int i = 0; i < c; i++) {
      rv[i] = 0.5f + rnd.nextFloat();
    }
    String inputs = String.format("\"gamma\":%s,\"beta\":%s,\"rm\":%s,\"rv\":%s", json(gamma), json(beta), json(rm), json(rv));
    float eps = 1e-5f, momentum = 0.1f;
    float[] sm = new float[c], si = new float[c], y = new float[size], dx = new float[size], ye = new float[size];
    float[] dg = new float[c], db = new float[c];
    BatchNormKernels.trainForward(n, c, hw, x, 0, gamma, 0, beta, 0, eps, momentum, rm, 0, rv, 0, sm, 0, si, 0, y, 0);
    BatchNormKernels.backward(n, c, hw, x, 0, r, 0, gamma, 0, sm, 0, si, 0, dx, 0, false, dg, 0, db, 0);
    BatchNormKernels.evalForward(n, c, hw, x, 0, gamma, 0, beta, 0, eps, rm, 0, rv, 0, ye, 0);
    KILN.put(name, Map.of("y", y, "dx", dx, "dgamma", dg, "dbeta", db, "runMean", rm, "runVar", rv, "yEval", ye));
    // eps and momentum as the exact decimals of Kiln's floats, so torch uses the very same numbers.
    JSON.add(String.format("{\"name\":\"%s\",\"op\":\"batchnorm\",\"n\":%d,\"g\":[%d,%d],\"x\":%s,\"r\":%s,%s,"
        + "\"eps\":%s,\"momentum\":%s}", name, n, c, hw, json(x), json(r), inputs,
        new java.math.BigDecimal(eps).toPlainString(), new java.math.BigDecimal(momentum).toPlainString()));
  }

  private static String json(float[] a) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < a.length; i++) {
      s.append(i == 0 ? "" : ",").append(a[i]);
    }
    return s.append(']').toString();
  }

  /** The first interpreter that can import torch, or null (as samples' PyTorchReferenceTest). */
  public static String findPython() {
    List<String> candidates = new ArrayList<>();
    String configured = System.getProperty("kiln.python");
    if (configured != null && !configured.isBlank()) {
      candidates.add(configured);
    }
    candidates.add("/usr/bin/python3");
    candidates.add("python3");
    for (String candidate : candidates) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
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

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
