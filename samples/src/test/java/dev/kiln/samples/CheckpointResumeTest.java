package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.model.CheckpointException;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.CsvLogger;
import dev.kiln.runtime.train.EpochStats;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.LearningRateSchedule;
import dev.kiln.runtime.train.ModelCheckpoint;
import dev.kiln.runtime.train.ReduceLearningRateOnPlateau;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run interrupted after epoch k and resumed from its checkpoint by a fresh model instance ends
 * bitwise where the uninterrupted run ends; bad checkpoints are refused and leave the model alone.
 */
class CheckpointResumeTest {
  @TempDir Path dir;

  private static final Dataset DIGITS = SampleData.digits();
  private static final Dataset TRAIN = DIGITS.subset(0, 500);
  private static final Dataset VALIDATION = DIGITS.subset(500, 700);

  /** Requests a stop at the end of epoch {@code k}, like a user pressing stop or a crash. */
  static Callback stopAfter(int k) {
    return new Callback() {
      @Override
      public void onEpochEnd(TrainingContext c) {
        if (c.epoch() == k) {
          c.requestStop("test: stop after epoch " + k);
        }
      }
    };
  }

  /** Callbacks with state that the resumed run must restore: a plateau schedule that fires often. */
  private List<Callback> stateful() {
    return List.of(
        new ReduceLearningRateOnPlateau("val_loss", 0.5, 2).withMinDelta(10),
        new CsvLogger(dir.resolve("history.csv")));
  }

  private static List<Callback> plus(List<Callback> a, Callback... b) {
    List<Callback> all = new ArrayList<>(a);
    all.addAll(List.of(b));
    return all;
  }

  private static void assertSameMetrics(History expected, History actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      EpochStats e = expected.epochs().get(i);
      EpochStats a = actual.epochs().get(i);
      assertEquals(e.epoch(), a.epoch());
      for (String m : EpochStats.METRICS) {
        assertEquals(e.metric(m), a.metric(m), "epoch " + e.epoch() + " " + m);
      }
    }
  }

  @Test
  void dropoutAdamRunStoppedByACallbackResumesBitwise() throws IOException {
    TrainOptions options = TrainOptions.epochs(6).withValidation(VALIDATION).quiet();
    DropoutDigitsModel reference = new DropoutDigitsModel();
    History full = reference.train(TRAIN, options.withCallbacks(stateful()));
    List<String> fullCsv = Files.readAllLines(dir.resolve("history.csv"));

    DropoutDigitsModel first = new DropoutDigitsModel();
    ModelCheckpoint every = ModelCheckpoint.everyEpochs(dir.resolve("ckpt-{epoch}.safetensors"), 1);
    // Stopped after epoch 4, when the plateau callback is midway through its patience.
    History part = first.train(TRAIN, options.withCallbacks(plus(stateful(), stopAfter(4), every)));
    assertEquals(4, part.size());
    assertEquals(dir.resolve("ckpt-4.safetensors"), every.lastSaved());
    assertFalse(Arrays.equals(reference.parameters(), first.parameters()));

    // A fresh instance with another seed: everything must come from the checkpoint.
    DropoutDigitsModel resumed = new DropoutDigitsModel(12345);
    History rest =
        resumed.train(
            TRAIN, options.withCallbacks(stateful()).resumeFrom(dir.resolve("ckpt-4.safetensors")));
    assertArrayEquals(reference.parameters(), resumed.parameters());
    assertSameMetrics(full, rest);
    // The plateau schedule did act (its state mattered), and the CSV was rebuilt to the same rows.
    List<String> csv = Files.readAllLines(dir.resolve("history.csv"));
    assertEquals(7, csv.size());
    assertTrue(!fullCsv.get(1).split(",")[5].equals(fullCsv.get(6).split(",")[5]), fullCsv.toString());
    for (int i = 1; i < csv.size(); i++) {
      assertEquals(cellsBut(fullCsv.get(i), 6, 7), cellsBut(csv.get(i), 6, 7), "row " + i);
    }
  }

  /** The CSV row without its timing cells. */
  private static List<String> cellsBut(String row, int... drop) {
    List<String> cells = new ArrayList<>(List.of(row.split(",", -1)));
    for (int i = drop.length - 1; i >= 0; i--) {
      cells.remove(drop[i]);
    }
    return cells;
  }

  @Test
  void unshuffledTrainingVisitsRowsInOrderAndResumesBitwise() throws IOException {
    TrainOptions options = TrainOptions.epochs(4).withShuffle(false).quiet();
    DropoutDigitsModel reference = new DropoutDigitsModel();
    reference.train(TRAIN, options);
    // Unshuffled is another run than shuffled ...
    DropoutDigitsModel shuffled = new DropoutDigitsModel();
    shuffled.train(TRAIN, TrainOptions.epochs(4).quiet());
    assertFalse(Arrays.equals(reference.parameters(), shuffled.parameters()));
    // ... and does not depend on the shuffle seed, which it does not use.
    DropoutDigitsModel otherSeed = new DropoutDigitsModel();
    otherSeed.train(TRAIN, options.withShuffleSeed(99));
    assertArrayEquals(reference.parameters(), otherSeed.parameters());
    // The first batch is rows 0..31 in order: one SGD-free check through the loss of batch 0.
    List<Double> firstBatchLoss = new ArrayList<>();
    DropoutDigitsModel probe = new DropoutDigitsModel();
    probe.train(TRAIN, options.withBatchSize(32).withCallbacks(new Callback() {
      @Override
      public void onBatchEnd(TrainingContext c) {
        if (c.epoch() == 1 && firstBatchLoss.isEmpty()) {
          firstBatchLoss.add(c.batchLoss());
        }
      }
    }));
    DropoutDigitsModel fresh = new DropoutDigitsModel();
    assertEquals(fresh.trainingLoss(TRAIN.subset(0, 32), fresh.seed() ^ 0x9E3779B97F4A7C15L, null),
        firstBatchLoss.get(0), 1e-9);

    DropoutDigitsModel first = new DropoutDigitsModel();
    first.train(TRAIN, TrainOptions.epochs(2).withShuffle(false).quiet());
    Path file = dir.resolve("unshuffled.safetensors");
    first.saveCheckpoint(file);
    DropoutDigitsModel resumed = new DropoutDigitsModel(7);
    resumed.train(TRAIN, options.resumeFrom(file));
    assertArrayEquals(reference.parameters(), resumed.parameters());
    // Resuming with the other setting would silently be another run: refused, model untouched.
    DropoutDigitsModel wrong = new DropoutDigitsModel(7);
    float[] before = wrong.parameters();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> wrong.train(TRAIN, TrainOptions.epochs(4).quiet().resumeFrom(file)));
    assertTrue(e.getMessage().contains("withShuffle(false)"), e.getMessage());
    assertArrayEquals(before, wrong.parameters());
  }

  @Test
  void resumingWithAnotherShuffleSeedDiverges() throws IOException {
    // Control: the comparison above can fail when the resumed run is not the same run.
    TrainOptions options = TrainOptions.epochs(4).quiet();
    DropoutDigitsModel reference = new DropoutDigitsModel();
    reference.train(TRAIN, options);
    DropoutDigitsModel first = new DropoutDigitsModel();
    first.train(TRAIN, TrainOptions.epochs(2).quiet());
    Path file = dir.resolve("two.safetensors");
    first.saveCheckpoint(file);
    DropoutDigitsModel same = new DropoutDigitsModel(1);
    same.train(TRAIN, options.resumeFrom(file));
    assertArrayEquals(reference.parameters(), same.parameters());
    DropoutDigitsModel other = new DropoutDigitsModel(1);
    other.train(TRAIN, options.withShuffleSeed(99).resumeFrom(file));
    assertFalse(Arrays.equals(reference.parameters(), other.parameters()));
  }

  private static void assertResumesBitwise(
      Supplier<CompiledModel> factory, Dataset data, TrainOptions options, int k, Path file)
      throws IOException {
    CompiledModel reference = factory.get();
    History full = reference.train(data, options);
    CompiledModel first = factory.get();
    first.train(data, options.withCallbacks(plus(options.callbacks(), stopAfter(k))));
    first.saveCheckpoint(file); // after train returns: between epochs
    CompiledModel resumed = factory.get();
    History rest = resumed.train(data, options.resumeFrom(file));
    assertArrayEquals(reference.parameters(), resumed.parameters(), resumed.spec().network());
    assertSameMetrics(full, rest);
  }

  @Test
  void sgdMomentumAdamWDropoutAndCosineScheduleResumeBitwise() throws IOException {
    assertResumesBitwise(
        NesterovDigitsModel::new, TRAIN, TrainOptions.epochs(5).quiet(), 2, dir.resolve("n.safetensors"));
    Dataset cancer = SampleData.breastCancer();
    assertResumesBitwise(
        BreastCancerModel::new, cancer, TrainOptions.epochs(5).quiet(), 3, dir.resolve("b.safetensors"));
    assertResumesBitwise(
        DigitsModel::new,
        TRAIN,
        TrainOptions.epochs(4).withBatchSize(50).quiet().withCallbacks(LearningRateSchedule.cosine(15, 1e-5)),
        1,
        dir.resolve("c.safetensors"));
    // Plain SGD keeps no buffer (an empty optimizer tensor); regression has no accuracy.
    assertResumesBitwise(
        PlainSgdDigitsModel::new, TRAIN, TrainOptions.epochs(3).quiet(), 1, dir.resolve("p.safetensors"));
    assertResumesBitwise(
        RegressorModel::new, regression(), TrainOptions.epochs(4).quiet(), 2, dir.resolve("r.safetensors"));
  }

  /** BatchNorm's running statistics, dropout masks after a convolution and Adam's moments all resume. */
  @Test
  void cnnWithBatchNormAndDropoutResumesBitwise() throws IOException {
    assertResumesBitwise(
        CnnDigitsModel::new, TRAIN, TrainOptions.epochs(4).quiet(), 2, dir.resolve("cnn.safetensors"));
  }

  private static Dataset regression() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    int rows = 200;
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) r.nextDouble(-2, 2);
      x[2 * i + 1] = (float) r.nextDouble(-1, 1);
      y[i] = (float) (Math.sin(x[2 * i]) + x[2 * i + 1] * x[2 * i + 1]);
    }
    return Dataset.regression("sin+square", x, rows, 2, y, 1);
  }

  @Test
  void checkpointHoldsTheRunStateInItsMetadata() throws IOException {
    DropoutDigitsModel model = new DropoutDigitsModel();
    model.train(TRAIN, TrainOptions.epochs(2).withBatchSize(64).quiet());
    Path file = dir.resolve("meta.safetensors");
    model.saveCheckpoint(file);
    try (SafeTensorsFile f = SafeTensors.read(file)) {
      assertEquals("2", f.metadata().get("kiln.epoch"));
      assertEquals("64", f.metadata().get("kiln.batch_size"));
      assertEquals("ADAM", f.metadata().get("kiln.optimizer"));
      assertEquals(Long.toString(2 * 8), f.metadata().get("kiln.optimizer.steps"));
      assertEquals(64, f.metadata().get("kiln.checkpoint_sha256").length());
      assertTrue(f.names().containsAll(List.of("hidden.kernel", "optimizer.state.0", "optimizer.state.1")));
    }
    // The weights of a checkpoint load like a weights file.
    DropoutDigitsModel loaded = new DropoutDigitsModel(5);
    loaded.load(file);
    assertArrayEquals(model.parameters(), loaded.parameters());
  }

  private static byte[] flip(byte[] bytes, int at) {
    byte[] copy = bytes.clone();
    copy[at] ^= 0x01;
    return copy;
  }

  private CheckpointException refused(CompiledModel model, Path file) {
    UncheckedIOException e =
        assertThrows(
            UncheckedIOException.class,
            () -> model.train(TRAIN, TrainOptions.epochs(4).quiet().resumeFrom(file)));
    return assertInstanceOf(CheckpointException.class, e.getCause());
  }

  @Test
  void truncatedOrFlippedCheckpointsAreRefusedAndThePreviousOneStillResumes() throws IOException {
    DropoutDigitsModel model = new DropoutDigitsModel();
    model.train(
        TRAIN,
        TrainOptions.epochs(2)
            .quiet()
            .withCallbacks(ModelCheckpoint.everyEpochs(dir.resolve("ckpt-{epoch}.safetensors"), 1)));
    byte[] good = Files.readAllBytes(dir.resolve("ckpt-2.safetensors"));

    DropoutDigitsModel victim = new DropoutDigitsModel(3);
    float[] before = victim.parameters();

    Path truncated = dir.resolve("truncated.safetensors");
    Files.write(truncated, Arrays.copyOf(good, good.length - 37));
    CheckpointException e = refused(victim, truncated);
    assertTrue(e.getMessage().startsWith(truncated.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());

    Path flippedData = dir.resolve("flipped-data.safetensors");
    Files.write(flippedData, flip(good, good.length - 1001));
    e = refused(victim, flippedData);
    assertTrue(e.getMessage().contains("checksum does not match"), e.getMessage());

    // A flipped bit in the metadata text that still parses: epoch "2" becomes "3".
    String text = new String(good, StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\"kiln.epoch\":\"2\"") + "\"kiln.epoch\":\"".length();
    Path flippedMeta = dir.resolve("flipped-meta.safetensors");
    Files.write(flippedMeta, flip(good, at));
    e = refused(victim, flippedMeta);
    assertTrue(e.getMessage().contains("checksum does not match"), e.getMessage());

    assertArrayEquals(before, victim.parameters(), "refused checkpoints leave the weights alone");

    // The previous checkpoint is intact and resumes to the same weights as an uninterrupted run.
    DropoutDigitsModel reference = new DropoutDigitsModel();
    reference.train(TRAIN, TrainOptions.epochs(4).quiet());
    victim.train(TRAIN, TrainOptions.epochs(4).quiet().resumeFrom(dir.resolve("ckpt-1.safetensors")));
    assertArrayEquals(reference.parameters(), victim.parameters());
  }

  @Test
  void checkpointOfAnotherArchitectureIsRefusedNamingBothNetworks() throws IOException {
    Path file = dir.resolve("narrow.safetensors");
    new NarrowDigitsModel().saveCheckpoint(file);
    DigitsModel digits = new DigitsModel();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> digits.train(TRAIN, TrainOptions.epochs(2).quiet().resumeFrom(file)));
    assertTrue(e.getMessage().startsWith("cannot resume Digits [input[64] -> hidden=Dense(64,RELU)"), e.getMessage());
    assertTrue(e.getMessage().contains("checkpoint of network 'NarrowDigits' [input[64] -> hidden=Dense(32,RELU)"), e.getMessage());
  }

  @Test
  void aWeightsFileIsNotACheckpoint() throws IOException {
    Path file = dir.resolve("weights.safetensors");
    new DigitsModel().save(file);
    CheckpointException e = refused(new DigitsModel(), file);
    assertTrue(e.getMessage().contains("holds only the weights of 'Digits' (written by save())"), e.getMessage());
  }

  static final class Boom extends RuntimeException {
    Boom() {
      super("callback failed");
    }
  }

  @Test
  void aThrowingCallbackStopsTrainingWithItsExceptionAndTheLastCheckpointStaysIntact()
      throws IOException {
    Path last = dir.resolve("last.safetensors");
    Boom boom = new Boom();
    Callback throwsInEpoch3 =
        new Callback() {
          @Override
          public void onBatchEnd(TrainingContext c) {
            if (c.epoch() == 3 && c.batch() == 4) {
              throw boom;
            }
          }
        };
    DropoutDigitsModel model = new DropoutDigitsModel();
    ModelCheckpoint checkpoint = ModelCheckpoint.everyEpochs(last, 1);
    Boom thrown =
        assertThrows(
            Boom.class,
            () -> model.train(TRAIN, TrainOptions.epochs(6).quiet().withCallbacks(checkpoint, throwsInEpoch3)));
    assertSame(boom, thrown);
    try (SafeTensorsFile f = SafeTensors.read(last)) {
      assertEquals("2", f.metadata().get("kiln.epoch"));
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of(last), files.toList(), "no temporary files left");
    }

    // A callback throwing in onEpochEnd: the checkpoint writer (called after it) does not run.
    Callback throwsAtEnd =
        new Callback() {
          @Override
          public void onEpochEnd(TrainingContext c) {
            if (c.epoch() == 3) {
              throw boom;
            }
          }
        };
    assertThrows(
        Boom.class,
        () ->
            new DropoutDigitsModel()
                .train(
                    TRAIN,
                    TrainOptions.epochs(6).quiet().withCallbacks(ModelCheckpoint.everyEpochs(last, 1), throwsAtEnd)));
    DropoutDigitsModel reference = new DropoutDigitsModel();
    reference.train(TRAIN, TrainOptions.epochs(4).quiet());
    DropoutDigitsModel resumed = new DropoutDigitsModel();
    resumed.train(TRAIN, TrainOptions.epochs(4).quiet().resumeFrom(last));
    assertArrayEquals(reference.parameters(), resumed.parameters(), "epoch-2 checkpoint still resumes exactly");
  }

  /** Inside an epoch the running gradient norms (or extra metrics) cannot be saved: refused, no file. */
  @Test
  void checkpointsInsideAnEpochAreRefusedWhileGradientNormsAreRecorded() {
    DigitsModel model = new DigitsModel();
    Callback saveMidEpoch =
        new Callback() {
          @Override
          public void onBatchEnd(TrainingContext c) {
            try {
              c.model().saveCheckpoint(dir.resolve("mid.safetensors"));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> model.train(TRAIN, TrainOptions.epochs(1).quiet().withGradientNorms().withCallbacks(saveMidEpoch)));
    assertTrue(e.getMessage().contains("inside epoch 1") && e.getMessage().contains("gradient norms"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("mid.safetensors")));
  }

  /**
   * A shuffled run with dropout, Adam and validation, checkpointed after batch 5 of epoch 2 and
   * resumed by a model of another seed: the same weights and history as the uninterrupted run.
   */
  @Test
  void aCheckpointInsideAnEpochResumesBitwise() throws IOException {
    TrainOptions options = TrainOptions.epochs(3).withValidation(VALIDATION).quiet();
    DropoutDigitsModel reference = new DropoutDigitsModel();
    History full = reference.train(TRAIN, options.withCallbacks(
        ModelCheckpoint.everyBatches(dir.resolve("mid-{epoch}-{batch}.safetensors"), 5)));
    DropoutDigitsModel resumed = new DropoutDigitsModel(77);
    History rest = resumed.train(TRAIN, options.resumeFrom(dir.resolve("mid-2-5.safetensors")));
    assertArrayEquals(reference.parameters(), resumed.parameters());
    assertSameMetrics(full, rest);
    // A batch size other than the checkpoint's cannot continue inside its epoch.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DropoutDigitsModel(77).train(TRAIN, options.withBatchSize(20).resumeFrom(dir.resolve("mid-2-5.safetensors"))));
    assertTrue(e.getMessage().contains("after 5 batches of 32 rows"), e.getMessage());
  }
}
