package dev.kiln.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.kernels.Backend;
import dev.kiln.runtime.kernels.VectorShape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clipping against its definition (PyTorch's {@code clip_grad_norm_} and {@code clip_grad_value_},
 * written out in Java) and, where an interpreter can {@code import torch}, against PyTorch itself.
 */
public class GradientClippingTest {
  /** An arena of 3000 floats whose trainable ranges leave out [1000, 1500) (a frozen layer) and the tail. */
  static final int[] RANGES = {0, 1000, 1500, 1337};

  @TempDir
  Path dir;

  private static float[] arena(long seed, float scale) {
    Random rnd = new Random(seed);
    float[] g = new float[3000];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) (rnd.nextGaussian() * scale);
    }
    return g;
  }

  /** Σ g² over the ranges in double, each square exact: the sum the kernel approximates. */
  private static double squares(float[] g, int[] ranges) {
    double s = 0;
    for (int r = 0; r < ranges.length; r += 2) {
      for (int i = ranges[r]; i < ranges[r] + ranges[r + 1]; i++) {
        s += (double) g[i] * g[i];
      }
    }
    return s;
  }

  @Test
  void sumOfSquaresIsCloseToTheExactSumAndTheVectorPathEqualsTheScalarReferenceBitwise() {
    float[] g = arena(1, 3f);
    GradientClipping c = GradientClipping.none();
    double sum = c.sumOfSquares(g, RANGES);
    assertEquals(squares(g, RANGES), sum, 1e-6 * sum);
    int lanes = Backend.vectorized() ? VectorShape.FLOAT.length() : GradientClipping.SCALAR_LANES;
    for (int[] range : new int[][] {{0, 3000}, {1, 2999}, {7, 13}, {1500, 1337}, {5, 0}}) {
      double scalar = GradientLoops.sumOfSquares(g, range[0], range[0] + range[1], new float[lanes], GradientClipping.BLOCK);
      assertEquals(Double.doubleToRawLongBits(scalar), Double.doubleToRawLongBits(c.sumOfSquares(g, range[0], range[1])),
          "range " + range[0] + "+" + range[1]);
    }
  }

  @Test
  void clipNormScalesTheTrainableRangesByMaxNormOverNormPlusEpsilon() {
    float[] g = arena(2, 1f);
    float[] expected = g.clone();
    double norm = Math.sqrt(squares(g, RANGES));
    double maxNorm = norm / 7;
    float coefficient = (float) (maxNorm / (norm + 1e-6));
    for (int r = 0; r < RANGES.length; r += 2) {
      for (int i = RANGES[r]; i < RANGES[r] + RANGES[r + 1]; i++) {
        expected[i] *= coefficient;
      }
    }
    double returned = new GradientClipping(maxNorm, 0).clip(g, RANGES);
    assertEquals(norm, returned, 1e-6 * norm);
    for (int i = 0; i < g.length; i++) {
      assertEquals(expected[i], g[i], 1e-6f * Math.abs(expected[i]), "at " + i);
    }
    for (int i = 1000; i < 1500; i++) {
      assertEquals(Float.floatToRawIntBits(arena(2, 1f)[i]), Float.floatToRawIntBits(g[i]), "frozen float " + i);
    }
    for (int i = 2837; i < 3000; i++) {
      assertEquals(Float.floatToRawIntBits(arena(2, 1f)[i]), Float.floatToRawIntBits(g[i]), "frozen float " + i);
    }
    double after = Math.sqrt(squares(g, RANGES));
    assertEquals(maxNorm, after, 1e-5 * maxNorm);
  }

  @Test
  void aNormWithinTheBoundLeavesTheGradientBitwiseUnchanged() {
    float[] g = arena(3, 1f);
    float[] before = g.clone();
    double norm = new GradientClipping(1e6, 0).clip(g, RANGES);
    assertTrue(norm < 1e6);
    assertArrayEquals(before, g);
  }

  @Test
  void clipValueClampsTheTrainableRangesOnly() {
    float[] g = arena(4, 2f);
    g[3] = Float.NaN;
    g[4] = -0f;
    float[] expected = g.clone();
    for (int r = 0; r < RANGES.length; r += 2) {
      for (int i = RANGES[r]; i < RANGES[r] + RANGES[r + 1]; i++) {
        expected[i] = Math.min(Math.max(expected[i], -0.5f), 0.5f);
      }
    }
    new GradientClipping(0, 0.5).clip(g, RANGES);
    for (int i = 0; i < g.length; i++) {
      assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(g[i]), "at " + i);
    }
    assertTrue(Float.isNaN(g[3]), "NaN stays NaN, as torch.clamp");
    assertTrue(Math.abs(g[1200]) > 0.5f, "a frozen float outside the bound is left as it is");
  }

  @Test
  void negativeNaNOrInfiniteBoundsAreRefused() {
    for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GradientClipping(bad, 0));
      assertEquals("maxNorm must be 0 (off) or positive and finite, got " + bad, e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new GradientClipping(0, bad));
    }
    assertThrows(IndexOutOfBoundsException.class, () -> GradientClipping.none().clip(new float[4], new int[] {2, 3}));
    assertThrows(IllegalArgumentException.class, () -> GradientClipping.none().clip(new float[4], new int[] {2}));
  }

  private static final String SCRIPT = """
      import sys
      import torch
      lines = open(sys.argv[1]).read().split('\\n')
      max_norm, max_value = float(lines[0]), float(lines[1])
      def tensors():
          return [torch.tensor([float(v) for v in l.split()], dtype=torch.float32) for l in lines[2:] if l.strip()]
      out = open(sys.argv[2], 'w')
      ps = [torch.nn.Parameter(torch.zeros_like(t)) for t in tensors()]
      for p, t in zip(ps, tensors()):
          p.grad = t
      norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
      out.write(repr(norm.item()) + '\\n')
      out.write(' '.join(repr(v) for p in ps for v in p.grad.tolist()) + '\\n')
      ps = [torch.nn.Parameter(torch.zeros_like(t)) for t in tensors()]
      for p, t in zip(ps, tensors()):
          p.grad = t
      torch.nn.utils.clip_grad_value_(ps, max_value)
      out.write(' '.join(repr(v) for p in ps for v in p.grad.tolist()) + '\\n')
      """;

  @Test
  void clippingMatchesPyTorch() throws Exception {
    String python = findPython();
    Assumptions.assumeTrue(python != null, "no Python interpreter with torch (tried -Dkiln.python, /usr/bin/python3,"
        + " python3); on Debian: apt-get install python3-torch");
    float[] g = arena(5, 2f);
    double maxNorm = 10, maxValue = 0.75;
    StringBuilder in = new StringBuilder().append(maxNorm).append('\n').append(maxValue).append('\n');
    for (int r = 0; r < RANGES.length; r += 2) {
      for (int i = RANGES[r]; i < RANGES[r] + RANGES[r + 1]; i++) {
        in.append(Float.toString(g[i])).append(' ');
      }
      in.append('\n');
    }
    Path input = dir.resolve("grads.txt"), output = dir.resolve("torch.txt"), script = dir.resolve("clip.py");
    Files.writeString(input, in, StandardCharsets.UTF_8);
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Path log = dir.resolve("clip.log");
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), output.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("clip.py did not finish in 120 s");
    }
    assertEquals(0, p.exitValue(), () -> "clip.py failed:\n" + readQuietly(log));
    List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);

    float[] byNorm = g.clone();
    double norm = new GradientClipping(maxNorm, 0).clip(byNorm, RANGES);
    double torchNorm = Double.parseDouble(lines.get(0));
    assertEquals(torchNorm, norm, 1e-6 * torchNorm);
    assertTrue(norm > maxNorm, "the case clips");
    assertMatches(lines.get(1), byNorm, 1e-6);

    float[] byValue = g.clone();
    new GradientClipping(0, maxValue).clip(byValue, RANGES);
    assertMatches(lines.get(2), byValue, 0);
  }

  private static void assertMatches(String torchLine, float[] kiln, double relative) {
    String[] v = torchLine.trim().split(" ");
    List<Float> trainable = new ArrayList<>();
    for (int r = 0; r < RANGES.length; r += 2) {
      for (int i = RANGES[r]; i < RANGES[r] + RANGES[r + 1]; i++) {
        trainable.add(kiln[i]);
      }
    }
    assertEquals(trainable.size(), v.length);
    for (int i = 0; i < v.length; i++) {
      double expected = Double.parseDouble(v[i]);
      assertEquals(expected, trainable.get(i), relative * Math.abs(expected) + 1e-12, "gradient " + i);
    }
  }

  /** The first interpreter that can import torch, or null (as kernels' SpatialPyTorchReferenceTest). */
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
