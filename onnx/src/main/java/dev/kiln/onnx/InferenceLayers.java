package dev.kiln.onnx;

import dev.kiln.runtime.kernels.Activation;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The inference computation of a network, read from its {@link ModelSpec}: the dense layers in
 * order, each with the activation that {@code predict} applies. Dropout layers are dropped (Kiln's
 * dropout is inverted, so it is the identity at inference). For classification losses the last
 * layer's activation is the head {@code predict} returns probabilities through: softmax for
 * softmax cross-entropy, sigmoid for binary cross-entropy, whether the layer was declared with that
 * activation or LINEAR (the generated code fuses the head with the loss while training and applies
 * it after the logits otherwise).
 */
record InferenceLayers(int inputs, List<Dense> layers) {

  /**
   * One dense layer: {@code out[B, units] = act(in[B, in] · kernel[in, units] + bias[units])}.
   *
   * @param name the layer's (field) name
   * @param in input features
   * @param units output features
   * @param kernel the weight tensor, shape [in, units], row-major in the arena
   * @param bias the bias tensor [units], or null
   * @param activation the activation predict applies to this layer's output
   * @param alpha LEAKY_RELU negative slope (0 otherwise)
   */
  record Dense(
      String name, int in, int units, ParamSpec kernel, ParamSpec bias, Activation activation, float alpha) {}

  InferenceLayers {
    layers = List.copyOf(layers);
  }

  /**
   * Reads {@code spec}.
   *
   * @throws IllegalArgumentException naming the layer if the network holds something the exporter
   *     does not know (a layer kind, an activation) or the description is inconsistent
   */
  static InferenceLayers of(ModelSpec spec) {
    String net = spec.network();
    List<LayerSpec> specs = spec.layers();
    if (specs.isEmpty() || !specs.getFirst().type().equals("Input")) {
      throw new IllegalArgumentException(net + ": the first layer must be the Input layer, got " + describe(specs));
    }
    int[] inShape = specs.getFirst().outputShape();
    if (inShape.length != 1 || inShape[0] != spec.inputs()) {
      throw new IllegalArgumentException(
          net + ": input layer '" + specs.getFirst().name() + "' has shape " + Arrays.toString(inShape)
              + ", but the network declares " + spec.inputs() + " inputs");
    }
    int width = spec.inputs();
    List<Dense> dense = new ArrayList<>();
    for (int i = 1; i < specs.size(); i++) {
      LayerSpec l = specs.get(i);
      int[] shape = l.outputShape();
      if (shape.length != 1) {
        throw new IllegalArgumentException(
            net + ": layer '" + l.name() + "' has output shape " + Arrays.toString(shape)
                + "; ONNX export supports rank-1 (per sample) layers only");
      }
      switch (l.type()) {
        case "Dropout" -> {
          if (shape[0] != width || !l.params().isEmpty()) {
            throw new IllegalArgumentException(
                net + ": dropout layer '" + l.name() + "' must keep the width " + width + " and have no parameters");
          }
        }
        case "Dense" -> {
          dense.add(dense(net, l, width, shape[0]));
          width = shape[0];
        }
        default ->
            throw new IllegalArgumentException(
                net + ": layer '" + l.name() + "' of type " + l.type()
                    + " cannot be exported to ONNX (supported: Dense, Dropout)");
      }
    }
    if (dense.isEmpty() || !specs.getLast().type().equals("Dense")) {
      throw new IllegalArgumentException(
          net + ": the last layer must be Dense for ONNX export, got " + describe(specs));
    }
    if (width != spec.outputs()) {
      throw new IllegalArgumentException(
          net + ": the last layer has " + width + " units, but the network declares " + spec.outputs() + " outputs");
    }
    for (int i = 0; i < dense.size() - 1; i++) {
      if (dense.get(i).activation() == Activation.SOFTMAX) {
        throw new IllegalArgumentException(
            net + ": layer '" + dense.get(i).name() + "' uses SOFTMAX, which Kiln allows only on the last layer");
      }
    }
    Dense last = dense.getLast();
    Activation head = head(net, spec.loss(), last);
    dense.set(dense.size() - 1, new Dense(last.name(), last.in(), last.units(), last.kernel(), last.bias(), head, last.alpha()));
    return new InferenceLayers(spec.inputs(), dense);
  }

  private static Dense dense(String net, LayerSpec l, int in, int units) {
    List<ParamSpec> params = l.params();
    if (params.isEmpty() || params.size() > 2) {
      throw new IllegalArgumentException(
          net + ": dense layer '" + l.name() + "' must have a kernel and an optional bias, got "
              + params.stream().map(ParamSpec::name).toList());
    }
    ParamSpec kernel = params.get(0);
    requireShape(net, l, kernel, l.name() + ".kernel", in, units);
    ParamSpec bias = params.size() == 2 ? params.get(1) : null;
    if (bias != null) {
      requireShape(net, l, bias, l.name() + ".bias", units);
    }
    String detail = l.detail();
    Activation activation;
    float alpha = 0f;
    try {
      if (detail.startsWith("LEAKY_RELU(") && detail.endsWith(")")) {
        activation = Activation.LEAKY_RELU;
        alpha = Float.parseFloat(detail.substring("LEAKY_RELU(".length(), detail.length() - 1));
      } else {
        activation = Activation.valueOf(detail);
        if (activation == Activation.LEAKY_RELU) {
          throw new IllegalArgumentException("LEAKY_RELU without its slope");
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          net + ": dense layer '" + l.name() + "' has activation '" + detail
              + "', which the ONNX exporter does not know (expected one of "
              + Arrays.toString(Activation.values()) + ", LEAKY_RELU as LEAKY_RELU(slope))",
          e);
    }
    return new Dense(l.name(), in, units, kernel, bias, activation, alpha);
  }

  private static void requireShape(String net, LayerSpec l, ParamSpec p, String name, int... shape) {
    if (!p.name().equals(name) || !Arrays.equals(p.shape(), shape)) {
      throw new IllegalArgumentException(
          net + ": dense layer '" + l.name() + "' should have parameter " + name + " " + Arrays.toString(shape)
              + ", got " + p.name() + " " + Arrays.toString(p.shape()));
    }
  }

  /** The activation predict applies after the last layer's matmul. */
  private static Activation head(String net, LossKind loss, Dense last) {
    Activation declared = last.activation();
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        requireHead(net, loss, last, Activation.SOFTMAX);
        yield Activation.SOFTMAX;
      }
      case BINARY_CROSS_ENTROPY -> {
        requireHead(net, loss, last, Activation.SIGMOID);
        yield Activation.SIGMOID;
      }
      case MEAN_SQUARED_ERROR -> {
        if (declared == Activation.SOFTMAX) {
          throw new IllegalArgumentException(
              net + ": last layer '" + last.name() + "' uses SOFTMAX with " + loss + ", which Kiln does not compile");
        }
        yield declared;
      }
    };
  }

  private static void requireHead(String net, LossKind loss, Dense last, Activation head) {
    if (last.activation() != head && last.activation() != Activation.LINEAR) {
      throw new IllegalArgumentException(
          net + ": last layer '" + last.name() + "' uses " + last.activation() + " with " + loss
              + "; Kiln allows only " + head + " or LINEAR there");
    }
  }

  private static String describe(List<LayerSpec> specs) {
    return specs.stream().map(l -> l.name() + ":" + l.type()).toList().toString();
  }
}
