package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/** Loads an exported model in ONNX Runtime (which validates it) and runs batches through it. */
final class OnnxRuntimeRunner implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  OnnxRuntimeRunner(Path model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      // The build machine is shared: one thread, and full graph optimizations as users would run it.
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(model.toString(), options);
    }
  }

  OrtSession session() {
    return session;
  }

  /** Checks the graph's single input and output: float [batch (symbolic), width]. */
  void assertSignature(int inputs, int outputs) throws OrtException {
    assertEquals(1, session.getNumInputs());
    assertEquals(1, session.getNumOutputs());
    assertMatrix(session.getInputInfo().get(OnnxExport.INPUT), inputs);
    assertMatrix(session.getOutputInfo().get(OnnxExport.OUTPUT), outputs);
  }

  private static void assertMatrix(NodeInfo info, int cols) {
    assertTrue(info != null && info.getInfo() instanceof TensorInfo, () -> "not a tensor: " + info);
    TensorInfo t = (TensorInfo) info.getInfo();
    assertEquals(ai.onnxruntime.OnnxJavaType.FLOAT, t.type);
    // ONNX Runtime reports a symbolic dimension as -1.
    assertArrayEquals(new long[] {-1, cols}, t.getShape(), "shape of " + info.getName());
    assertEquals(OnnxExport.BATCH_DIM, t.getDimensionNames()[0]);
  }

  /** Outputs for {@code rows} samples of {@code cols} features, row-major. */
  float[] run(float[] x, int rows, int cols, int outputs) throws OrtException {
    float[] batch = Arrays.copyOf(x, rows * cols);
    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(batch), new long[] {rows, cols});
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, in))) {
      OnnxTensor out = (OnnxTensor) result.get(OnnxExport.OUTPUT).orElseThrow();
      assertArrayEquals(new long[] {rows, outputs}, out.getInfo().getShape());
      FloatBuffer fb = out.getFloatBuffer();
      float[] values = new float[fb.remaining()];
      fb.get(values);
      return values;
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
