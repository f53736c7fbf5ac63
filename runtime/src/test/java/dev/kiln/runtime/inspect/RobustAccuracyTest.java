package dev.kiln.runtime.inspect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RobustAccuracyTest {
  /** 600 points of [0, 1]^4 labelled by the analytic network itself, so it is right on all of them. */
  private static Dataset labelledBy(TanhMlp model, int rows, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int in = model.inputs();
    float[] x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    float[] p = new float[rows * model.outputs()];
    model.predict(x, rows, p);
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = dev.kiln.runtime.train.Accuracy.predictedClass(p, i * model.outputs(), model.outputs());
    }
    // flip every tenth label so that clean accuracy is below 1
    for (int i = 0; i < rows; i += 10) {
      y[i] = (y[i] + 1) % model.outputs();
    }
    return Dataset.classification("points", x, rows, in, y, model.outputs());
  }

  @Test
  void robustAccuracyFallsWithEpsilonAndStartsAtCleanAccuracy() {
    TanhMlp model = new TanhMlp(4, 6, 3, 8);
    Dataset data = labelledBy(model, 600, 2);
    Pgd attack = Pgd.linf(0.1f).steps(10).randomStart(5).range(0, 1);
    double[] eps = {0, 0.02, 0.05, 0.1, 0.3};
    RobustAccuracy r = RobustAccuracy.evaluate(model, data, attack, eps);
    assertEquals(600, r.samples());
    assertEquals(540, r.cleanCorrect(), "the flipped tenth is wrong");
    assertEquals(r.cleanAccuracy(), r.accuracyAt(0), 0);
    for (int i = 1; i < eps.length; i++) {
      assertTrue(r.robustAccuracy(i) <= r.robustAccuracy(i - 1), r.toString());
    }
    assertTrue(r.accuracyAt(0.3) < 0.5 * r.cleanAccuracy(), r.toString());
    RobustAccuracy again = RobustAccuracy.evaluate(model, data, attack, eps);
    assertArrayEquals(r.robustCorrect(), again.robustCorrect(), "deterministic");
    // FGSM is weaker than PGD at the same radius
    RobustAccuracy fgsm = RobustAccuracy.evaluate(model, data, Fgsm.linf(0.1f).range(0, 1), 0.1);
    assertTrue(fgsm.robustAccuracy(0) >= r.accuracyAt(0.1), fgsm + " vs " + r);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.accuracyAt(0.2));
    assertTrue(e.getMessage().contains("0.2 was not evaluated"), e.getMessage());
  }

  @Test
  void mismatchedDataIsNamed() {
    TanhMlp model = new TanhMlp(4, 6, 3, 8);
    Dataset wrong = Dataset.classification("wide", new float[5], 1, 5, new int[] {0}, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RobustAccuracy.evaluate(model, wrong, Pgd.linf(0.1f), 0.1));
    assertTrue(e.getMessage().contains("'wide' has 5 features per row, the network takes 4"), e.getMessage());
    Dataset outside = Dataset.classification("big", new float[] {0, 0, 2, 0}, 1, 4, new int[] {0}, 3);
    e = assertThrows(IllegalArgumentException.class,
        () -> RobustAccuracy.evaluate(model, outside, Pgd.linf(0.1f).range(0, 1), 0.1));
    assertTrue(e.getMessage().contains("row 0, feature 2 is 2.0"), e.getMessage());
  }
}
