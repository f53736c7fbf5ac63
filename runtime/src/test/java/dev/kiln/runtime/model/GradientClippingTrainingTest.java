package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.CsvLogger;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gradient clipping and gradient norms in training runs of a {@link TinyModel} regressor. */
class GradientClippingTrainingTest {
  @TempDir
  Path dir;

  /** Targets far from what the initial weights give, so gradients are large and clipping bites. */
  private static Dataset data(int rows) {
    float[] x = new float[rows * 3];
    float[] t = new float[rows * 2];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < 3; k++) {
        x[i * 3 + k] = ((i * 7 + k * 3) % 11) / 11f;
      }
      t[i * 2] = 40 * x[i * 3] - 25 * x[i * 3 + 2];
      t[i * 2 + 1] = 30 * x[i * 3 + 1];
    }
    return Dataset.regression("train", x, rows, 3, t, 2);
  }

  private static TinyModel model() {
    return new TinyModel(new int[] {3}, 2, LossKind.MEAN_SQUARED_ERROR, true);
  }

  private static TinyModel declaring(double clipNorm, double clipValue) {
    return new TinyModel(
        new int[] {3}, 2, LossKind.MEAN_SQUARED_ERROR, true, new GradientClipSpec(clipNorm, clipValue));
  }

  private static TrainOptions options(int epochs) {
    return TrainOptions.epochs(epochs).quiet().withBatchSize(4);
  }

  @Test
  void clippedTrainingIsBitwiseReproducibleAndDiffersFromUnclipped() {
    TinyModel a = model(), b = model(), plain = model();
    a.train(data(22), options(5).withGradientClipNorm(0.5).withGradientClipValue(0.1));
    b.train(data(22), options(5).withGradientClipNorm(0.5).withGradientClipValue(0.1));
    plain.train(data(22), options(5));
    assertArrayEquals(a.parameters(), b.parameters());
    assertFalse(Arrays.equals(a.parameters(), plain.parameters()), "clipping changed the training");
  }

  @Test
  void theDeclaredClippingAppliesAndTrainOptionsOverrideIt() {
    TinyModel declared = declaring(0.5, 0), viaOptions = model(), overridden = declaring(0.5, 0), plain = model();
    declared.train(data(22), options(3));
    viaOptions.train(data(22), options(3).withGradientClipNorm(0.5));
    overridden.train(data(22), options(3).withoutGradientClipping());
    plain.train(data(22), options(3));
    assertArrayEquals(viaOptions.parameters(), declared.parameters());
    assertArrayEquals(plain.parameters(), overridden.parameters());
    assertFalse(Arrays.equals(plain.parameters(), declared.parameters()));

    TinyModel otherBound = declaring(0.5, 0), same = model();
    otherBound.train(data(22), options(3).withGradientClipNorm(2));
    same.train(data(22), options(3).withGradientClipNorm(2));
    assertArrayEquals(same.parameters(), otherBound.parameters());
  }

  @Test
  void resumingAClippedRunFromACheckpointIsBitwiseTheUninterruptedRun() throws IOException {
    TrainOptions clipped = options(6).withGradientClipNorm(0.5).withGradientClipValue(0.2).withGradientNorms();
    TinyModel whole = model();
    History full = whole.train(data(22), clipped);

    TinyModel first = model();
    Path checkpoint = dir.resolve("epoch3.safetensors");
    first.train(data(22), options(3).withGradientClipNorm(0.5).withGradientClipValue(0.2).withGradientNorms());
    first.saveCheckpoint(checkpoint);
    TinyModel resumed = model();
    History rest = resumed.train(data(22), clipped.resumeFrom(checkpoint));

    assertArrayEquals(whole.parameters(), resumed.parameters());
    assertEquals(6, rest.size());
    assertArrayEquals(full.gradientNorms("out"), rest.gradientNorms("out"));
    assertArrayEquals(full.totalGradientNorms(), rest.totalGradientNorms());
  }

  @Test
  void recordedGradientNormsEqualADirectComputation() {
    Dataset d = data(8);
    TinyModel model = model();
    float[] gradient = new float[model.spec().parameterCount()];
    model.trainingLoss(d, 0, gradient);
    double squares = 0;
    for (float v : gradient) {
      squares += (double) v * v;
    }
    double expected = Math.sqrt(squares);
    // One batch per epoch: epoch 1's mean is the norm of the gradient at the initial weights.
    History h = model.train(d, TrainOptions.epochs(2).quiet().withBatchSize(8).withShuffle(false)
        .withGradientClipNorm(expected / 4).withGradientNorms());
    assertEquals(expected, h.gradientNorms("out")[0], 1e-6 * expected, "the norm before clipping");
    assertEquals(expected, h.totalGradientNorms()[0], 1e-6 * expected);
    assertEquals(List.of("out"), List.copyOf(h.last().gradientNorms().layers().keySet()));

    // Several batches: the mean over the epoch's steps.
    TinyModel stepwise = model();
    History many = stepwise.train(data(12), options(1).withShuffle(false).withGradientNorms());
    TinyModel replay = model();
    double sum = 0;
    for (int b = 0; b < 3; b++) {
      Dataset batch = data(12).subset(4 * b, 4 * b + 4);
      float[] g = new float[gradient.length];
      replay.trainingLoss(batch, 0, g);
      double s = 0;
      for (float v : g) {
        s += (double) v * v;
      }
      sum += Math.sqrt(s);
      replay.train(batch, TrainOptions.epochs(1).quiet().withBatchSize(4).withShuffle(false));
    }
    assertEquals(sum / 3, many.gradientNorms("out")[0], 1e-6 * sum / 3);
  }

  @Test
  void gradientNormsAreAbsentUnlessAskedForAndUnknownLayersAreNamed() {
    History h = model().train(data(8), options(1));
    assertNull(h.last().gradientNorms());
    IllegalStateException none = assertThrows(IllegalStateException.class, () -> h.gradientNorms("out"));
    assertTrue(none.getMessage().contains("withGradientNorms()"), none.getMessage());
    History recorded = model().train(data(8), options(1).withGradientNorms());
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> recorded.gradientNorms("hidden"));
    assertEquals("no gradient norms of layer 'hidden'; recorded layers (those with trained parameters): [out]",
        unknown.getMessage());
  }

  @Test
  void csvLoggerWritesTheGradientNormColumns() throws IOException {
    Path csv = dir.resolve("log.csv");
    History h = model().train(data(8), options(2).withGradientNorms().withCallbacks(new CsvLogger(csv)));
    List<String> lines = Files.readAllLines(csv);
    assertEquals(CsvLogger.HEADER + ",grad_norm,grad_norm_out,update_ratio_out", lines.get(0));
    EpochStats second = h.epochs().get(1);
    assertTrue(lines.get(2).endsWith("," + second.gradientNorms().total() + "," + second.gradientNorms().layers().get("out")
        + "," + second.gradientNorms().updateRatios().get("out")), lines.get(2));
  }

  @Test
  void recordedUpdateRatiosEqualADirectComputation() {
    Dataset d = data(8);
    TinyModel model = model();
    float[] before = model.parameters();
    // One batch per epoch: epoch 1's mean is that one step's ratio.
    History h = model.train(d, TrainOptions.epochs(1).quiet().withBatchSize(8).withShuffle(false).withGradientNorms());
    float[] after = model.parameters();
    double change = 0;
    double weight = 0;
    for (int i = 0; i < before.length; i++) {
      change += Math.pow((double) after[i] - before[i], 2);
      weight += Math.pow(before[i], 2);
    }
    double expected = Math.sqrt(change / weight);
    assertTrue(expected > 0);
    assertEquals(expected, h.updateRatios("out")[0], 1e-9 * expected);
    assertEquals(expected, h.last().gradientNorms().updateRatios().get("out"), 1e-9 * expected);
  }

  @Test
  void theResumedHistoryKeepsTheUpdateRatios() throws IOException {
    TrainOptions recorded = options(4).withGradientNorms();
    History full = model().train(data(22), recorded);
    TinyModel first = model();
    Path checkpoint = dir.resolve("epoch2.safetensors");
    first.train(data(22), options(2).withGradientNorms());
    first.saveCheckpoint(checkpoint);
    History rest = model().train(data(22), recorded.resumeFrom(checkpoint));
    assertArrayEquals(full.updateRatios("out"), rest.updateRatios("out"));
  }

  @Test
  void aGradientHealthCallbackRecordsTheNormsItNeedsAndWarnsOfLargeUpdates() {
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    dev.kiln.runtime.train.GradientHealth health =
        new dev.kiln.runtime.train.GradientHealth(1e-4, 100, 1e-6, 1e-3, new java.io.PrintStream(printed, true));
    // No withGradientNorms(): the callback asks for them. A bound of 1e-3 on the ratio: this regressor's
    // first steps move its small initial weights by far more.
    History h = model().train(data(22), options(2).withCallbacks(health));
    assertTrue(h.last().gradientNorms() != null, "the callback turned the recording on");
    assertFalse(health.warnings().isEmpty());
    dev.kiln.runtime.train.GradientHealth.Warning w = health.warnings().get(0);
    assertEquals(dev.kiln.runtime.train.GradientHealth.Kind.LARGE_UPDATES, w.kind());
    assertEquals("out", w.layer());
    assertEquals(h.updateRatios("out")[0], w.value());
    assertTrue(printed.toString().startsWith("warning: epoch 1: updates of layer 'out' are "), printed.toString());
    assertEquals(health.warnings(), health.check(h));
  }
}
