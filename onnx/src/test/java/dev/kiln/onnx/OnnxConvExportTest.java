package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.kiln.onnx.HandBuiltNetworks.HandBuilt;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.ParamSpec;
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
 * Exports convolutional networks described by hand with typed attributes ({@link
 * HandBuiltNetworks}) with seeded weights, runs them in ONNX Runtime on seeded inputs and compares
 * the outputs with the network's forward pass written independently in PyTorch (float64) from the
 * same weights. Skipped unless {@code /usr/bin/python3} can import torch (Debian: {@code apt-get
 * install python3-torch}).
 */
class OnnxConvExportTest {
  private static final String PYTHON = "/usr/bin/python3";

  /** Largest allowed |ONNX Runtime - PyTorch| per output (float32 against float64; observed ≤ 1.2e-7). */
  private static final double TOLERANCE = 1e-5;

  /** Samples per batch. */
  private static final int ROWS = 5;

  /** Loads the weights and the inputs the test writes, in Kiln's layouts, then runs a network's body. */
  private static final String PRELUDE = """
      import sys, torch
      import torch.nn.functional as F
      arena_file, params_file, x_file, x_shape = sys.argv[1:5]
      arena = torch.frombuffer(bytearray(open(arena_file, 'rb').read()), dtype=torch.float32).double()
      P = {}
      for line in open(params_file):
          name, offset, shape = line.split()
          shape = [int(d) for d in shape.split(',')]
          P[name] = arena[int(offset):int(offset) + torch.Size(shape).numel()].reshape(shape)
      x = torch.frombuffer(bytearray(open(x_file, 'rb').read()), dtype=torch.float32).double()
      x = x.reshape([int(d) for d in x_shape.split(',')])
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
  void smallCnnMatchesPyTorch() throws Exception {
    ModelProto proto = exportAndCompare(HandBuiltNetworks.smallCnn(), 31);
    assertEquals(
        List.of("Conv", "Relu", "MaxPool", "BatchNormalization", "Flatten", "Gemm", "Softmax"), opTypes(proto));
  }

  @Test
  void residualBlockMatchesPyTorch() throws Exception {
    ModelProto proto = exportAndCompare(HandBuiltNetworks.residual(), 32);
    assertEquals(
        List.of("Conv", "LeakyRelu", "Conv", "Add", "Tanh", "GlobalAveragePool", "Flatten", "Gemm"), opTypes(proto));
    NodeProto grouped = proto.getGraph().getNode(2);
    assertEquals("c2/Conv", grouped.getName());
    assertEquals(List.of("c1/out", "c2.kernel"), grouped.getInputList(), "no bias input");
  }

  @Test
  void branchesWithConcatPoolingAndVectorBatchNormMatchPyTorch() throws Exception {
    ModelProto proto = exportAndCompare(HandBuiltNetworks.branches(), 33);
    assertTrue(opTypes(proto).contains("AveragePool"), opTypes(proto).toString());
    assertEquals("Sigmoid", proto.getGraph().getNodeList().getLast().getOpType(), "the head of binary cross-entropy");
  }

  @Test
  void softmaxHeadOverAnImageOutputMatchesPyTorch() throws Exception {
    ModelProto proto = exportAndCompare(HandBuiltNetworks.convHead(), 34);
    assertEquals(List.of("Conv", "Flatten", "Softmax", "Reshape"), opTypes(proto));
  }

  /**
   * Exports {@code net} with weights seeded by {@code seed}, checks ONNX Runtime's signature, and
   * compares its outputs on a batch and on one sample with PyTorch's. Returns the exported model.
   */
  private ModelProto exportAndCompare(HandBuilt net, long seed) throws Exception {
    ModelSpec spec = net.spec();
    float[] arena = TypedSpecBuilder.arena(spec, seed);
    Path file = dir.resolve(spec.network() + ".onnx");
    OnnxExport.write(spec, arena, file);

    SplittableRandom random = new SplittableRandom(seed + 1000);
    float[] x = new float[ROWS * spec.inputs()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    float[] torch = pyTorch(net, arena, x);
    int[] outShape = spec.layers().getLast().outputShape();
    try (OnnxRuntimeRunner ort = new OnnxRuntimeRunner(file)) {
      ort.assertSignature(spec.inputShape(), outShape);
      assertClose(torch, ort.run(x, ROWS, spec.inputShape(), outShape), spec.network() + ", batch of " + ROWS);
      assertClose(
          Arrays.copyOf(torch, spec.outputs()), ort.run(x, 1, spec.inputShape(), outShape), spec.network() + ", one sample");
    }
    return ModelProto.parseFrom(Files.readAllBytes(file));
  }

  /** PyTorch's outputs for the {@link #ROWS} samples of {@code x}, row-major. */
  private float[] pyTorch(HandBuilt net, float[] arena, float[] x) throws Exception {
    ModelSpec spec = net.spec();
    Path arenaFile = Files.write(dir.resolve("arena.bin"), littleEndian(arena));
    Path xFile = Files.write(dir.resolve("x.bin"), littleEndian(x));
    Path params =
        Files.writeString(
            dir.resolve("params.txt"),
            spec.parameters().stream()
                .map(p -> p.name() + " " + p.offset() + " " + join(p.shape()) + "\n")
                .collect(Collectors.joining()));
    Path script = Files.writeString(dir.resolve(spec.network() + ".py"), PRELUDE + net.torch() + PRINT);
    int[] xShape = new int[spec.inputShape().length + 1];
    xShape[0] = ROWS;
    System.arraycopy(spec.inputShape(), 0, xShape, 1, spec.inputShape().length);
    Process p =
        new ProcessBuilder(
                PYTHON, script.toString(), arenaFile.toString(), params.toString(), xFile.toString(), join(xShape))
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

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": output length");
    double worst = 0;
    int at = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs((double) expected[i] - actual[i]);
      if (!(d <= worst)) {
        worst = d;
        at = i;
      }
    }
    if (!(worst <= TOLERANCE)) {
      throw new AssertionError(
          what + ": max |ONNX Runtime - PyTorch| = " + worst + " at " + at + " (PyTorch " + expected[at]
              + ", ONNX Runtime " + actual[at] + "), allowed " + TOLERANCE);
    }
  }

  private static List<String> opTypes(ModelProto proto) {
    return proto.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
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
