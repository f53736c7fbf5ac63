package dev.kiln.onnx;

import dev.kiln.runtime.model.Initializer;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.OptimizerSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds a {@link ModelSpec} by hand as the processor describes networks with typed attributes:
 * an Input layer named {@code input} with its {@code shape}, then layers with their inputs, output
 * shape, attributes and parameter tensors placed one after another in the arena. Also fills an arena
 * with seeded values fit for each tensor (running variances positive).
 */
final class TypedSpecBuilder {
  /** A parameter tensor {@code <layer>.<suffix>} to place. */
  record Param(String suffix, ParamSpec.Role role, int... shape) {}

  private final String network;
  private final LossKind loss;
  private final int[] inputShape;
  private final List<LayerSpec> layers = new ArrayList<>();
  private int offset;

  TypedSpecBuilder(String network, LossKind loss, int... inputShape) {
    this(network, loss, false, inputShape);
  }

  /** With {@code tokens}, an input of token ids ({@code "type": "tokens"}). */
  TypedSpecBuilder(String network, LossKind loss, boolean tokens, int... inputShape) {
    this.network = network;
    this.loss = loss;
    this.inputShape = inputShape.clone();
    List<Integer> shape = Arrays.stream(inputShape).boxed().toList();
    layers.add(
        new LayerSpec(
            "input", "Input", List.of(), inputShape, "",
            tokens ? Map.of("shape", shape, "type", "tokens") : Map.of("shape", shape), List.of(), true));
  }

  /** A trained parameter tensor. */
  static Param trained(String suffix, int... shape) {
    return new Param(suffix, ParamSpec.Role.TRAINED, shape);
  }

  /** A state tensor (BatchNorm's running statistics). */
  static Param state(String suffix, int... shape) {
    return new Param(suffix, ParamSpec.Role.STATE, shape);
  }

  /** {@code List.of(values)} as an attribute value. */
  static List<Integer> ints(int... values) {
    return Arrays.stream(values).boxed().toList();
  }

  /** Adds a layer reading {@code from} (empty: the layer before it). */
  TypedSpecBuilder layer(
      String name, String type, List<String> from, int[] outputShape, Map<String, Object> attributes, Param... params) {
    List<ParamSpec> specs = new ArrayList<>();
    for (Param p : params) {
      int length = Arrays.stream(p.shape()).reduce(1, Math::multiplyExact);
      specs.add(new ParamSpec(name + "." + p.suffix(), p.shape(), offset, length, Initializer.ZEROS, 1, 1, p.role()));
      offset += length;
    }
    layers.add(new LayerSpec(name, type, from, outputShape, "", attributes, specs, true));
    return this;
  }

  /** Adds a layer reading the layer before it. */
  TypedSpecBuilder layer(String name, String type, int[] outputShape, Map<String, Object> attributes, Param... params) {
    return layer(name, type, List.of(), outputShape, attributes, params);
  }

  ModelSpec build() {
    int inputs = Arrays.stream(inputShape).reduce(1, Math::multiplyExact);
    return new ModelSpec(
        network, network + " (built by hand)", "0".repeat(64), inputs, layers.getLast().outputSize(), loss,
        new OptimizerSpec("ADAM", 1e-3f, 0f, false, 0.9f, 0.999f, 1e-8f, 0f), 16, 1, layers, offset, 0,
        inputShape, 0, 0);
  }

  /**
   * Seeded values for every tensor of {@code spec}: uniform in [-0.5, 0.5), running variances in
   * [0.5, 1.5) and BatchNorm scales in [0.5, 1.5).
   */
  static float[] arena(ModelSpec spec, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] arena = new float[spec.parameterCount()];
    for (ParamSpec p : spec.parameters()) {
      boolean positive = p.name().endsWith(".running_var") || p.name().endsWith(".gamma");
      for (int i = 0; i < p.length(); i++) {
        arena[p.offset() + i] = (float) (positive ? random.nextDouble(0.5, 1.5) : random.nextDouble(-0.5, 0.5));
      }
    }
    return arena;
  }
}
