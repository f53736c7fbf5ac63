package dev.kiln.runtime.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallbacksTest {
  @TempDir Path dir;

  private static FakeRun run(Callback... callbacks) {
    return new FakeRun(TrainOptions.epochs(20).quiet().withCallbacks(callbacks), 40, 8, true);
  }

  @Test
  void earlyStoppingStopsAfterPatienceEpochsWithoutImprovementBeyondMinDelta() {
    EarlyStopping stop = new EarlyStopping("loss", 2).withMinDelta(0.01);
    FakeRun f = run(stop);
    f.run.begin(Map.of());
    double[] losses = {1.0, 0.8, 0.795, 0.79, 0.7};
    int epoch = 0;
    while (!f.run.stopRequested()) {
      epoch++;
      f.epoch(epoch, losses[epoch - 1], 0.5, Double.NaN, Double.NaN);
    }
    // 0.795 and 0.79 improve on 0.8 by less than 0.01: stop after epoch 4.
    assertEquals(4, epoch);
    assertEquals(4, stop.stoppedEpoch());
    assertEquals(2, stop.bestEpoch());
    assertEquals(0.8, stop.best());
    assertTrue(f.run.context().stopReason().contains("loss has not improved"));
  }

  @Test
  void earlyStoppingInfersMaxForAccuracyAndRestoresTheBestWeights() {
    EarlyStopping stop = new EarlyStopping("acc", 1).restoringBestWeights();
    FakeRun f = run(stop);
    f.run.begin(Map.of());
    f.params[0] = 1;
    f.epoch(1, 1, 0.60, 1, 0.5);
    f.params[0] = 2;
    f.epoch(2, 1, 0.70, 1, 0.5);
    f.params[0] = 3;
    f.epoch(3, 1, 0.65, 1, 0.5);
    assertTrue(f.run.stopRequested());
    f.run.end();
    assertEquals(2, f.params[0], "weights of epoch 2, the best accuracy");
  }

  @Test
  void monitoredMetricsAreCheckedBeforeTraining() {
    FakeRun noValidation = run(new EarlyStopping("val_loss", 3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> noValidation.run.begin(Map.of()));
    assertTrue(e.getMessage().contains("EarlyStopping monitors val_loss, but train() was given no validation data"), e.getMessage());
    FakeRun regression =
        new FakeRun(TrainOptions.epochs(2).quiet().withCallbacks(ModelCheckpoint.best(dir.resolve("c"), "acc")), 8, 8, false);
    e = assertThrows(IllegalArgumentException.class, () -> regression.run.begin(Map.of()));
    assertTrue(e.getMessage().contains("regression network"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new EarlyStopping("val_los", 3));
    assertEquals("unknown metric 'val_los'; use one of loss, accuracy, val_loss, val_accuracy", e.getMessage());
  }

  @Test
  void reduceOnPlateauFollowsKerasRulesWithCooldownAndFloor() {
    ReduceLearningRateOnPlateau plateau =
        new ReduceLearningRateOnPlateau("loss", 0.5, 2).withCooldown(1).withMinLearningRate(0.03);
    FakeRun f = run(plateau);
    f.run.begin(Map.of());
    double[] losses = {1, 1, 1, 1, 1, 1, 1, 1};
    List<Float> lrs = new ArrayList<>();
    for (int e = 1; e <= losses.length; e++) {
      f.epoch(e, losses[e - 1], 0.5, Double.NaN, Double.NaN);
      lrs.add(f.optimizer.learningRate());
    }
    // As Keras: epoch 1 sets the best; 2 and 3 do not improve -> 0.05 after epoch 3. Epoch 4 ends
    // the cooldown (wait reset, then counted: 1), epoch 5 -> 0.03, the floor (not 0.025). Epoch 6
    // ends the cooldown, epoch 7 would reduce but the rate is at the floor already.
    assertEquals(List.of(0.1f, 0.1f, 0.05f, 0.05f, 0.03f, 0.03f, 0.03f, 0.03f), lrs);
  }

  @Test
  void scheduleFormulas() {
    LearningRateSchedule step = LearningRateSchedule.stepDecay(2, 0.5);
    assertEquals(1.0, step.forEpoch(1, 1));
    assertEquals(1.0, step.forEpoch(1, 2));
    assertEquals(0.5, step.forEpoch(1, 3));
    assertEquals(0.25, step.forEpoch(1, 5));
    LearningRateSchedule exp = LearningRateSchedule.exponential(0.9);
    assertEquals(0.81, exp.forEpoch(1, 3), 1e-12);
    LearningRateSchedule cos = LearningRateSchedule.cosine(4, 0.1);
    assertEquals(0.25, cos.forStep(1, 0, 14), 1e-12);
    assertEquals(1.0, cos.forStep(1, 3, 14), 1e-12);
    assertEquals(1.0, cos.forStep(1, 4, 14), 1e-12);
    assertEquals(0.55, cos.forStep(1, 8, 13), 1e-12); // halfway from step 4 to step 12
    assertEquals(0.1, cos.forStep(1, 12, 13), 1e-12); // the last step reaches the minimum
  }

  @Test
  void cosineScheduleSetsTheRateBeforeEveryStep() {
    LearningRateSchedule cos = LearningRateSchedule.cosine(5, 0);
    List<Float> seen = new ArrayList<>();
    Callback spy =
        new Callback() {
          @Override
          public void onBatchBegin(TrainingContext c) {
            seen.add(c.learningRate());
          }
        };
    FakeRun f = new FakeRun(TrainOptions.epochs(2).quiet().withCallbacks(cos, spy), 40, 8, true);
    f.run.begin(Map.of());
    f.epoch(1, 1, 1, 1, 1);
    f.epoch(2, 1, 1, 1, 1);
    assertEquals(10, seen.size());
    assertEquals(0.1f * 1 / 5, seen.get(0));
    assertEquals(0.1f, seen.get(4));
    assertEquals(0f, seen.get(9), 1e-9);
    for (int i = 5; i < 10; i++) {
      assertTrue(seen.get(i) <= seen.get(i - 1), "decays after warm-up: " + seen);
    }
  }

  @Test
  void csvLoggerRewritesTheWholeHistoryAfterEveryEpoch() throws IOException {
    Path csv = dir.resolve("logs/history.csv");
    FakeRun f =
        new FakeRun(
            TrainOptions.epochs(3).quiet().withCallbacks(LearningRateSchedule.stepDecay(1, 0.5), new CsvLogger(csv)),
            16,
            8,
            false);
    f.run.begin(Map.of());
    f.epoch(1, 2.0, Double.NaN, Double.NaN, Double.NaN);
    assertEquals(2, Files.readAllLines(csv).size());
    f.epoch(2, 1.0, Double.NaN, Double.NaN, Double.NaN);
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertEquals(
        List.of(CsvLogger.HEADER, "1,2.0,,,,0.1,1.5,1000.0", "2,1.0,,,,0.05,1.5,1000.0"), lines);
    try (var files = Files.list(csv.getParent())) {
      assertEquals(1, files.count(), "no temporary files left behind");
    }
  }

  @Test
  void checkpointWritersRunAfterTheOtherCallbacksAndStateKeysAreUnique() {
    List<String> order = new ArrayList<>();
    class Named implements Callback {
      final String name;
      final boolean writer;

      Named(String name, boolean writer) {
        this.name = name;
        this.writer = writer;
      }

      @Override
      public void onEpochEnd(TrainingContext c) {
        order.add(name);
      }

      @Override
      public boolean writesCheckpoints() {
        return writer;
      }

      @Override
      public String stateKey() {
        return "same";
      }

      @Override
      public void saveState(CallbackState s) {
        s.putLong("id", name.hashCode());
      }
    }
    FakeRun f = run(new Named("writer", true), new Named("a", false), new Named("b", false));
    f.run.begin(Map.of());
    f.epoch(1, 1, 1, 1, 1);
    assertEquals(List.of("a", "b", "writer"), order);
    assertEquals(List.of("same", "same_2", "same_3"), List.copyOf(f.run.callbackStates().keySet()));
  }

  @Test
  void callbackStateRoundTripsExactly() {
    CallbackState s = new CallbackState().putDouble("best", 0.1 + 0.2).putLong("wait", 3).putFloats("w", new float[] {1.5f, Float.NaN});
    CallbackState t = new CallbackState();
    s.numbers().forEach(t::putNumberText);
    s.arrays().forEach(t::putFloats);
    assertEquals(0.1 + 0.2, t.getDouble("best", 0));
    assertEquals(3, t.getLong("wait", 0));
    assertArrayEquals(new float[] {1.5f, Float.NaN}, t.getFloats("w"));
    assertNull(t.getFloats("missing"));
    assertThrows(IllegalArgumentException.class, () -> s.putLong("a.b", 1));
  }

  @Test
  void stopRequestsAndStopOnNaN() {
    FakeRun plain = run();
    assertFalse(plain.run.stopOnDivergence(new TrainingDivergedException("boom", 1, 0)));
    FakeRun nan = run(new StopOnNaN());
    TrainingDivergedException e = new TrainingDivergedException("boom", 1, 0);
    assertTrue(nan.run.stopOnDivergence(e));
    assertTrue(nan.run.stopRequested());
    assertEquals(e, nan.run.context().divergence());
  }
}
