package dev.kiln.runtime.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.optim.GradientClippingTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FGSM (L∞ and L2) on the analytic tanh MLP against PyTorch with the same weights: torch.autograd
 * computes the input gradient of the cross-entropy, the perturbed inputs must agree within 1e-6.
 */
class FgsmPyTorchTest {
  @TempDir Path dir;

  private static final String SCRIPT = """
      import sys, torch
      lines = open(sys.argv[1]).read().split('\\n')
      nums = lambda i: [float(v) for v in lines[i].split()]
      inp, hid, out, rows = [int(v) for v in lines[0].split()]
      eps = float(lines[1])
      w1 = torch.tensor(nums(2), dtype=torch.float64).reshape(inp, hid)
      b1 = torch.tensor(nums(3), dtype=torch.float64)
      w2 = torch.tensor(nums(4), dtype=torch.float64).reshape(hid, out)
      b2 = torch.tensor(nums(5), dtype=torch.float64)
      x32 = torch.tensor(nums(6), dtype=torch.float32).reshape(rows, inp)
      y = torch.tensor([int(v) for v in lines[7].split()])
      x = x32.double().requires_grad_(True)
      z = torch.tanh(x @ w1 + b1) @ w2 + b2
      torch.nn.functional.cross_entropy(z, y, reduction='sum').backward()
      g = x.grad
      linf = torch.clamp(x32 + torch.tensor(eps, dtype=torch.float32) * g.sign().float(), 0, 1)
      l2 = x32.double() + eps * g / g.norm(dim=1, keepdim=True)
      with open(sys.argv[2], 'w') as f:
          f.write(' '.join(repr(v) for v in linf.flatten().tolist()) + '\\n')
          f.write(' '.join(repr(v) for v in l2.flatten().tolist()) + '\\n')
      """;

  @Test
  void fgsmMatchesPyTorch() throws Exception {
    String python = GradientClippingTest.findPython();
    Assumptions.assumeTrue(python != null, "no Python interpreter with torch");
    int in = 11;
    int hidden = 7;
    int classes = 5;
    int rows = 9;
    TanhMlp model = new TanhMlp(in, hidden, classes, 123);
    SplittableRandom r = new SplittableRandom(4);
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = r.nextInt(classes);
    }
    float eps = 0.07f;
    StringBuilder s = new StringBuilder();
    s.append(in).append(' ').append(hidden).append(' ').append(classes).append(' ').append(rows).append('\n');
    s.append(eps).append('\n');
    for (double[] a : new double[][] {model.w1, model.b1, model.w2, model.b2}) {
      for (double v : a) {
        s.append(v).append(' ');
      }
      s.append('\n');
    }
    for (float v : x) {
      s.append(v).append(' ');
    }
    s.append('\n');
    for (int v : y) {
      s.append(v).append(' ');
    }
    s.append('\n');
    Path input = dir.resolve("in.txt");
    Path output = dir.resolve("out.txt");
    Path script = dir.resolve("fgsm.py");
    Files.writeString(input, s, StandardCharsets.UTF_8);
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Path log = dir.resolve("fgsm.log");
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), output.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("fgsm.py did not finish in 120 s");
    }
    assertEquals(0, p.exitValue(), () -> "fgsm.py failed:\n" + readQuietly(log));
    List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
    assertClose(lines.get(0), Fgsm.linf(eps).range(0, 1).perturb(model, x, y, rows), "L∞");
    assertClose(lines.get(1), Fgsm.l2(eps).perturb(model, x, y, rows), "L2");
  }

  private static void assertClose(String torch, float[] kiln, String what) {
    String[] v = torch.trim().split(" ");
    assertEquals(kiln.length, v.length);
    for (int i = 0; i < v.length; i++) {
      assertEquals(Double.parseDouble(v[i]), kiln[i], 1e-6, what + " feature " + i);
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
