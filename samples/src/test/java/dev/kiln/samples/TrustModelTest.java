package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.SafeTensorsFile;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.trust.Answer;
import dev.kiln.runtime.trust.CalibrationResult;
import dev.kiln.runtime.trust.Head;
import dev.kiln.runtime.trust.OodDetector;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import dev.kiln.runtime.trust.TemperatureScaling;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calibration and out-of-distribution warnings on generated models: the temperature is applied by
 * {@code predict} and {@code evaluate} (classes unchanged), saved and loaded with the weights and in
 * checkpoints, ignored by training; the rule flags inputs and is saved too; bad input is refused.
 */
class TrustModelTest {
  static Dataset train;
  static Dataset validation;
  static Dataset test;

  @TempDir Path dir;

  @BeforeAll
  static void data() {
    Split split = SampleData.digits().split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    train = scale.transform(split.train());
    validation = scale.transform(split.validation());
    test = scale.transform(split.test());
  }

  /** Digits trained long enough with a high learning rate to be over-confident. */
  static DigitsModel trained() {
    DigitsModel model = new DigitsModel(3);
    model.train(train, TrainOptions.epochs(40).withVerbosity(dev.kiln.runtime.train.Verbosity.QUIET));
    return model;
  }

  /** Standard Gaussian noise, on the scale of the standardized digits: a named out-of-distribution set. */
  static Dataset noise(int rows) {
    SplittableRandom r = new SplittableRandom(5);
    float[] x = new float[rows * 64];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return Dataset.classification("gaussian noise", x, rows, 64, new int[rows], 10);
  }

  @Test
  void calibrationIsAppliedByPredictAndEvaluate() {
    DigitsModel model = trained();
    Evaluation raw = model.evaluate(test);
    float[] rawProbabilities = model.predict(test.row(0));
    CalibrationResult result = model.calibrate(validation);
    double t = model.temperature();
    System.out.println("Digits calibration on validation:\n" + result);
    assertEquals(result.temperature(), t);
    assertNotEquals(1, t);
    assertTrue(result.after().negativeLogLikelihood() <= result.before().negativeLogLikelihood());
    assertEquals(result.before().negativeLogLikelihood(), result.after().negativeLogLikelihood(), 1);

    // predict = softmax(logits / T), for one sample and for a batch; classes unchanged.
    int rows = test.rows();
    float[] z = new float[rows * 10];
    float[] p = new float[rows * 10];
    model.logits(test.features(), rows, z);
    model.predict(test.features(), rows, p);
    float[] expected = new float[10];
    for (int i = 0; i < rows; i++) {
      Head.SOFTMAX.probabilities(z, i * 10, 10, t, expected, 0);
      for (int j = 0; j < 10; j++) {
        assertEquals(expected[j], p[i * 10 + j], 1e-6, "row " + i + ", class " + j);
      }
      assertArrayEquals(java.util.Arrays.copyOfRange(p, i * 10, i * 10 + 10), model.predict(test.row(i)), 1e-7f);
    }
    assertFalse(java.util.Arrays.equals(rawProbabilities, model.predict(test.row(0))));

    // evaluate: accuracy and confusion unchanged, loss = NLL of the calibrated probabilities.
    Evaluation calibrated = model.evaluate(test);
    assertEquals(raw.accuracy(), calibrated.accuracy());
    assertArrayEquals(raw.confusion(), calibrated.confusion());
    assertEquals(
        TemperatureScaling.meanNegativeLogLikelihood(z, 10, test.labels(), Head.SOFTMAX, t), calibrated.loss(), 1e-12);
    for (int i = 0; i < rows; i++) {
      int argmax = 0;
      for (int j = 1; j < 10; j++) {
        argmax = z[i * 10 + j] > z[i * 10 + argmax] ? j : argmax;
      }
      assertEquals(argmax, model.predictClass(test.row(i)), "row " + i);
    }

    model.resetCalibration();
    assertEquals(1, model.temperature());
    assertArrayEquals(rawProbabilities, model.predict(test.row(0)));
    assertEquals(raw.loss(), model.evaluate(test).loss());
  }

  @Test
  void sigmoidCalibration() {
    TanhBinaryModel model = new TanhBinaryModel(4);
    SplittableRandom r = new SplittableRandom(8);
    int rows = 97;
    float[] x = new float[rows * 30];
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < 30; k++) {
        x[i * 30 + k] = (float) (3 * r.nextGaussian());
      }
      y[i] = r.nextInt(2);
    }
    Dataset data = Dataset.classification("random", x, rows, 30, y, 2);
    CalibrationResult result = model.calibrate(data);
    assertTrue(result.after().negativeLogLikelihood() <= result.before().negativeLogLikelihood());
    float[] z = new float[rows];
    float[] p = new float[rows];
    model.logits(x, rows, z);
    model.predict(x, rows, p);
    for (int i = 0; i < rows; i++) {
      assertEquals(Head.sigmoid(z[i] / model.temperature()), p[i], 1e-6, "row " + i);
      assertEquals(z[i] >= 0 ? 1 : 0, model.predictClass(java.util.Arrays.copyOfRange(x, i * 30, i * 30 + 30)));
    }
  }

  @Test
  void outOfDistributionRuleFlagsNoiseAndAnswersWithEachPrediction() {
    DigitsModel model = trained();
    model.calibrate(validation);
    OodDetector rule = model.fitOutOfDistribution(validation);
    assertEquals(OodScore.ENERGY, rule.score());
    assertEquals(1, rule.temperature());
    Dataset noise = noise(200);
    OodEvaluation energy = model.evaluateOutOfDistribution(test, noise);
    OodEvaluation msp = model.evaluateOutOfDistribution(test, noise, OodScore.MAX_SOFTMAX_PROBABILITY);
    System.out.println("Digits against noise: " + energy + "; " + msp);
    assertEquals(rule, energy.detector());
    assertEquals(null, msp.detector());
    assertEquals(model.temperature(), msp.temperature());
    assertTrue(energy.auroc() > 0.9, energy.toString()); // 0.9395 when written
    assertTrue(rule.flaggedFraction(
        OodScore.ENERGY.values(logits(model, validation), validation.rows(), 10, Head.SOFTMAX, 1)) <= 0.05 + 1e-12);

    int flagged = 0;
    for (int i = 0; i < noise.rows(); i++) {
      float[] sample = noise.row(i);
      Answer a = model.predictWithWarning(sample);
      float[] z = new float[10];
      model.logits(sample, 1, z);
      assertArrayEquals(model.predict(sample), a.probabilities(), 0f);
      assertEquals(model.predictClass(sample), a.predictedClass());
      assertEquals(OodScore.ENERGY.value(z, 0, 10, Head.SOFTMAX, 1), a.score(), 1e-9);
      assertEquals(rule.flags(a.score()), a.outOfDistribution());
      flagged += a.outOfDistribution() ? 1 : 0;
    }
    assertEquals(energy.outFlaggedFraction(), flagged / (double) noise.rows(), 1e-12);

    model.resetOutOfDistribution();
    assertTrue(model.outOfDistributionDetector().isEmpty());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.predictWithWarning(test.row(0)));
    assertTrue(e.getMessage().contains("fitOutOfDistribution"), e.getMessage());
  }

  private static float[] logits(CompiledModel model, Dataset data) {
    float[] z = new float[data.rows() * model.spec().outputs()];
    model.logits(data.features(), data.rows(), z);
    return z;
  }

  @Test
  void temperatureAndRuleAreSavedWithTheWeightsAndInCheckpoints() throws IOException {
    DigitsModel model = new DigitsModel(3);
    Path old = dir.resolve("old.safetensors");
    model.save(old); // uncalibrated: written as before calibration existed
    try (SafeTensorsFile f = SafeTensors.read(old)) {
      assertFalse(f.metadata().keySet().stream().anyMatch(k -> k.contains("calibration") || k.contains("ood")));
    }
    model.calibrate(validation);
    OodDetector rule = model.fitOutOfDistribution(validation, OodScore.MAX_SOFTMAX_PROBABILITY, 0.9);
    assertEquals(model.temperature(), rule.temperature());
    Path weights = dir.resolve("calibrated.safetensors");
    Path checkpoint = dir.resolve("calibrated.ckpt");
    model.save(weights);
    model.saveCheckpoint(checkpoint);
    for (Path file : new Path[] {weights, checkpoint}) {
      DigitsModel loaded = new DigitsModel(99);
      loaded.load(file);
      assertEquals(model.temperature(), loaded.temperature(), 0, file.toString());
      assertEquals(rule, loaded.outOfDistributionDetector().orElseThrow(), file.toString());
      assertArrayEquals(model.predict(test.row(3)), loaded.predict(test.row(3)), file.toString());
      Answer a = model.predictWithWarning(test.row(3));
      Answer b = loaded.predictWithWarning(test.row(3));
      assertEquals(a.score(), b.score(), 0);
      assertEquals(a.outOfDistribution(), b.outOfDistribution());
    }
    // An old file gives T = 1 and no rule, whatever the model had.
    model.load(old);
    assertEquals(1, model.temperature());
    assertTrue(model.outOfDistributionDetector().isEmpty());
  }

  @Test
  void trainingIgnoresTheTemperature() {
    DigitsModel plain = new DigitsModel(3);
    DigitsModel calibrated = new DigitsModel(3);
    calibrated.calibrate(validation);
    assertNotEquals(1, calibrated.temperature());
    TrainOptions options = TrainOptions.epochs(2).withVerbosity(dev.kiln.runtime.train.Verbosity.QUIET);
    History a = plain.train(train, options);
    History b = calibrated.train(train, options);
    assertArrayEquals(plain.parameters(), calibrated.parameters());
    assertEquals(a.epochs().get(1).loss(), b.epochs().get(1).loss());
  }

  @Test
  void badInputIsRefused() {
    DigitsModel model = new DigitsModel(3);
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class, () -> model.calibrate(validation.subset(0, 0)));
    assertTrue(empty.getMessage().contains("has no rows"), empty.getMessage());
    IllegalArgumentException shape =
        assertThrows(IllegalArgumentException.class,
            () -> model.calibrate(Dataset.classification("wide", new float[6 * 5], 6, 5, new int[6], 10)));
    assertTrue(shape.getMessage().contains("'wide' has 5 features per row, but Digits expects 64"), shape.getMessage());
    UnsupportedOperationException regression =
        assertThrows(UnsupportedOperationException.class,
            () -> new RegressorModel(2).calibrate(Dataset.regression("r", new float[4], 2, 2, new float[2], 1)));
    assertTrue(regression.getMessage().contains("regression network"), regression.getMessage());
    assertThrows(UnsupportedOperationException.class,
        () -> new RegressorModel(2).fitOutOfDistribution(Dataset.regression("r", new float[4], 2, 2, new float[2], 1)));
    IllegalArgumentException rate =
        assertThrows(IllegalArgumentException.class,
            () -> model.fitOutOfDistribution(validation, OodScore.ENERGY, 1.5));
    assertTrue(rate.getMessage().contains("accept rate"), rate.getMessage());
    IllegalArgumentException out =
        assertThrows(IllegalArgumentException.class,
            () -> model.evaluateOutOfDistribution(test, Dataset.classification("tiny", new float[3], 1, 3, new int[1], 2)));
    assertTrue(out.getMessage().contains("out-of-distribution data 'tiny' has 3 features per row"), out.getMessage());
  }
}
