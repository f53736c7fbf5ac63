package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.optim.Optimizer;
import dev.kiln.runtime.train.History;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any file given to resume from restores a checkpoint, or is refused with a {@link
 * CheckpointException} naming the file (or an IllegalArgumentException saying why this network
 * cannot resume from it) and leaves weights and optimizer untouched; never another exception, an
 * OutOfMemoryError or a hang. Raw bytes rarely get past the SHA-256, so a second target builds
 * files whose checksum is right from a real checkpoint's metadata and tensors with fuzzed values.
 */
class CheckpointFuzzTest {
  private static final ModelSpec SPEC =
      new ModelSpec(
          "Tiny",
          "input[2] -> out=Dense(2,LINEAR)",
          "0123",
          2,
          2,
          LossKind.MEAN_SQUARED_ERROR,
          new OptimizerSpec("ADAM", 1e-3f, 0, false, 0.9f, 0.999f, 1e-8f, 0),
          4,
          1,
          List.of(
              new LayerSpec("out", "Dense", new int[] {2}, "2, LINEAR",
                  List.of(
                      new ParamSpec("out.kernel", new int[] {2, 2}, 0, 4, Initializer.XAVIER_UNIFORM, 2, 2),
                      new ParamSpec("out.bias", new int[] {2}, 4, 2, Initializer.ZEROS, 2, 2)))),
          6,
          4);
  private static final Path DIR = tempDir();
  private static final Path FILE = DIR.resolve("fuzz.safetensors");
  private static final Map<String, String> VALID_META = new LinkedHashMap<>();
  private static final Map<String, float[]> VALID_DATA = new LinkedHashMap<>();
  private static final Map<String, int[]> VALID_SHAPES = new LinkedHashMap<>();

  static {
    try {
      Path valid = DIR.resolve("valid.safetensors");
      float[] params = {1, 2, 3, 4, 5, 6};
      CheckpointFile.write(valid, SPEC, params, SPEC.optimizer().create(6),
          new CheckpointFile.State(3, 4, 7, true, 99, new History(), Map.of()), ModelTrust.Settings.NONE);
      try (SafeTensorsFile f = SafeTensors.read(valid)) {
        VALID_META.putAll(f.metadata());
        for (String name : f.names()) {
          VALID_DATA.put(name, f.data(name));
          VALID_SHAPES.put(name, f.shape(name));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path tempDir() {
    try {
      Path d = Files.createTempDirectory("kiln-fuzz");
      d.toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void rawBytesResumeOrAreRefused(byte[] bytes) throws IOException {
    Files.write(FILE, bytes);
    resumeOrRefuse();
  }

  @FuzzTest(maxDuration = "10s")
  void checksummedFilesWithFuzzedFieldsResumeOrAreRefused(FuzzedDataProvider data) throws IOException {
    Map<String, String> meta = new LinkedHashMap<>(VALID_META);
    List<String> keys = new ArrayList<>(meta.keySet());
    keys.add(CheckpointFile.META_CALLBACK + "fuzz");
    keys.add(CheckpointFile.META_SHUFFLE);
    int edits = data.consumeInt(0, 4);
    for (int i = 0; i < edits; i++) {
      String key = data.pickValue(keys);
      if (data.consumeBoolean()) {
        meta.remove(key);
      } else {
        meta.put(key, data.consumeString(64));
      }
    }
    Map<String, float[]> tensors = new LinkedHashMap<>(VALID_DATA);
    Map<String, int[]> shapes = new LinkedHashMap<>(VALID_SHAPES);
    if (data.consumeBoolean()) {
      String name = data.pickValue(new ArrayList<>(tensors.keySet()));
      tensors.remove(name);
      shapes.remove(name);
    }
    if (data.consumeBoolean()) {
      String name =
          data.consumeBoolean()
              ? "callback.fuzz." + data.consumeString(8)
              : data.pickValue(new ArrayList<>(VALID_DATA.keySet()));
      int n = data.consumeInt(0, 8);
      float[] values = new float[n];
      for (int i = 0; i < n; i++) {
        values[i] = data.consumeFloat();
      }
      tensors.put(name, values);
      shapes.put(name, new int[] {n});
    }
    meta.remove(CheckpointFile.META_CHECKSUM);
    if (!data.consumeBoolean()) {
      meta.put(CheckpointFile.META_CHECKSUM, CheckpointFile.checksum(meta, tensors, shapes));
    }
    List<Tensor> list = new ArrayList<>();
    tensors.forEach((name, values) -> list.add(new Tensor(name, shapes.get(name), values, 0, values.length)));
    try {
      SafeTensors.write(FILE, meta, list);
    } catch (IllegalArgumentException e) {
      return; // a name or value the writer refuses: not a file anyone could resume from
    }
    resumeOrRefuse();
  }

  private static void resumeOrRefuse() throws IOException {
    float[] params = {-1, -2, -3, -4, -5, -6};
    Optimizer optimizer = SPEC.optimizer().create(6);
    long[] rng = {42};
    try {
      CheckpointFile.read(FILE, SPEC, params, optimizer, rng, true);
    } catch (CheckpointException e) {
      assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
      assertUnchanged(params, optimizer, rng);
    } catch (IllegalArgumentException e) {
      assertTrue(e.getMessage().startsWith("cannot resume Tiny"), e.getMessage());
      assertUnchanged(params, optimizer, rng);
    }
  }

  private static void assertUnchanged(float[] params, Optimizer optimizer, long[] rng) {
    assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, params);
    for (float[] buffer : optimizer.state()) {
      assertArrayEquals(new float[buffer.length], buffer);
    }
    assertTrue(rng[0] == 42 && optimizer.steps() == 0 && optimizer.learningRate() == 1e-3f);
  }

  /** Values the structured target can reach; each once let a bad value through after the weights were copied. */
  @org.junit.jupiter.api.Test
  void outOfRangeNumbersWithAValidChecksumAreRefusedBeforeAnythingChanges() throws IOException {
    String[][] cases = {
      {CheckpointFile.META_OPTIMIZER_STEPS, "-1", "kiln.optimizer.steps must be at least 0, got -1"},
      {CheckpointFile.META_LEARNING_RATE, "NaN", "kiln.optimizer.learning_rate must be a finite number >= 0, got NaN"},
      {CheckpointFile.META_LEARNING_RATE, "-Infinity", "must be a finite number >= 0, got -Infinity"},
      {CheckpointFile.META_BATCH_SIZE, "0", "kiln.batch_size must be at least 1, got 0"},
      {CheckpointFile.META_SHUFFLE, "maybe", "kiln.shuffle must be true or false, got maybe"},
    };
    for (String[] c : cases) {
      Map<String, String> meta = new LinkedHashMap<>(VALID_META);
      meta.put(c[0], c[1]);
      meta.remove(CheckpointFile.META_CHECKSUM);
      meta.put(CheckpointFile.META_CHECKSUM, CheckpointFile.checksum(meta, VALID_DATA, VALID_SHAPES));
      List<Tensor> list = new ArrayList<>();
      VALID_DATA.forEach((name, values) -> list.add(new Tensor(name, VALID_SHAPES.get(name), values, 0, values.length)));
      SafeTensors.write(FILE, meta, list);
      float[] params = {-1, -2, -3, -4, -5, -6};
      Optimizer optimizer = SPEC.optimizer().create(6);
      long[] rng = {42};
      CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(CheckpointException.class,
          () -> CheckpointFile.read(FILE, SPEC, params, optimizer, rng, true));
      assertTrue(e.getMessage().endsWith(c[2]), e.getMessage());
      assertUnchanged(params, optimizer, rng);
    }
  }

  @org.junit.jupiter.api.Test
  void theSeedCheckpointResumes() throws IOException {
    Path seed = Path.of("src/test/resources/dev/kiln/runtime/model/CheckpointFuzzTestInputs/rawBytesResumeOrAreRefused/checkpoint.safetensors");
    float[] params = new float[6];
    Optimizer optimizer = SPEC.optimizer().create(6);
    CheckpointFile.Resume r = CheckpointFile.read(seed, SPEC, params, optimizer, new long[1], true);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, params);
    assertTrue(r.epoch() == 1 && r.history().size() == 1 && r.callbacks().containsKey("early_stopping"));
  }
}
