package dev.kiln.onnx;

import static dev.kiln.onnx.RecurrentExportNetworks.STEPS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ModelSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs exported recurrent networks in ONNX Runtime and compares their outputs with the same
 * networks written independently in PyTorch (float64) from the same weights: {@code torch.nn.RNN},
 * {@code LSTM} and {@code GRU} with {@code batch_first} and Kiln's tensors as their parameters,
 * padded batches through {@code pack_padded_sequence} (sequences of length 0, which PyTorch cannot
 * pack, give zeros). So the exported graph has PyTorch's semantics, not only Kiln's. Skipped unless
 * {@code /usr/bin/python3} can import torch (Debian: {@code apt-get install python3-torch}).
 */
class OnnxRecurrentPyTorchTest {
  private static final String PYTHON = "/usr/bin/python3";

  /** Largest allowed |ONNX Runtime - PyTorch| per output (float32 against float64). */
  private static final double TOLERANCE = 1e-5;

  private static final int ROWS = 20;

  /**
   * Loads the weights and inputs the test writes; {@code rnn} runs one recurrent layer as PyTorch
   * does, with the lengths of a padded batch or over every step.
   */
  private static final String PRELUDE = """
      import sys, torch
      import torch.nn.functional as F
      from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
      arena_file, params_file, x_file, x_shape, padding = sys.argv[1:6]
      arena = torch.frombuffer(bytearray(open(arena_file, 'rb').read()), dtype=torch.float32).double()
      P = {}
      for line in open(params_file):
          name, offset, shape = line.split()
          shape = [int(d) for d in shape.split(',')]
          P[name] = arena[int(offset):int(offset) + torch.Size(shape).numel()].reshape(shape)
      x = torch.frombuffer(bytearray(open(x_file, 'rb').read()), dtype=torch.float32).double()
      x = x.reshape([int(d) for d in x_shape.split(',')])
      padding = int(padding)
      L = None
      if padding >= 0:
          ids = x.long()
          is_pad = ids == padding
          L = torch.where(is_pad.any(1), is_pad.int().argmax(1), torch.tensor(ids.shape[1]))

      def rnn(kind, name, inp, lengths, units, bidirectional, sequences, nonlinearity='tanh'):
          B, T, F_ = inp.shape
          kw = {'nonlinearity': nonlinearity} if kind == 'RNN' else {}
          m = getattr(torch.nn, kind)(F_, units, batch_first=True, bidirectional=bidirectional, **kw).double()
          with torch.no_grad():
              for suffix in ([''] + (['_reverse'] if bidirectional else [])):
                  for p in ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']:
                      getattr(m, p + '_l0' + suffix).copy_(P[name + '.' + p + suffix])
          dirs = 2 if bidirectional else 1
          out = torch.zeros(B, T, dirs * units, dtype=torch.float64)
          last = torch.zeros(B, dirs * units, dtype=torch.float64)
          keep = torch.ones(B, dtype=torch.bool) if lengths is None else lengths > 0
          with torch.no_grad():
              if lengths is None:
                  o, h = m(inp)
              else:
                  packed = pack_padded_sequence(inp[keep], lengths[keep], batch_first=True, enforce_sorted=False)
                  o, h = m(packed)
                  o, _ = pad_packed_sequence(o, batch_first=True, total_length=T)
              h = h[0] if kind == 'LSTM' else h
              out[keep] = o
              last[keep] = h.permute(1, 0, 2).reshape(-1, dirs * units)
          return out if sequences else last

      def dense(name, inp):
          return inp @ P[name + '.kernel'] + P[name + '.bias']
      """;

  private static final String PRINT = """
      for row in y.reshape(y.shape[0], -1).tolist():
          print(' '.join(repr(v) for v in row))
      """;

  @TempDir Path dir;

  @BeforeAll
  static void requireTorch() {
    boolean available;
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
      available = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      available = false;
    }
    Assumptions.assumeTrue(available, PYTHON + " cannot import torch (apt-get install python3-torch)");
  }

  @Test
  void paddedBidirectionalGruTaggerMatchesPyTorch() throws Exception {
    compare(new PaddedBiGruTaggerModel(), 0, """
        e = F.embedding(ids, P['emb.weight'])
        s = rnn('GRU', 'gru', e, L, 7, True, True)
        y = torch.softmax(dense('tags', s), dim=-1)
        """);
  }

  @Test
  void paddedGruSequencesIntoBidirectionalLstmMatchPyTorch() throws Exception {
    compare(new PaddedGruLstmModel(), 0, """
        e = F.embedding(ids, P['emb.weight'])
        s = rnn('GRU', 'gru', e, L, 6, False, True)
        h = rnn('LSTM', 'lstm', s, L, 5, True, False)
        y = torch.sigmoid(dense('out', h))
        """);
  }

  @Test
  void paddedBidirectionalTanhRnnSequencesMatchPyTorch() throws Exception {
    compare(new PaddedRnnSequencesModel(), 3, """
        y = rnn('RNN', 'rnn', F.embedding(ids, P['emb.weight']), L, 5, True, True)
        """);
  }

  @Test
  void stackedReluAndTanhRnnsMatchPyTorch() throws Exception {
    compare(new StackedRnnBinaryModel(), -1, """
        e = F.embedding(x.long(), P['emb.weight'])
        s = rnn('RNN', 'rnn1', e, None, 8, False, True, 'relu')
        h = rnn('RNN', 'rnn2', s, None, 6, True, False)
        y = torch.sigmoid(dense('out', h))
        """);
  }

  @Test
  void floatSequenceLstmDenseGruMatchesPyTorch() throws Exception {
    compare(new FloatSequenceRegressorModel(), -1, """
        s = rnn('LSTM', 'lstm', x, None, 6, True, True)
        h = rnn('GRU', 'gru', torch.tanh(dense('perStep', s)), None, 5, False, False)
        y = dense('out', h)
        """);
  }

  /**
   * Exports {@code model} and compares ONNX Runtime's outputs on {@link #ROWS} samples with the
   * PyTorch network {@code body} (token ids padded with {@code padding}, or -1 for none; float
   * sequences for a float input).
   */
  private void compare(CompiledModel model, int padding, String body) throws Exception {
    ModelSpec spec = model.spec();
    Path file = dir.resolve(spec.network() + ".onnx");
    OnnxExport.write(model, file);
    boolean tokens = spec.tokenInput();
    float[] x;
    if (tokens) {
      x = OnnxRecurrentExportTest.tokens(model, ROWS, padding, 77).features();
    } else {
      SplittableRandom random = new SplittableRandom(78);
      x = new float[ROWS * spec.inputs()];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextDouble(-2, 2);
      }
    }
    float[] torch = pyTorch(spec, model.parameters(), x, padding, body);
    int[] outShape = spec.layers().getLast().outputShape();
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(file)) {
      float[] onnx =
          tokens ? ort.runTokens(x, ROWS, STEPS, outShape) : ort.run(x, ROWS, spec.inputShape(), outShape);
      double worst = OnnxExportTest.maxDifference(torch, onnx, spec.network() + " against PyTorch", TOLERANCE);
      System.out.printf("%s: max |ONNX Runtime - PyTorch| = %.3g%n", spec.network(), worst);
    }
  }

  /** PyTorch's outputs for the {@link #ROWS} samples of {@code x}, row-major. */
  private float[] pyTorch(ModelSpec spec, float[] arena, float[] x, int padding, String body) throws Exception {
    Path arenaFile = Files.write(dir.resolve("arena.bin"), littleEndian(arena));
    Path xFile = Files.write(dir.resolve("x.bin"), littleEndian(x));
    Path params =
        Files.writeString(
            dir.resolve("params.txt"),
            spec.parameters().stream()
                .map(p -> p.name() + " " + p.offset() + " " + join(p.shape()) + "\n")
                .collect(Collectors.joining()));
    Path script = Files.writeString(dir.resolve(spec.network() + ".py"), PRELUDE + body + PRINT);
    int[] xShape = new int[spec.inputShape().length + 1];
    xShape[0] = ROWS;
    System.arraycopy(spec.inputShape(), 0, xShape, 1, spec.inputShape().length);
    Process p =
        new ProcessBuilder(
                PYTHON, script.toString(), arenaFile.toString(), params.toString(), xFile.toString(), join(xShape),
                Integer.toString(padding))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("PyTorch reference timed out");
    }
    assertEquals(0, p.exitValue(), () -> "PyTorch reference of " + spec.network() + " failed:\n" + out);
    List<String> rows = out.lines().toList();
    assertEquals(ROWS, rows.size(), () -> "one line per sample:\n" + out);
    float[] y = new float[ROWS * spec.outputs()];
    for (int r = 0; r < ROWS; r++) {
      String[] values = rows.get(r).split(" ");
      assertEquals(spec.outputs(), values.length, "outputs of sample " + r);
      for (int j = 0; j < values.length; j++) {
        y[r * spec.outputs() + j] = (float) Double.parseDouble(values[j]);
      }
    }
    return y;
  }

  private static byte[] littleEndian(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  private static String join(int[] shape) {
    return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(","));
  }
}
