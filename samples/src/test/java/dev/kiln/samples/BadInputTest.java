package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingDivergedException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Wrong input to a generated model fails with a message that names the problem. */
class BadInputTest {

  @Test
  void sampleOfTheWrongLengthNamesExpectedAndActual() {
    DigitsModel m = new DigitsModel();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(new float[63]));
    assertTrue(e.getMessage().contains("63") && e.getMessage().contains("64"), e.getMessage());
  }

  @Test
  void batchWithOneBadSampleNamesItsIndex() {
    DigitsModel m = new DigitsModel();
    float[][] batch = {new float[64], new float[64], new float[65]};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(batch));
    assertTrue(e.getMessage().contains("sample 2") && e.getMessage().contains("65"), e.getMessage());
  }

  @Test
  void nanOrInfinityInPredictInputNamesSampleAndFeature() {
    DigitsModel m = new DigitsModel();
    float[] one = new float[64];
    one[17] = Float.NaN;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.predict(one));
    assertTrue(e.getMessage().startsWith("sample, feature 17 is NaN; Digits needs finite inputs"), e.getMessage());

    float[][] batch = {new float[64], new float[64], new float[64]};
    batch[2][63] = Float.NEGATIVE_INFINITY;
    e = assertThrows(IllegalArgumentException.class, () -> m.predict(batch));
    assertTrue(e.getMessage().startsWith("sample 2, feature 63 is -Infinity"), e.getMessage());

    float[] flat = new float[3 * 64];
    flat[64 + 5] = Float.POSITIVE_INFINITY;
    e = assertThrows(IllegalArgumentException.class, () -> m.predict(flat, 3, new float[30]));
    assertTrue(e.getMessage().startsWith("sample 1, feature 5 is Infinity"), e.getMessage());
    // Values past the rows asked for are not looked at.
    float[] tail = new float[2 * 64];
    tail[64] = Float.NaN;
    m.predict(tail, 1, new float[10]);
  }

  @Test
  void savingUnderARegularFileNamesIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("notes.txt"), "x");
    java.nio.file.Path target = file.resolve("run").resolve("digits.safetensors");
    DigitsModel m = new DigitsModel();
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> m.save(target));
    assertTrue(e.getMessage().equals("cannot write " + target + ": " + file + " is not a directory"), e.getMessage());
    e = assertThrows(java.io.IOException.class, () -> m.saveCheckpoint(target));
    assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
  }

  @Test
  void dataWithTheWrongFeatureCountIsRefusedBeforeTraining() {
    Dataset wrong = Dataset.classification("wrong", new float[10 * 30], 10, 30, new int[10], 10);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DigitsModel().train(wrong, TrainOptions.epochs(1).quiet()));
    assertTrue(e.getMessage().contains("30") && e.getMessage().contains("64"), e.getMessage());
  }

  @Test
  void nanInDataNamesTheRow() {
    float[] x = new float[5 * 64];
    x[3 * 64 + 7] = Float.NaN;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Dataset.classification("d", x, 5, 64, new int[5], 10));
    assertTrue(e.getMessage().contains("row 3"), e.getMessage());
  }

  @Test
  void labelOutsideTheClassRangeNamesTheRow() {
    int[] labels = {0, 1, 12, 3};
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Dataset.classification("d", new float[4 * 64], 4, 64, labels, 10));
    assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("12"), e.getMessage());
  }

  @Test
  void moreClassesThanOutputsIsRefused() {
    Dataset d = Dataset.classification("d", new float[4 * 64], 4, 64, new int[] {0, 1, 2, 11}, 12);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DigitsModel().evaluate(d));
    assertTrue(e.getMessage().contains("12 classes") && e.getMessage().contains("10 outputs"), e.getMessage());
  }

  @Test
  void divergingTrainingStopsWithAClearMessageAndKeepsTheLastGoodWeights() {
    SplittableRandom r = new SplittableRandom(3);
    int rows = 64;
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) r.nextDouble() * 10;
      x[2 * i + 1] = (float) r.nextDouble() * 10;
      y[i] = x[2 * i] - x[2 * i + 1];
    }
    ExplodingModel m = new ExplodingModel();
    float[] before = m.parameters();
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class,
            () -> m.train(Dataset.regression("lines", x, rows, 2, y, 1), TrainOptions.epochs(5).quiet()));
    assertTrue(e.getMessage().contains("epoch 1") && e.getMessage().contains("restored"), e.getMessage());
    assertArrayEquals(before, m.parameters(), "weights must be those before the diverging epoch");
    for (float v : m.parameters()) {
      assertTrue(Float.isFinite(v));
    }
  }
}
