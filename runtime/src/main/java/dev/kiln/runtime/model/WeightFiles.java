package dev.kiln.runtime.model;

import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weights as safetensors files: one tensor per parameter under its name, with the network's name,
 * architecture and architecture hash in the metadata (training checkpoints are {@link
 * CheckpointFile}).
 */
final class WeightFiles {
  private WeightFiles() {}

  /**
   * Writes {@code params} (arena layout of {@code spec}) to {@code file}, atomically, with the
   * calibration temperature and out-of-distribution rule in the metadata when set.
   */
  static void save(Path file, ModelSpec spec, float[] params, ModelTrust.Settings trust) throws IOException {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(CompiledModel.META_NETWORK, spec.network());
    meta.put(CompiledModel.META_ARCHITECTURE, spec.architecture());
    meta.put(CompiledModel.META_ARCHITECTURE_HASH, spec.architectureHash());
    trust.writeTo(meta);
    List<Tensor> tensors = new ArrayList<>();
    for (ParamSpec p : spec.parameters()) {
      tensors.add(new Tensor(p.name(), p.shape(), params, p.offset(), p.length()));
    }
    SafeTensors.write(file, meta, tensors);
  }

  /**
   * Reads every parameter of {@code spec} from {@code file} into {@code params}; nothing changes if
   * a check fails. Files without Kiln metadata (written by another tool) are accepted when names
   * and shapes match.
   *
   * @return the calibration temperature and out-of-distribution rule saved with the weights (T = 1
   *     and none for files written without them)
   * @throws IllegalArgumentException naming both networks if the file holds another architecture,
   *     or naming the tensor if one is missing or has another shape
   */
  static ModelTrust.Settings load(Path file, ModelSpec spec, float[] params) throws IOException {
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      String hash = f.metadata().get(CompiledModel.META_ARCHITECTURE_HASH);
      if (hash != null && !hash.equals(spec.architectureHash())) {
        throw new IllegalArgumentException(
            file + " holds weights of network '" + f.metadata().getOrDefault(CompiledModel.META_NETWORK, "?")
                + "' [" + f.metadata().getOrDefault(CompiledModel.META_ARCHITECTURE, "?")
                + "], which cannot be loaded into '" + spec.network() + "' [" + spec.architecture() + "]");
      }
      ModelTrust.Settings trust = ModelTrust.Settings.readFrom(file, f.metadata());
      float[] staged = params.clone();
      for (ParamSpec p : spec.parameters()) {
        if (!f.names().contains(p.name())) {
          throw new IllegalArgumentException(
              file + " has no tensor '" + p.name() + "' needed by " + spec.network() + "; it holds "
                  + f.names());
        }
        int[] shape = f.shape(p.name());
        if (!Arrays.equals(shape, p.shape())) {
          throw new IllegalArgumentException(
              file + ": tensor '" + p.name() + "' has shape " + Arrays.toString(shape) + ", but "
                  + spec.network() + " needs " + Arrays.toString(p.shape()));
        }
        f.readInto(p.name(), staged, p.offset());
      }
      System.arraycopy(staged, 0, params, 0, params.length);
      return trust;
    }
  }
}
