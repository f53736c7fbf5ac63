package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.train.Evaluation;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights saved by an earlier release still load: {@code release/digits-6c20a4e.safetensors} was
 * written by {@code mvn -q -DskipTests -Dsample=Digits package} at commit 6c20a4e, the last commit
 * before the op registry replaced the dense-only compiler, which printed
 * {@code test loss: 0.1318} and {@code test accuracy: 0.9815}. The same network compiled today must
 * accept the file (same architecture hash) and give the same figures on the same test split.
 */
class SavedWeightsCompatibilityTest {
  @TempDir Path dir;

  @Test
  void digitsWeightsSavedBeforeTheOpRegistryLoadAndPredictTheSame() throws Exception {
    Path weights = dir.resolve("digits.safetensors");
    try (InputStream in = getClass().getResourceAsStream("release/digits-6c20a4e.safetensors")) {
      Files.copy(in, weights);
    }
    DigitsModel model = new DigitsModel();
    model.load(weights);
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    Dataset test = scale.transform(split.test());
    Evaluation result = model.evaluate(test);
    assertEquals("0.9815", String.format("%.4f", result.accuracy()));
    assertEquals("0.1318", String.format("%.4f", result.loss()));
  }
}
