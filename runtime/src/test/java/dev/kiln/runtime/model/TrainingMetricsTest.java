package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.Metric;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingMetricsTest {
  @TempDir
  Path dir;

  /** Mean absolute error over every output of every sample. */
  static class MeanAbsoluteError implements Metric {
    private double sum;
    private long count;

    @Override
    public String name() {
      return "mae";
    }

    @Override
    public void reset() {
      sum = 0;
      count = 0;
    }

    @Override
    public void accumulate(float[] outputs, int offset, int rows, int width, int[] labels, float[] targets) {
      for (int i = 0; i < rows * width; i++) {
        sum += Math.abs(outputs[offset + i] - targets[i]);
      }
      count += (long) rows * width;
    }

    @Override
    public double result() {
      return count == 0 ? Double.NaN : sum / count;
    }
  }

  private static Dataset regression(String name, int rows, int seed) {
    float[] x = new float[rows * 3];
    float[] t = new float[rows * 2];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < 3; k++) {
        x[i * 3 + k] = ((i * 7 + k * 3 + seed) % 11) / 11f;
      }
      t[i * 2] = x[i * 3] - 0.5f * x[i * 3 + 2];
      t[i * 2 + 1] = 0.25f * x[i * 3 + 1];
    }
    return Dataset.regression(name, x, rows, 3, t, 2);
  }

  private static TinyModel regressor() {
    return new TinyModel(new int[] {3}, 2, LossKind.MEAN_SQUARED_ERROR, true);
  }

  @Test
  void extraMetricsAreRecordedForTrainingAndValidation() {
    TinyModel model = regressor();
    Dataset val = regression("val", 6, 5);
    History h =
        model.train(
            regression("train", 10, 0),
            TrainOptions.epochs(3).quiet().withValidation(val).withMetrics(new MeanAbsoluteError()));
    EpochStats last = h.last();
    assertEquals(List.of("mae", "val_mae"), List.copyOf(last.metrics().keySet()));
    // Validation after the last epoch measured the weights as they are now.
    assertEquals(model.evaluate(val).mae(), last.metric("val_mae"), 1e-6);
    assertTrue(last.metric("mae") > 0);
    assertTrue(last.format(3).contains("  mae "), last.format(3));
  }

  @Test
  void accuracyIsMeasuredForClassificationWithoutBeingAsked() {
    float[] x = new float[12 * 4];
    int[] y = new int[12];
    for (int i = 0; i < 12; i++) {
      y[i] = i % 3;
      x[i * 4 + y[i]] = 1;
    }
    Dataset d = Dataset.classification("one-hot", x, 12, 4, y, 3);
    History h = TinyModel.classifier().train(d, TrainOptions.epochs(30).quiet());
    assertEquals(1.0, h.last().accuracy());
    assertEquals(Map.of(), h.last().metrics());
  }

  @Test
  void metricNamesAreChecked() {
    Metric loss = new MeanAbsoluteError() {
      @Override
      public String name() {
        return "loss";
      }
    };
    assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(1).withMetrics(loss));
    assertThrows(IllegalArgumentException.class, () -> TrainOptions.epochs(1).withMetrics(Metric.accuracy()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainOptions.epochs(1).withMetrics(new MeanAbsoluteError(), new MeanAbsoluteError()));
    assertEquals("two metrics are named 'mae'", e.getMessage());
  }

  @Test
  void checkpointsKeepTheMetricsAndResumeExactly() throws IOException {
    Dataset train = regression("train", 10, 0);
    Dataset val = regression("val", 6, 5);
    TinyModel straight = regressor();
    History full =
        straight.train(
            train, TrainOptions.epochs(4).quiet().withBatchSize(4).withValidation(val).withMetrics(new MeanAbsoluteError()));

    TinyModel first = regressor();
    History firstTwo =
        first.train(
            train, TrainOptions.epochs(2).quiet().withBatchSize(4).withValidation(val).withMetrics(new MeanAbsoluteError()));
    Path checkpoint = dir.resolve("epoch2.safetensors");
    first.saveCheckpoint(checkpoint);
    TinyModel resumed = regressor();
    History h =
        resumed.train(
            train,
            TrainOptions.epochs(4).quiet().withValidation(val).withMetrics(new MeanAbsoluteError()).resumeFrom(checkpoint));

    assertEquals(firstTwo.epochs(), h.epochs().subList(0, 2));
    for (int e = 2; e < 4; e++) {
      assertEquals(full.epochs().get(e).loss(), h.epochs().get(e).loss());
      assertEquals(full.epochs().get(e).metrics(), h.epochs().get(e).metrics());
    }
    assertArrayEquals(straight.parameters(), resumed.parameters());
  }

  @Test
  void historyRowsWithoutMetricsKeepTheirFormat() throws IOException {
    String old = "1,0.5,0.25,NaN,NaN,1.5,1000.0;2,0.25,0.5,NaN,NaN,1.25,1200.0";
    History h = CheckpointFile.parseHistory(dir.resolve("old"), old);
    assertEquals(new EpochStats(2, 0.25, 0.5, Double.NaN, Double.NaN, 1.25, 1200.0), h.last());
    assertEquals(old, CheckpointFile.historyText(h));
    h.add(new EpochStats(3, 0.125, 0.75, 0.5, 0.5, 1, 1000, Map.of("f1", 0.5)));
    assertEquals(old + ";3,0.125,0.75,0.5,0.5,1.0,1000.0,f1=0.5", CheckpointFile.historyText(h));
    assertEquals(h.last(), CheckpointFile.parseHistory(dir.resolve("new"), CheckpointFile.historyText(h)).last());
    assertThrows(CheckpointException.class, () -> CheckpointFile.parseHistory(dir.resolve("bad"), "1,0.5,0.25,NaN,NaN,1.5,1000.0,f1"));
  }
}
