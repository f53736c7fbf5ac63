package dev.kiln.runtime.model;

import dev.kiln.runtime.io.SafeTensorsFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies layers' weights from another network (a model or a safetensors file) into a model's
 * parameter arena, matching layers by name: layer {@code L} owns the tensors named {@code L.*}
 * ({@code L.kernel}, {@code L.bias}). A layer is copied whole or not at all, and a transfer either
 * copies everything it was asked to or changes nothing.
 */
final class WeightTransfer {
  private WeightTransfer() {}

  /** Where the weights come from. */
  interface Source {
    /** For messages: "network 'FashionBase'" or the file's path. */
    String description();

    /** Tensor names in order. */
    List<String> names();

    int[] shape(String tensor);

    void readInto(String tensor, float[] dst, int offset) throws IOException;
  }

  static Source of(SafeTensorsFile file) {
    return new Source() {
      @Override
      public String description() {
        return "file " + file.path();
      }

      @Override
      public List<String> names() {
        return file.names();
      }

      @Override
      public int[] shape(String tensor) {
        return file.shape(tensor);
      }

      @Override
      public void readInto(String tensor, float[] dst, int offset) throws IOException {
        file.readInto(tensor, dst, offset);
      }
    };
  }

  static Source of(Model model) {
    Map<String, ParamSpec> byName = new LinkedHashMap<>();
    for (ParamSpec p : model.spec().parameters()) {
      byName.put(p.name(), p);
    }
    float[] values = model.parameters();
    return new Source() {
      @Override
      public String description() {
        return "network '" + model.spec().network() + "'";
      }

      @Override
      public List<String> names() {
        return List.copyOf(byName.keySet());
      }

      @Override
      public int[] shape(String tensor) {
        return byName.get(tensor).shape();
      }

      @Override
      public void readInto(String tensor, float[] dst, int offset) {
        ParamSpec p = byName.get(tensor);
        System.arraycopy(values, p.offset(), dst, offset, p.length());
      }
    };
  }

  /**
   * Copies the named layers of {@code source} into {@code params}; every one must exist on both
   * sides with the same tensors of the same shapes.
   *
   * @return the copied tensor names
   * @throws IllegalArgumentException naming the layer and the problem (both shapes, or the names
   *     that exist) if any requested layer cannot be copied; then {@code params} is unchanged
   */
  static List<String> copyLayers(ModelSpec target, float[] params, Source source, String... layers)
      throws IOException {
    if (layers == null || layers.length == 0) {
      throw new IllegalArgumentException(
          "name the layers to copy into " + target.network() + " (layers with parameters: "
              + TrainableLayers.parameterLayerNames(target) + "), or use loadMatching to copy every layer"
              + " whose name and shapes match");
    }
    Map<String, List<String>> sourceLayers = layersOf(source.names());
    List<LayerSpec> chosen = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String name : layers) {
      if (!seen.add(name)) {
        continue;
      }
      LayerSpec layer = targetLayer(target, name);
      List<String> held = sourceLayers.get(name);
      if (held == null) {
        throw new IllegalArgumentException(
            source.description() + " has no layer '" + name + "' to copy into " + target.network()
                + "; its layers are " + sourceLayers.keySet());
      }
      String mismatch = mismatch(layer, held, source);
      if (mismatch != null) {
        throw new IllegalArgumentException(
            "cannot copy layer '" + name + "' from " + source.description() + " into " + target.network()
                + ": " + mismatch);
      }
      chosen.add(layer);
    }
    return copy(params, source, chosen);
  }

  /**
   * Copies every layer of {@code target} for which {@code source} holds exactly the same tensors
   * with the same shapes; other layers keep their weights.
   *
   * @return the copied tensor names (empty if no layer matched)
   */
  static List<String> copyMatching(ModelSpec target, float[] params, Source source) throws IOException {
    Map<String, List<String>> sourceLayers = layersOf(source.names());
    List<LayerSpec> chosen = new ArrayList<>();
    for (LayerSpec layer : target.layers()) {
      List<String> held = sourceLayers.get(layer.name());
      if (layer.hasParameters() && held != null && mismatch(layer, held, source) == null) {
        chosen.add(layer);
      }
    }
    return copy(params, source, chosen);
  }

  private static List<String> copy(float[] params, Source source, List<LayerSpec> layers) throws IOException {
    float[] staged = params.clone();
    List<String> copied = new ArrayList<>();
    for (LayerSpec layer : layers) {
      for (ParamSpec p : layer.params()) {
        source.readInto(p.name(), staged, p.offset());
        copied.add(p.name());
      }
    }
    System.arraycopy(staged, 0, params, 0, params.length);
    return List.copyOf(copied);
  }

  private static LayerSpec targetLayer(ModelSpec target, String name) {
    for (LayerSpec l : target.layers()) {
      if (l.name().equals(name)) {
        if (!l.hasParameters()) {
          throw new IllegalArgumentException(
              "layer '" + name + "' of " + target.network() + " is a " + l.type()
                  + " layer without weights; layers with parameters: "
                  + TrainableLayers.parameterLayerNames(target));
        }
        return l;
      }
    }
    throw new IllegalArgumentException(
        target.network() + " has no layer '" + name + "' to copy into; layers with parameters: "
            + TrainableLayers.parameterLayerNames(target));
  }

  /** Why the source's tensors {@code held} cannot become {@code layer}'s, or null if they can. */
  private static String mismatch(LayerSpec layer, List<String> held, Source source) {
    List<String> needed = layer.params().stream().map(ParamSpec::name).toList();
    if (!Set.copyOf(held).equals(Set.copyOf(needed))) {
      return "the source holds tensors " + held + ", but " + layer.name() + " needs " + needed;
    }
    for (ParamSpec p : layer.params()) {
      int[] shape = source.shape(p.name());
      if (!Arrays.equals(shape, p.shape())) {
        return "tensor '" + p.name() + "' has shape " + Arrays.toString(shape) + " in the source, but "
            + Arrays.toString(p.shape()) + " here";
      }
    }
    return null;
  }

  /** Tensor names grouped by layer: {@code hidden.kernel} belongs to layer {@code hidden}. */
  private static Map<String, List<String>> layersOf(List<String> tensors) {
    Map<String, List<String>> layers = new LinkedHashMap<>();
    for (String t : tensors) {
      int dot = t.lastIndexOf('.');
      String layer = dot < 0 ? t : t.substring(0, dot);
      layers.computeIfAbsent(layer, k -> new ArrayList<>()).add(t);
    }
    return layers;
  }
}
