package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The recurrent kernels (both backends where the vector one exists) against {@code torch.nn.RNN}
 * (tanh and relu), {@code LSTM} and {@code GRU} in float64 fed the very same float inputs, with
 * {@code batch_first=True}: every cell, both directions (the reverse one as the second half of a
 * bidirectional module), with and without lengths ({@code pack_padded_sequence(enforce_sorted=False)}),
 * with and without an initial state, sequence and last-state outputs; the output, the last state, and
 * every gradient of {@code L = Σ r·out} for a random r (dx, weight_ih, weight_hh, bias_ih, bias_hh).
 * Odd sizes: n=3, T=5, F=7, H=6. One Python run for all cases.
 *
 * <p>Skipped when no interpreter can {@code import torch} (see {@link SpatialPyTorchReferenceTest}).
 */
class RecurrentPyTorchReferenceTest {
  static final double TOLERANCE = 1e-5;

  private static final String SCRIPT = """
      import json, sys
      import torch
      from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
      cases = json.load(open(sys.argv[1]))
      out = open(sys.argv[2], 'w')
      def t(v, shape):
          return torch.tensor(v, dtype=torch.float64).reshape(shape)
      def emit(case, name, v):
          out.write(case + ' ' + name + ' ' + ' '.join(repr(e) for e in v.detach().reshape(-1).tolist()) + '\\n')
      for c in cases:
          name, cell, n, T, F, H = c['name'], c['cell'], c['n'], c['T'], c['F'], c['H']
          G = {'RNN_TANH': 1, 'RNN_RELU': 1, 'LSTM': 4, 'GRU': 3}[cell]
          reverse, bias = c['reverse'], c['bias']
          kw = dict(batch_first=True, bidirectional=reverse, bias=bias)
          if cell == 'LSTM':
              m = torch.nn.LSTM(F, H, **kw)
          elif cell == 'GRU':
              m = torch.nn.GRU(F, H, **kw)
          else:
              m = torch.nn.RNN(F, H, nonlinearity='tanh' if cell == 'RNN_TANH' else 'relu', **kw)
          m = m.double()
          sfx = '_reverse' if reverse else ''
          params = {'weight_ih': t(c['wih'], (G * H, F)), 'weight_hh': t(c['whh'], (G * H, H))}
          if bias:
              params['bias_ih'] = t(c['bih'], (G * H,))
              params['bias_hh'] = t(c['bhh'], (G * H,))
          with torch.no_grad():
              for p in m.parameters():
                  p.zero_()
              for k, v in params.items():
                  getattr(m, k + '_l0' + sfx).copy_(v)
          x = t(c['x'], (n, T, F)).requires_grad_(True)
          d = 1 if reverse else 0
          hx = None
          if c['state'] is not None:
              # Kiln's state: h [n, H], then (LSTM) c [n, H]
              s = t(c['state'], (-1,))
              h0 = torch.zeros(2 if reverse else 1, n, H, dtype=torch.float64)
              h0[d] = s[:n * H].reshape(n, H)
              if cell == 'LSTM':
                  c0 = torch.zeros_like(h0)
                  c0[d] = s[n * H:].reshape(n, H)
                  hx = (h0, c0)
              else:
                  hx = h0
          inp = x
          if c['lengths'] is not None:
              inp = pack_padded_sequence(x, torch.tensor(c['lengths']), batch_first=True, enforce_sorted=False)
          y, hn = m(inp, hx)
          if c['lengths'] is not None:
              y, _ = pad_packed_sequence(y, batch_first=True, total_length=T)
          if cell == 'LSTM':
              hn, cn = hn
          y = y[:, :, d * H:(d + 1) * H]
          outv = y if c['sequences'] else hn[d]
          (outv * t(c['r'], outv.shape)).sum().backward()
          emit(name, 'y', outv)
          emit(name, 'last', torch.cat([hn[d].reshape(-1), cn[d].reshape(-1)]) if cell == 'LSTM' else hn[d])
          emit(name, 'dx', x.grad)
          for k in params:
              emit(name, 'd' + k, getattr(m, k + '_l0' + sfx).grad)
      out.close()
      """;

  /** Kiln's results per case and backend, and the inputs as JSON for the Python side. */
  static final Map<String, Map<String, float[]>> KILN = new LinkedHashMap<>();
  static final List<String> JSON = new ArrayList<>();
  static Map<String, Map<String, double[]>> torch;
  static String python;

  @TempDir
  static Path dir;

  @BeforeAll
  static void runPyTorch() throws Exception {
    python = SpatialPyTorchReferenceTest.findPython();
    if (python == null) {
      return;
    }
    Random rnd = new Random(41);
    int n = 3, steps = 5, inputs = 7, hidden = 6;
    int index = 0;
    for (RecurrentCell cell : RecurrentCell.values()) {
      for (boolean reverse : new boolean[] {false, true}) {
        for (int[] lengths : new int[][] {null, {5, 2, 4}, {1, 3, 2}}) {
          for (boolean withState : new boolean[] {false, true}) {
            for (boolean sequences : new boolean[] {true, false}) {
              boolean bias = index++ % 5 != 3;
              add(new RecurrentCase(cell, n, steps, inputs, hidden, reverse, sequences, lengths, withState, bias, rnd));
            }
          }
        }
      }
    }
    Path input = dir.resolve("cases.json"), output = dir.resolve("torch.txt"), script = dir.resolve("recurrent.py");
    Files.writeString(input, "[" + String.join(",\n", JSON) + "]", StandardCharsets.UTF_8);
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Path log = dir.resolve("recurrent.log");
    Process p = new ProcessBuilder(python, script.toString(), input.toString(), output.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("recurrent.py did not finish in 120 s:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), () -> "recurrent.py failed:\n" + readQuietly(log));
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
  void everyOutputLastStateAndGradientMatchesPyTorch() {
    Assumptions.assumeTrue(python != null, SpatialPyTorchReferenceTest.NO_TORCH);
    int compared = 0;
    for (var kase : KILN.entrySet()) {
      String name = kase.getKey().substring(0, kase.getKey().indexOf('/'));
      Map<String, double[]> expected = torch.get(name);
      assertNotNull(expected, name + ": no PyTorch results");
      for (var result : kase.getValue().entrySet()) {
        double[] ref = expected.get(result.getKey());
        String what = kase.getKey() + " " + result.getKey();
        assertNotNull(ref, what + ": no PyTorch result");
        assertEquals(ref.length, result.getValue().length, what + " size");
        Reference.assertClose(ref, result.getValue(), 0, TOLERANCE, what + " vs PyTorch");
        compared++;
      }
    }
    assertTrue(compared >= 96 * 5, "compared " + compared);
  }

  private static void add(RecurrentCase c) {
    String name = "case" + JSON.size();
    for (boolean vector : Backend.vectorized() ? new boolean[] {false, true} : new boolean[] {false}) {
      c.run(vector);
      assertTrue(c.othersUntouched(), c + ": wrote outside its output columns");
      Map<String, float[]> results = new LinkedHashMap<>();
      results.put("y", c.outputColumns());
      results.put("last", c.last);
      results.put("dx", c.dx);
      results.put("dweight_ih", c.slice(c.g, c.wIh, c.gh * c.inputs));
      results.put("dweight_hh", c.slice(c.g, c.wHh, c.gh * c.hidden));
      if (c.bias) {
        results.put("dbias_ih", c.slice(c.g, c.bIh, c.gh));
        results.put("dbias_hh", c.slice(c.g, c.bHh, c.gh));
      }
      KILN.put(name + "/" + (vector ? "vector" : "scalar") + " " + c, results);
    }
    StringBuilder s = new StringBuilder();
    s.append(String.format("{\"name\":\"%s\",\"cell\":\"%s\",\"n\":%d,\"T\":%d,\"F\":%d,\"H\":%d,\"reverse\":%s,"
        + "\"bias\":%s,\"sequences\":%s,\"lengths\":%s,", name, c.cell, c.n, c.steps, c.inputs, c.hidden,
        c.reverse ? "true" : "false", c.bias ? "true" : "false", c.sequences ? "true" : "false",
        c.lengths == null ? "null" : Arrays.toString(c.lengths)));
    s.append("\"x\":").append(json(c.x, 0, c.x.length));
    s.append(",\"wih\":").append(json(c.w, c.wIh, c.gh * c.inputs));
    s.append(",\"whh\":").append(json(c.w, c.wHh, c.gh * c.hidden));
    if (c.bias) {
      s.append(",\"bih\":").append(json(c.w, c.bIh, c.gh));
      s.append(",\"bhh\":").append(json(c.w, c.bHh, c.gh));
    }
    s.append(",\"state\":").append(c.state == null ? "null" : json(c.state, 0, c.state.length));
    // r restricted to the direction's own columns, as the output PyTorch computes.
    int rows = c.sequences ? c.n * c.steps : c.n;
    float[] r = new float[rows * c.hidden];
    for (int row = 0; row < rows; row++) {
      System.arraycopy(c.r, row * c.outWidth + c.outCol, r, row * c.hidden, c.hidden);
    }
    s.append(",\"r\":").append(json(r, 0, r.length)).append('}');
    JSON.add(s.toString());
  }

  private static String json(float[] a, int off, int len) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < len; i++) {
      s.append(i == 0 ? "" : ",").append(a[off + i]);
    }
    return s.append(']').toString();
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
