package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** save/load round trips, the file's layout and metadata, and refusal of foreign weights. */
class PersistenceTest {
  @TempDir Path dir;

  @Test
  void savedWeightsLoadIntoAFreshModelWithIdenticalPredictions() throws IOException {
    Dataset digits = SampleData.digits().subset(0, 300);
    DigitsModel trained = new DigitsModel(1);
    trained.train(digits, TrainOptions.epochs(2).quiet());
    Path file = dir.resolve("digits.safetensors");
    trained.save(file);

    DigitsModel fresh = new DigitsModel(99);
    assertFalse(Arrays.equals(trained.parameters(), fresh.parameters()));
    fresh.load(file);
    assertArrayEquals(trained.parameters(), fresh.parameters());
    for (int i = 0; i < 20; i++) {
      assertArrayEquals(trained.predict(digits.row(i)), fresh.predict(digits.row(i)));
    }
  }

  @Test
  void fileCarriesNetworkNameArchitectureHashAndNamedTensors() throws IOException {
    DigitsModel model = new DigitsModel();
    Path file = dir.resolve("w.safetensors");
    model.save(file);
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals("Digits", f.metadata().get("kiln.network"));
      assertEquals(model.spec().architectureHash(), f.metadata().get("kiln.architecture_sha256"));
      assertEquals(
          java.util.List.of("hidden.kernel", "hidden.bias", "output.kernel", "output.bias"), f.names());
      assertArrayEquals(new int[] {64, 64}, f.shape("hidden.kernel"));
      assertArrayEquals(new int[] {10}, f.shape("output.bias"));
      float[] kernel = f.data("hidden.kernel");
      assertArrayEquals(Arrays.copyOfRange(model.parameters(), 0, 64 * 64), kernel);
    }
  }

  @Test
  void weightsOfAnotherArchitectureAreRefusedNamingBoth() throws IOException {
    Path file = dir.resolve("narrow.safetensors");
    new NarrowDigitsModel().save(file);
    DigitsModel digits = new DigitsModel();
    float[] before = digits.parameters();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> digits.load(file));
    assertTrue(e.getMessage().contains("'NarrowDigits'"), e.getMessage());
    assertTrue(e.getMessage().contains("'Digits'"), e.getMessage());
    assertTrue(e.getMessage().contains("Dense(32,RELU)") && e.getMessage().contains("Dense(64,RELU)"), e.getMessage());
    assertArrayEquals(before, digits.parameters(), "a refused load must not change the weights");
  }

  @Test
  void truncatedWeightsFileIsRefusedAndWeightsKept() throws IOException {
    Path file = dir.resolve("digits.safetensors");
    new DigitsModel(3).save(file);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
    DigitsModel model = new DigitsModel();
    float[] before = model.parameters();
    IOException e = assertThrows(IOException.class, () -> model.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertArrayEquals(before, model.parameters());
  }

  @Test
  void missingWeightsFileNamesThePath() {
    Path file = dir.resolve("nope.safetensors");
    IOException e = assertThrows(IOException.class, () -> new DigitsModel().load(file));
    assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
  }

  @Test
  void savingReplacesTheFileAtomicallyLeavingNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("digits.safetensors");
    new DigitsModel(1).save(file);
    new DigitsModel(2).save(file);
    DigitsModel loaded = new DigitsModel(3);
    loaded.load(file);
    assertArrayEquals(new DigitsModel(2).parameters(), loaded.parameters());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "only the weights file may remain");
    }
  }
}
