package dev.kiln.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.onnx.OnnxExport;
import dev.kiln.runtime.data.Dataset;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * ONNX Runtime (Java API, CPU execution provider) running a Kiln network exported with {@link
 * OnnxExport}: the second peer of {@code bench/compare}'s inference rows. Timed exactly like {@link
 * EndToEnd#latencyMicros} and {@link EndToEnd#batchThroughput}: the same samples and the same timing
 * protocol ({@link EndToEnd#timedLatencyMicros}, {@link EndToEnd#timedThroughput}).
 *
 * <p>Each call is what a user of the API writes: an {@link OnnxTensor} is created over the input,
 * {@link OrtSession#run} runs it, the output is copied into a {@code float[]} and both are closed.
 * Tensor creation is inside the timed region. The inputs sit in direct buffers made once, which ONNX
 * Runtime wraps without copying (a heap buffer would be copied into a fresh direct one per call):
 * that is the reuse the API allows. Sessions use full graph optimisation, sequential execution, one
 * inter-op thread and the given number of intra-op threads.
 */
final class OnnxRuntimePeer implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final int[] sampleShape;
  private final int inputs;
  private final int outputs;

  /**
   * A session over {@code model}, whose input is float {@code [batch, ...sampleShape]} (the Kiln
   * network's input shape: {@code [784]} for FashionMlp, {@code [1, 28, 28]} for FashionCnn) and whose
   * output holds {@code outputs} floats per sample.
   */
  OnnxRuntimePeer(Path model, int intraOpThreads, int[] sampleShape, int outputs) throws OrtException {
    this.sampleShape = sampleShape.clone();
    this.inputs = java.util.Arrays.stream(sampleShape).reduce(1, Math::multiplyExact);
    this.outputs = outputs;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      session = env.createSession(model.toString(), options);
    }
  }

  /** ONNX Runtime's version, e.g. {@code 1.29.0}. */
  String version() {
    return env.getVersion();
  }

  /** Median microseconds of one batch-1 run (the protocol of {@link EndToEnd#timedLatencyMicros}). */
  double latencyMicros(Dataset data, int calls) throws Exception {
    return latencyMicros(data, 20000, calls);
  }

  /** Median microseconds of one batch-1 run after {@code warmUp} warm-up runs. */
  double latencyMicros(Dataset data, int warmUp, int calls) throws Exception {
    FloatBuffer[] samples = new FloatBuffer[256];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = direct(data.row(i));
    }
    long[] shape = shape(1);
    return EndToEnd.timedLatencyMicros(warmUp, calls, i -> predict(samples[i % samples.length], shape));
  }

  /** Samples/s of batch inference (the protocol of {@link EndToEnd#timedThroughput(int, EndToEnd.Call)}). */
  double batchThroughput(Dataset data, int batch) throws Exception {
    return batchThroughput(data, batch, 2000, 200);
  }

  /**
   * Samples/s of batch inference with {@code warmUp} warm-up batches and {@code groups} timed groups
   * (the protocol of {@link EndToEnd#timedThroughput(int, int, int, EndToEnd.Call)}).
   */
  double batchThroughput(Dataset data, int batch, int warmUp, int groups) throws Exception {
    FloatBuffer in = direct(java.util.Arrays.copyOf(data.features(), batch * inputs));
    float[] out = new float[batch * outputs];
    long[] shape = shape(batch);
    return EndToEnd.timedThroughput(batch, warmUp, groups, i -> predict(in, shape, out));
  }

  /** Outputs for the first {@code rows} samples of {@code x}, row-major (to check the export). */
  float[] outputs(float[] x, int rows) throws OrtException {
    float[] out = new float[rows * outputs];
    predict(direct(java.util.Arrays.copyOf(x, rows * inputs)), shape(rows), out);
    return out;
  }

  /** One sample's outputs, in a new array (as {@code Model.predict(float[])}). */
  private float[] predict(FloatBuffer sample, long[] shape) throws OrtException {
    float[] out = new float[outputs];
    predict(sample, shape, out);
    return out;
  }

  private void predict(FloatBuffer x, long[] shape, float[] out) throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(env, x, shape);
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, in))) {
      // getFloatBuffer() copies the output; a user reading it into an array does the same.
      ((OnnxTensor) result.get(0)).getFloatBuffer().get(out);
    }
  }

  /** {@code [batch, ...sampleShape]}. */
  private long[] shape(int batch) {
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = batch;
    for (int i = 0; i < sampleShape.length; i++) {
      shape[i + 1] = sampleShape[i];
    }
    return shape;
  }

  private static FloatBuffer direct(float[] values) {
    FloatBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(values).flip();
    return b;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
