package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shipped networks learn their real data sets to the accuracy the README promises. */
class TrainingConvergenceTest {

  private static Split standardized(Split s) {
    Standardizer z = Standardizer.fit(s.train());
    return new Split(z.transform(s.train()), z.transform(s.validation()), z.transform(s.test()));
  }

  @Test
  void digitsReachesNinetyFivePercentOnHeldOutDigits() {
    Split s = standardized(SampleData.digits().split(7, 0.7, 0.15));
    DigitsModel model = new DigitsModel();
    History h = model.train(s.train(), TrainOptions.epochs(Digits.EPOCHS).withValidation(s.validation()).quiet());
    double acc = model.evaluate(s.test()).accuracy();
    assertTrue(acc >= 0.95, "digits test accuracy " + acc);
    assertTrue(h.last().loss() < h.epochs().get(0).loss(), "training loss must fall: " + h);
  }

  @Test
  void breastCancerReachesNinetyFivePercent() {
    Split s = standardized(SampleData.breastCancer().split(3, 0.7, 0.1));
    BreastCancerModel model = new BreastCancerModel();
    model.train(s.train(), TrainOptions.epochs(BreastCancer.EPOCHS).withValidation(s.validation()).quiet());
    double acc = model.evaluate(s.test()).accuracy();
    assertTrue(acc >= 0.95, "breast-cancer test accuracy " + acc);
  }

  @Test
  void sgdWithNesterovMomentumLearnsDigits() {
    Split s = standardized(SampleData.digits().split(7, 0.7, 0.15));
    CompiledModel model = new NesterovDigitsModel();
    model.train(s.train(), TrainOptions.epochs(20).quiet());
    double acc = model.evaluate(s.test()).accuracy();
    assertTrue(acc >= 0.93, "SGD+Nesterov digits accuracy " + acc);
  }

  @Test
  void regressionLossFallsBelowTheTargetsVariance() {
    SplittableRandom r = new SplittableRandom(1);
    int rows = 1000;
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    double mean = 0;
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) (r.nextDouble() * 4 - 2);
      x[2 * i + 1] = (float) (r.nextDouble() * 2 - 1);
      y[i] = (float) (Math.sin(x[2 * i]) + x[2 * i + 1] * x[2 * i + 1]);
      mean += y[i];
    }
    mean /= rows;
    double variance = 0;
    for (float v : y) {
      variance += (v - mean) * (v - mean);
    }
    variance /= rows;
    Dataset data = Dataset.regression("sin+square", x, rows, 2, y, 1);
    Split s = data.trainTestSplit(1, 0.8);
    CompiledModel model = new RegressorModel();
    model.train(s.train(), TrainOptions.epochs(60).quiet());
    double mse = model.evaluate(s.test()).loss();
    assertTrue(mse < 0.05 * variance, "test MSE " + mse + " vs target variance " + variance);
  }
}
