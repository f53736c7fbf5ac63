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
import java.nio.LongBuffer;
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
    assertSignature(new int[] {inputs}, new int[] {outputs});
  }

  /** Checks the graph's single input and output: float [batch (symbolic), ...shape]. */
  void assertSignature(int[] inputShape, int[] outputShape) throws OrtException {
    assertSignature(inputShape, outputShape, false);
  }

  /**
   * Checks the graph's single input, float or (with {@code tokens}) int64 [batch (symbolic),
   * ...inputShape], and its output, float [batch (symbolic), ...outputShape].
   */
  void assertSignature(int[] inputShape, int[] outputShape, boolean tokens) throws OrtException {
    assertEquals(1, session.getNumInputs());
    assertEquals(1, session.getNumOutputs());
    assertTensor(
        session.getInputInfo().get(OnnxExport.INPUT), inputShape,
        tokens ? ai.onnxruntime.OnnxJavaType.INT64 : ai.onnxruntime.OnnxJavaType.FLOAT);
    assertTensor(session.getOutputInfo().get(OnnxExport.OUTPUT), outputShape, ai.onnxruntime.OnnxJavaType.FLOAT);
  }

  private static void assertTensor(NodeInfo info, int[] shape, ai.onnxruntime.OnnxJavaType type) {
    assertTrue(info != null && info.getInfo() instanceof TensorInfo, () -> "not a tensor: " + info);
    TensorInfo t = (TensorInfo) info.getInfo();
    assertEquals(type, t.type);
    // ONNX Runtime reports a symbolic dimension as -1.
    assertArrayEquals(batchShape(-1, shape), t.getShape(), "shape of " + info.getName());
    assertEquals(OnnxExport.BATCH_DIM, t.getDimensionNames()[0]);
  }

  /** Outputs for {@code rows} samples of {@code cols} features, row-major. */
  float[] run(float[] x, int rows, int cols, int outputs) throws OrtException {
    return run(x, rows, new int[] {cols}, new int[] {outputs});
  }

  /**
   * Outputs for {@code rows} samples of shape {@code inputShape} (row-major, the first {@code rows}
   * samples of {@code x}), checked to have shape [rows, ...outputShape].
   */
  float[] run(float[] x, int rows, int[] inputShape, int[] outputShape) throws OrtException {
    long[] in = batchShape(rows, inputShape);
    float[] batch = Arrays.copyOf(x, Math.toIntExact(Arrays.stream(in).reduce(1, Math::multiplyExact)));
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(batch), in);
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, tensor))) {
      OnnxTensor out = (OnnxTensor) result.get(OnnxExport.OUTPUT).orElseThrow();
      assertArrayEquals(batchShape(rows, outputShape), out.getInfo().getShape());
      FloatBuffer fb = out.getFloatBuffer();
      float[] values = new float[fb.remaining()];
      fb.get(values);
      return values;
    }
  }

  /**
   * Outputs for {@code rows} sequences of {@code steps} token ids (given as floats, the first {@code
   * rows · steps} of {@code ids}, as Kiln's {@code predict} takes them), fed as int64, checked to
   * have shape [rows, ...outputShape].
   */
  float[] runTokens(float[] ids, int rows, int steps, int[] outputShape) throws OrtException {
    long[] values = new long[rows * steps];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) ids[i];
    }
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {rows, steps});
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, tensor))) {
      OnnxTensor out = (OnnxTensor) result.get(OnnxExport.OUTPUT).orElseThrow();
      assertArrayEquals(batchShape(rows, outputShape), out.getInfo().getShape());
      FloatBuffer fb = out.getFloatBuffer();
      float[] y = new float[fb.remaining()];
      fb.get(y);
      return y;
    }
  }

  private static long[] batchShape(int rows, int[] shape) {
    long[] s = new long[shape.length + 1];
    s[0] = rows;
    for (int i = 0; i < shape.length; i++) {
      s[i + 1] = shape[i];
    }
    return s;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
