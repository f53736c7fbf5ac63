package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.EarlyStopping;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.StopOnNaN;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Callbacks and progress output on real generated networks. */
class TrainingCallbacksTest {
  private static final Dataset DIGITS = SampleData.digits();
  private static final Dataset TRAIN = DIGITS.subset(0, 500);
  private static final Dataset VALIDATION = DIGITS.subset(500, 700);

  @Test
  void historyIsLiveDuringTrainingAndReturnedAfter() {
    List<Integer> sizes = new ArrayList<>();
    List<History> seen = new ArrayList<>();
    long[] batches = new long[1];
    Callback probe =
        new Callback() {
          @Override
          public void onBatchEnd(TrainingContext c) {
            batches[0]++;
            assertTrue(c.samplesSeen() > 0 && Double.isFinite(c.runningLoss()));
          }

          @Override
          public void onEpochEnd(TrainingContext c) {
            sizes.add(c.history().size());
            seen.add(c.history());
            assertEquals(c.epoch(), c.history().last().epoch());
            assertTrue(Double.isFinite(c.metric("val_accuracy")));
            // The running metrics of the epoch are the epoch's metrics.
            assertEquals(c.history().last().loss(), c.runningLoss(), 1e-12);
            assertEquals(c.history().last().accuracy(), c.runningAccuracy(), 1e-12);
          }
        };
    History h =
        new DigitsModel().train(TRAIN, TrainOptions.epochs(3).withValidation(VALIDATION).quiet().withCallbacks(probe));
    assertEquals(List.of(1, 2, 3), sizes);
    assertSame(h, seen.get(0));
    assertEquals(3 * 16, batches[0]); // 500 rows, batch 32
  }

  @Test
  void earlyStoppingEndToEndRestoresTheBestEpochsWeights() {
    List<float[]> weightsByEpoch = new ArrayList<>();
    Callback recorder =
        new Callback() {
          @Override
          public void onEpochEnd(TrainingContext c) {
            weightsByEpoch.add(c.copyWeights());
          }
        };
    DigitsModel model = new DigitsModel();
    // Nothing improves on epoch 1 by 100: stop after epoch 1 + patience 2.
    EarlyStopping stop = new EarlyStopping("val_loss", 2).withMinDelta(100).restoringBestWeights();
    History h =
        model.train(
            TRAIN, TrainOptions.epochs(20).withValidation(VALIDATION).quiet().withCallbacks(recorder, stop));
    assertEquals(3, h.size());
    assertEquals(3, stop.stoppedEpoch());
    assertEquals(1, stop.bestEpoch());
    assertArrayEquals(weightsByEpoch.get(0), model.parameters());
    assertFalse(java.util.Arrays.equals(weightsByEpoch.get(2), model.parameters()));
  }

  private static Dataset explodingData() {
    SplittableRandom r = new SplittableRandom(3);
    int rows = 64;
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) r.nextDouble() * 10;
      x[2 * i + 1] = (float) r.nextDouble() * 10;
      y[i] = x[2 * i] - x[2 * i + 1];
    }
    return Dataset.regression("lines", x, rows, 2, y, 1);
  }

  @Test
  void stopOnNaNEndsTrainingNormallyWithTheWeightsRestored() {
    ExplodingModel m = new ExplodingModel();
    float[] before = m.parameters();
    List<String> events = new ArrayList<>();
    TrainingContext[] context = new TrainingContext[1];
    Callback spy =
        new Callback() {
          @Override
          public void onTrainEnd(TrainingContext c) {
            events.add("end");
            context[0] = c;
          }
        };
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    History h =
        m.train(
            explodingData(),
            TrainOptions.epochs(5)
                .withOutput(new PrintStream(bytes, true, StandardCharsets.UTF_8))
                .withCallbacks(new StopOnNaN(), spy));
    assertEquals(0, h.size(), "the diverging epoch is not recorded");
    assertEquals(List.of("end"), events);
    assertNotNull(context[0].divergence());
    assertEquals(1, context[0].divergence().epoch());
    assertArrayEquals(before, m.parameters());
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("StopOnNaN: Exploding: training stopped in epoch 1"), bytes.toString());
  }

  @Test
  void progressOffATerminalIsOnePlainLinePerEpoch() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new DigitsModel()
        .train(
            TRAIN,
            TrainOptions.epochs(3)
                .withValidation(VALIDATION)
                .withOutput(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("\r"), text);
    List<String> lines = text.lines().toList();
    assertEquals(3, lines.size(), text);
    for (int i = 0; i < 3; i++) {
      String line = lines.get(i);
      assertTrue(
          line.matches(
              "epoch " + (i + 1) + "/3  loss \\d\\.\\d{4}  acc \\d\\.\\d{4}  val_loss \\d\\.\\d{4}"
                  + "  val_acc \\d\\.\\d{4}  \\d+\\.\\d{2}s  \\d+ samples/s"),
          line);
    }
  }
}
