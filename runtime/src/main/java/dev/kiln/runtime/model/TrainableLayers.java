package dev.kiln.runtime.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which layers of a model are frozen, and the parts of the parameter arena the optimizer may
 * update. Only layers with parameters can be frozen; a model starts with the layers declared
 * {@code @Dense(trainable = false)} frozen.
 */
final class TrainableLayers {
  private final ModelSpec spec;
  private final boolean[] frozen;
  private int[] ranges;

  TrainableLayers(ModelSpec spec) {
    this.spec = spec;
    List<LayerSpec> layers = spec.layers();
    this.frozen = new boolean[layers.size()];
    for (int i = 0; i < frozen.length; i++) {
      frozen[i] = layers.get(i).hasParameters() && !layers.get(i).trainable();
    }
    this.ranges = computeRanges();
  }

  /**
   * Freezes ({@code value} true) or unfreezes the named layers. All names are checked before any
   * layer changes.
   */
  void set(boolean value, String... names) {
    Objects.requireNonNull(names, "names");
    int[] indices = new int[names.length];
    for (int i = 0; i < names.length; i++) {
      indices[i] = parameterLayer(names[i], value ? "freeze" : "unfreeze");
    }
    for (int i : indices) {
      frozen[i] = value;
    }
    ranges = computeRanges();
  }

  /** Whether layer {@code name} is frozen; false for layers without parameters. */
  boolean isFrozen(String name) {
    Objects.requireNonNull(name, "name");
    List<LayerSpec> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i).name().equals(name)) {
        return frozen[i];
      }
    }
    throw new IllegalArgumentException(
        spec.network() + " has no layer '" + name + "'; its layers are "
            + layers.stream().map(LayerSpec::name).toList());
  }

  /** Whether the layer at {@code index} of {@link ModelSpec#layers()} is frozen. */
  boolean isFrozen(int index) {
    return frozen[index];
  }

  /** Names of the frozen layers, in layer order. */
  List<String> frozenNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < frozen.length; i++) {
      if (frozen[i]) {
        names.add(spec.layers().get(i).name());
      }
    }
    return names;
  }

  /** Floats of the trainable layers' parameters. */
  long trainableCount() {
    long n = 0;
    for (int r = 1; r < ranges.length; r += 2) {
      n += ranges[r];
    }
    return n;
  }

  /**
   * The trainable parts of the arena as {@code (offset, length)} pairs, adjacent tensors merged: one
   * pair covering the whole arena when nothing is frozen. Do not mutate.
   */
  int[] ranges() {
    return ranges;
  }

  private int parameterLayer(String name, String verb) {
    Objects.requireNonNull(name, "layer name");
    List<LayerSpec> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      if (l.name().equals(name)) {
        if (!l.hasParameters()) {
          throw new IllegalArgumentException(
              "cannot " + verb + " layer '" + name + "' of " + spec.network() + ": it is a " + l.type()
                  + " layer without parameters; layers with parameters: " + parameterLayerNames(spec));
        }
        return i;
      }
    }
    throw new IllegalArgumentException(
        "cannot " + verb + " '" + name + "': " + spec.network() + " has no such layer; layers with parameters: "
            + parameterLayerNames(spec));
  }

  /** Names of the layers that have parameters, in order. */
  static List<String> parameterLayerNames(ModelSpec spec) {
    return spec.layers().stream().filter(LayerSpec::hasParameters).map(LayerSpec::name).toList();
  }

  private int[] computeRanges() {
    List<Integer> pairs = new ArrayList<>();
    List<LayerSpec> layers = spec.layers();
    int start = -1;
    int end = -1;
    for (int i = 0; i < layers.size(); i++) {
      if (frozen[i]) {
        continue;
      }
      for (ParamSpec p : layers.get(i).params()) {
        if (!p.trained()) {
          continue;
        }
        if (p.offset() == end) {
          end += p.length();
        } else {
          if (start >= 0) {
            pairs.add(start);
            pairs.add(end - start);
          }
          start = p.offset();
          end = start + p.length();
        }
      }
    }
    if (start >= 0 && end > start) {
      pairs.add(start);
      pairs.add(end - start);
    }
    return pairs.stream().mapToInt(Integer::intValue).toArray();
  }
}
