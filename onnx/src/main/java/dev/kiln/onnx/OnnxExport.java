package dev.kiln.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Exports a trained network's inference graph to <a href="https://onnx.ai">ONNX</a> (opset {@value
 * #OPSET}, IR version {@value #IR_VERSION}), so ONNX Runtime, TensorRT, OpenVINO, onnx2torch and the
 * like can run it.
 *
 * <p>The graph computes exactly what {@link Model#predict(float[], int, float[])} returns: input
 * {@value #INPUT}, float {@code [batch, ...inputShape]} ({@code [batch, inputs]} for vectors,
 * {@code [batch, steps, features]} for float sequences, {@code [batch, C, H, W]} for images), or
 * int64 token ids {@code [batch, steps]} for a network declared with {@code inputType = TOKENS},
 * with a symbolic batch dimension; output {@value #OUTPUT},
 * float {@code [batch, ...]} of the output layer's shape (the same floats, row-major, as {@code
 * predict}): class probabilities for softmax and binary cross-entropy networks, the last layer's
 * activated output for mean squared error. The layers form a DAG (a layer reads the layers it names
 * with {@code from}, else the one before it); each becomes ONNX nodes read from its typed attributes:
 * Dense as {@code Gemm} (or {@code MatMul} without bias), Conv2D as {@code Conv}, each followed by
 * its activation ({@code Relu}, {@code LeakyRelu(alpha)}, {@code Sigmoid}, {@code Tanh}, {@code
 * Softmax(axis=-1)}, and GELU as {@code 0.5·z·(1 + Erf(z/√2))}); MaxPool2D and AvgPool2D as {@code
 * MaxPool} and {@code AveragePool} (padding counted, as PyTorch); GlobalAveragePool2D as {@code
 * GlobalAveragePool} and {@code Flatten}; Flatten; BatchNorm as {@code BatchNormalization} with the
 * running statistics; Activate as its activation; Add as {@code Add}; Concat along the channels or
 * features; dropout is the identity at inference and is left out. On sequences Dense acts per step
 * ({@code MatMul} over the last axis and {@code Add}), and the softmax head of a sequence output is
 * applied per step. Embedding is {@code Gather} on its weight; SimpleRNN, LSTM and GRU are ONNX's
 * {@code RNN}, {@code LSTM} and {@code GRU} (PyTorch's GRU: {@code linear_before_reset = 1}) with
 * the gate blocks reordered into initializers {@code <layer>.W}, {@code <layer>.R}, {@code
 * <layer>.B}, both directions, and, for sequences an Embedding's padding id ends, {@code
 * sequence_lens} computed in the graph from the token ids. Weights are initializers named
 * like Kiln's tensors ({@code hidden.kernel} {@code [in, out]}, {@code hidden.bias} {@code [out]},
 * {@code conv.kernel} {@code [filters, in / groups, kH, kW]}, {@code norm.running_mean}). The model
 * carries the network's name and architecture in its doc string and in {@code metadata_props}
 * ({@code kiln.network}, {@code kiln.architecture}, {@code kiln.architecture_sha256}, {@code
 * kiln.loss}).
 *
 * <pre>{@code
 * DigitsModel model = new DigitsModel();
 * model.train(train, TrainOptions.epochs(30));
 * OnnxExport.write(model, Path.of("digits.onnx"));
 * }</pre>
 */
public final class OnnxExport {
  /** The ONNX operator set the graph uses (default domain). */
  public static final int OPSET = 17;

  /** ONNX IR version matching {@link #OPSET} (IR 8 was released with opset 17, ONNX 1.12). */
  public static final int IR_VERSION = 8;

  /** Name of the graph input, float {@code [batch, ...inputShape]} (int64 token ids {@code [batch, steps]} for token input). */
  public static final String INPUT = "input";

  /** Name of the graph output, float {@code [batch, ...]} of the output layer's shape. */
  public static final String OUTPUT = "output";

  /** Name of the symbolic batch dimension of {@link #INPUT} and {@link #OUTPUT}. */
  public static final String BATCH_DIM = "batch";

  /** Producer name written into every model. */
  public static final String PRODUCER = "Kiln";

  /** A protobuf message must stay under 2 GiB; the exporter does not write ONNX external data. */
  private static final long MAX_WEIGHT_BYTES = (1L << 31) - (1L << 24);

  private OnnxExport() {}

  /**
   * Writes the inference graph of {@code model} with its current weights to {@code file}, atomically:
   * the bytes go to a temporary file in the same directory, which is forced to disk and renamed over
   * {@code file}. On failure nothing is left behind and an existing {@code file} is unchanged.
   * Missing parent directories are created.
   *
   * @throws IllegalArgumentException if the network holds a layer the exporter does not support
   * @throws IOException naming {@code file} if it cannot be written (for example it is a directory,
   *     or its parent is a regular file)
   */
  public static void write(Model model, Path file) throws IOException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    write(model.spec(), model.parameters(), file);
  }

  /**
   * Writes the inference graph of the network {@code spec} describes, with the parameter arena
   * {@code parameters}, to {@code file} atomically (see {@link #write(Model, Path)}).
   *
   * @throws IllegalArgumentException if the arena does not match the spec or the network holds a
   *     layer the exporter does not support
   * @throws IOException naming {@code file} if it cannot be written
   */
  public static void write(ModelSpec spec, float[] parameters, Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    byte[] bytes = toModelProto(spec, parameters).toByteArray();
    writeAtomically(file, bytes);
  }

  /**
   * The ONNX model of {@code model} with its current weights, as a protobuf message (to inspect or
   * extend before writing it yourself).
   *
   * @throws IllegalArgumentException if the network holds a layer the exporter does not support
   */
  public static ModelProto toModelProto(Model model) {
    Objects.requireNonNull(model, "model");
    return toModelProto(model.spec(), model.parameters());
  }

  /**
   * The ONNX model of the network {@code spec} describes with the parameter arena {@code
   * parameters} ({@code spec.parameterCount()} floats, tensors at the offsets of {@link
   * ModelSpec#parameters()}).
   *
   * @throws IllegalArgumentException if the arena does not match the spec or the network holds a
   *     layer the exporter does not support
   */
  public static ModelProto toModelProto(ModelSpec spec, float[] parameters) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(parameters, "parameters");
    if (parameters.length != spec.parameterCount()) {
      throw new IllegalArgumentException(
          spec.network() + " has " + spec.parameterCount() + " parameters, but the arena holds " + parameters.length);
    }
    for (ParamSpec p : spec.parameters()) {
      if (p.offset() < 0 || (long) p.offset() + p.length() > parameters.length) {
        throw new IllegalArgumentException(
            spec.network() + ": tensor " + p.name() + " at offset " + p.offset() + " (" + p.length()
                + " floats) lies outside the arena of " + parameters.length + " floats");
      }
    }
    if (4L * parameters.length > MAX_WEIGHT_BYTES) {
      throw new IllegalArgumentException(
          spec.network() + " has " + parameters.length + " parameters: too large for one ONNX protobuf (2 GiB)");
    }
    GraphProto.Builder graph = OnnxGraphBuilder.build(spec, parameters);
    String doc = docString(spec);
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setProducerName(PRODUCER)
        .setProducerVersion(producerVersion())
        .setDomain("dev.kiln")
        .setModelVersion(1)
        .setDocString(doc)
        .setGraph(graph.setDocString(doc))
        .addMetadataProps(entry(CompiledModel.META_NETWORK, spec.network()))
        .addMetadataProps(entry(CompiledModel.META_ARCHITECTURE, spec.architecture()))
        .addMetadataProps(entry(CompiledModel.META_ARCHITECTURE_HASH, spec.architectureHash()))
        .addMetadataProps(entry("kiln.loss", spec.loss().name()))
        .build();
  }

  /** What a person reading the model in Netron needs: the network, its layers, what the output means. */
  static String docString(ModelSpec spec) {
    String output =
        switch (spec.loss()) {
          case SOFTMAX_CROSS_ENTROPY -> "softmax class probabilities";
          case BINARY_CROSS_ENTROPY -> "probability of class 1 (sigmoid)";
          case MEAN_SQUARED_ERROR -> "regression outputs";
        };
    return "Kiln network " + spec.network() + ": " + spec.architecture() + ". Input '" + INPUT + "' "
        + batchShape(spec.inputShape()) + ", output '" + OUTPUT + "' " + batchShape(spec.layers().getLast().outputShape())
        + ": " + output + ". Trained with " + spec.loss() + ".";
  }

  private static String batchShape(int[] shape) {
    return "[" + BATCH_DIM + Arrays.stream(shape).mapToObj(d -> ", " + d).collect(Collectors.joining()) + "]";
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static String producerVersion() {
    try (InputStream in = OnnxExport.class.getResourceAsStream("kiln-onnx.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The model bytes, written atomically; errors say they concern the ONNX model. */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    try {
      AtomicFiles.write(file, bytes);
    } catch (IOException e) {
      throw new IOException("ONNX model: " + e.getMessage(), e);
    }
  }

}
