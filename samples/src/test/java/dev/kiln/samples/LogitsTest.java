package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.model.CompiledModel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code logits}: the pre-head outputs, from which the head gives exactly what {@code predict} gives. */
class LogitsTest {
  private static float[] inputs(int rows, int cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * cols];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  @Test
  void softmaxOfTheLogitsIsThePrediction() {
    CompiledModel model = new DigitsModel(3);
    int rows = 7;
    int k = model.spec().outputs();
    float[] x = inputs(rows, 64, 1);
    float[] p = new float[rows * k];
    float[] z = new float[rows * k];
    model.predict(x, rows, p);
    model.logits(x, rows, z);
    for (int i = 0; i < rows; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        max = Math.max(max, z[i * k + j]);
      }
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(z[i * k + j] - max);
      }
      boolean differs = false;
      for (int j = 0; j < k; j++) {
        double expected = Math.exp(z[i * k + j] - max) / sum;
        assertEquals(expected, p[i * k + j], 1e-6, "row " + i + ", class " + j);
        differs |= z[i * k + j] != p[i * k + j];
      }
      assertTrue(differs, "logits are not the probabilities");
    }
  }

  @Test
  void sigmoidOfTheLogitIsThePrediction() {
    CompiledModel model = new TanhBinaryModel(5);
    int rows = 5;
    float[] x = inputs(rows, 30, 2);
    float[] p = new float[rows];
    float[] z = new float[rows];
    model.predict(x, rows, p);
    model.logits(x, rows, z);
    for (int i = 0; i < rows; i++) {
      assertEquals(1 / (1 + Math.exp(-z[i])), p[i], 1e-6, "row " + i);
    }
  }

  @Test
  void aRegressionNetworksLogitsAreItsOutputs() {
    CompiledModel model = new RegressorModel(4);
    int rows = 3;
    float[] x = inputs(rows, 2, 3);
    float[] p = new float[rows * model.spec().outputs()];
    float[] z = new float[p.length];
    model.predict(x, rows, p);
    model.logits(x, rows, z);
    assertTrue(java.util.Arrays.equals(p, z));
  }

  @Test
  void aShortOutputArrayIsRefused() {
    CompiledModel model = new DigitsModel(3);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.logits(new float[2 * 64], 2, new float[5]));
    assertTrue(e.getMessage().contains("output holds 5 floats"), e.getMessage());
  }
}
