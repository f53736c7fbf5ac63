package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.TrainOptions;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code predict(x, rows, out)} runs forward on the caller's array in place (no copy into the
 * arena): it must give bitwise what the copying path gives ({@code layerOutput} of the output layer
 * still copies the sample into the arena first), in every chunk of a large batch (the second chunk
 * starts at a nonzero offset of the caller's array), and leave training and layer 0's output intact.
 */
class InPlacePredictionTest {
  private static float[] inputs(int rows, int cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[rows * cols];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** The output layer's name, the last of the spec. */
  private static String outputLayer(CompiledModel model) {
    var layers = model.spec().layers();
    return layers.get(layers.size() - 1).name();
  }

  private static void assertInPlaceEqualsCopying(CompiledModel model) {
    int in = model.spec().inputs();
    int k = model.spec().outputs();
    int rows = 1030; // two chunks of Prediction's 1024 rows
    float[] x = inputs(rows, in, 7);
    float[] out = new float[rows * k];
    model.predict(x, rows, out);
    String last = outputLayer(model);
    for (int r : new int[] {0, 1, 517, 1023, 1024, 1029}) {
      float[] sample = Arrays.copyOfRange(x, r * in, (r + 1) * in);
      float[] expected = model.layerOutput(last, sample);
      assertArrayEquals(expected, Arrays.copyOfRange(out, r * k, (r + 1) * k),
          model.spec().network() + ", row " + r);
      assertArrayEquals(expected, model.predict(sample), model.spec().network() + ", row " + r + " alone");
    }
    // layer 0 (the input) is read from the arena, which the in-place pass did not write
    float[] sample = Arrays.copyOfRange(x, 3 * in, 4 * in);
    model.predict(x, rows, out);
    assertArrayEquals(sample, model.layerOutput(model.spec().layers().get(0).name(), sample));
  }

  @Test
  void anMlpPredictsInPlaceAsTheCopyingPathDoes() {
    assertInPlaceEqualsCopying(new DigitsModel(3));
  }

  @Test
  void aCnnWithBatchNormPredictsInPlaceAsTheCopyingPathDoes() {
    assertInPlaceEqualsCopying(new CnnDigitsModel(4));
  }

  @Test
  void aModelTrainedAfterInPlacePredictionsStillPredictsAsTheCopyingPathDoes() {
    DropoutDigitsModel model = new DropoutDigitsModel(11);
    assertInPlaceEqualsCopying(model);
    int rows = 64;
    float[] x = inputs(rows, 64, 9);
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % 10;
    }
    Dataset data = Dataset.classification("random", x, rows, 64, labels, 10);
    float[] before = new float[rows * 10];
    model.predict(x, rows, before);
    var history = model.train(data, TrainOptions.epochs(2).quiet());
    List<Double> losses = history.epochs().stream().map(e -> e.loss()).toList();
    assertTrue(losses.stream().allMatch(Double::isFinite), "losses " + losses);
    float[] after = new float[rows * 10];
    model.predict(x, rows, after);
    assertFalse(Arrays.equals(before, after), "training changed nothing");
    assertInPlaceEqualsCopying(model);
  }
}
