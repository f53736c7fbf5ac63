package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.TargetStandardizer;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.RegressionMetrics;
import dev.kiln.runtime.train.TrainOptions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Training on standardized targets, with predictions and metrics back in the original units. */
class TargetStandardizationTest {
  /** House-price-like targets: around 300000, spread 80000, a smooth function of two features. */
  private static Dataset prices(String name, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      x[2 * i] = (float) r.nextDouble(-1, 1);
      x[2 * i + 1] = (float) r.nextDouble(-1, 1);
      y[i] = (float) (300_000 + 60_000 * Math.sin(2 * x[2 * i]) + 40_000 * x[2 * i + 1] * x[2 * i + 1]);
    }
    return Dataset.regression(name, x, rows, 2, y, 1);
  }

  @Test
  void predictionsAndMetricsComeBackInOriginalUnits() {
    Dataset train = prices("train", 800, 1);
    Dataset test = prices("test", 200, 2);
    TargetStandardizer z = TargetStandardizer.fit(train);
    RegressorModel model = new RegressorModel();
    model.train(z.transform(train), TrainOptions.epochs(60).quiet());

    RegressionMetrics original = model.evaluate(test, z);
    Evaluation standardized = model.evaluate(z.transform(test));
    float std = z.std()[0];
    // R² does not depend on the units; MSE scales with std², MAE with std.
    assertEquals(standardized.r2(), original.r2(), 1e-4);
    assertEquals(standardized.mse() * std * std, original.mse(), original.mse() * 1e-3);
    assertEquals(standardized.mae() * std, original.mae(), original.mae() * 1e-3);
    assertTrue(original.r2() > 0.9, "R² " + original.r2());
    assertTrue(original.mae() < 15_000, "MAE " + original.mae() + " (targets spread " + std + ")");

    float[] price = z.inverseTransform(model.predict(test.row(0)));
    assertEquals(test.targets()[0], price[0], 20_000, "a prediction in dollars");
  }

  @Test
  void rawLargeTargetsLearnFarLessInTheSameEpochs() {
    // The control: the same network on unscaled targets, to show what standardizing buys.
    Dataset train = prices("train", 800, 1);
    Dataset test = prices("test", 200, 2);
    RegressorModel raw = new RegressorModel();
    raw.train(train, TrainOptions.epochs(60).quiet());
    double rawR2 = raw.evaluate(test).r2();
    assertTrue(rawR2 < 0.5, "unscaled R² " + rawR2);
  }
}
