package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetStandardizerTest {
  @TempDir Path dir;

  // Two target columns: prices around 250000 (std 50000) and a constant column.
  private static final Dataset TRAIN =
      Dataset.regression("houses", new float[] {1, 2, 3, 4}, 4, 1,
          new float[] {200_000, 7, 300_000, 7, 250_000, 7, 250_000, 7}, 2);

  @Test
  void fitsMeanAndPopulationStdPerTargetColumn() {
    TargetStandardizer y = TargetStandardizer.fit(TRAIN);
    assertEquals(2, y.cols());
    assertArrayEquals(new float[] {250_000, 7}, y.mean());
    // population std of {200k, 300k, 250k, 250k} = sqrt((2.5e9 + 2.5e9) / 4); constant column -> 1
    assertArrayEquals(new float[] {(float) Math.sqrt(1.25e9), 1}, y.std());
  }

  @Test
  void transformStandardizesTargetsAndInverseTransformRestoresThem() {
    TargetStandardizer y = TargetStandardizer.fit(TRAIN);
    Dataset z = y.transform(TRAIN);
    assertSame(TRAIN.features(), z.features());
    float[] t = z.targets();
    assertEquals(-Math.sqrt(2), t[0], 1e-6);
    assertEquals(Math.sqrt(2), t[2], 1e-6);
    assertEquals(0, t[4], 1e-6);
    assertEquals(0, t[1], 0); // the constant column becomes zeros, not NaN
    float[] back = y.inverseTransform(t.clone());
    assertArrayEquals(TRAIN.targets(), back, 0.02f);
    // Several rows at once, in place.
    float[] rows = {1, 0, -1, 2};
    assertSame(rows, y.inverseTransform(rows));
    assertArrayEquals(new float[] {250_000 + (float) Math.sqrt(1.25e9), 7, 250_000 - (float) Math.sqrt(1.25e9), 9}, rows, 0.05f);
  }

  @Test
  void wrongShapesAndClassificationDataAreRefused() {
    TargetStandardizer y = TargetStandardizer.fit(TRAIN);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> y.inverseTransform(new float[3]));
    assertTrue(e.getMessage().contains("fitted on 2 target columns, but got 3 values"), e.getMessage());
    Dataset one = Dataset.regression("one", new float[] {1}, 1, 1, new float[] {5}, 1);
    e = assertThrows(IllegalArgumentException.class, () -> y.transform(one));
    assertTrue(e.getMessage().contains("dataset 'one' has 1 target columns"), e.getMessage());
    Dataset labels = Dataset.classification("iris", new float[] {1, 2}, 2, 1, new int[] {0, 1}, 2);
    e = assertThrows(IllegalArgumentException.class, () -> TargetStandardizer.fit(labels));
    assertTrue(e.getMessage().contains("dataset 'iris' holds class labels"), e.getMessage());
  }

  @Test
  void savesAndLoadsAndRefusesOtherFiles() throws IOException {
    TargetStandardizer y = TargetStandardizer.fit(TRAIN);
    Path file = dir.resolve("targets.safetensors");
    y.save(file);
    TargetStandardizer back = TargetStandardizer.load(file);
    assertArrayEquals(y.mean(), back.mean());
    assertArrayEquals(y.std(), back.std());

    Path other = dir.resolve("weights.safetensors");
    dev.kiln.runtime.io.SafeTensors.write(other, java.util.Map.of(),
        java.util.List.of(dev.kiln.runtime.io.Tensor.of("out.bias", new float[] {1, 2}, 2)));
    IOException e = assertThrows(IOException.class, () -> TargetStandardizer.load(other));
    assertTrue(e.getMessage().startsWith(other + " is not a TargetStandardizer file"), e.getMessage());
  }
}
