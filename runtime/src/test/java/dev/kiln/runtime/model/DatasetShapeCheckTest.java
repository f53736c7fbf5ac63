package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainOptions;
import org.junit.jupiter.api.Test;

class DatasetShapeCheckTest {
  private static Dataset flat(String name) {
    float[] x = new float[8 * 4];
    int[] y = new int[8];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) / 7f;
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 3;
    }
    return Dataset.classification(name, x, 8, 4, y, 3);
  }

  @Test
  void imagesOfTheInputShapeAndFlatRowsOfItsSizeAreAccepted() {
    TinyModel shaped = TinyModel.classifier();
    TinyModel flat = TinyModel.classifier();
    shaped.train(flat("imgs").withSampleShape(1, 2, 2), TrainOptions.epochs(2).quiet());
    flat.train(flat("rows"), TrainOptions.epochs(2).quiet());
    // Samples are flattened row-major either way: the same training.
    assertEquals(shaped.evaluate(flat("rows")).loss(), flat.evaluate(flat("rows").withSampleShape(1, 2, 2)).loss());
    assertFalse(Double.isNaN(shaped.evaluate(flat("imgs").withSampleShape(1, 2, 2)).accuracy()));
  }

  @Test
  void otherShapesAreRefusedNamingTheDataSetAndBothShapes() {
    TinyModel model = TinyModel.classifier();
    Dataset square = flat("square").withSampleShape(2, 2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.train(square, TrainOptions.epochs(1).quiet()));
    assertEquals(
        "training data 'square' has samples of shape [2, 2], but Tiny expects inputs of shape [1, 2, 2]"
            + " (or flat rows of 4 features, read row-major)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> model.evaluate(square));
    assertEquals(
        "evaluation data 'square' has samples of shape [2, 2], but Tiny expects inputs of shape [1, 2, 2]"
            + " (or flat rows of 4 features, read row-major)",
        e.getMessage());
    e = assertThrows(
        IllegalArgumentException.class,
        () -> model.train(flat("rows"), TrainOptions.epochs(1).quiet().withValidation(square)));
    assertEquals(
        "validation data 'square' has samples of shape [2, 2], but Tiny expects inputs of shape [1, 2, 2]"
            + " (or flat rows of 4 features, read row-major)",
        e.getMessage());
  }

  @Test
  void imagesAreRefusedByAVectorNetwork() {
    TinyModel vector = new TinyModel(new int[] {4}, 3, LossKind.SOFTMAX_CROSS_ENTROPY, true);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> vector.evaluate(flat("imgs").withSampleShape(1, 2, 2)));
    assertEquals(
        "evaluation data 'imgs' has samples of shape [1, 2, 2], but Tiny expects inputs of shape [4]"
            + " (or flat rows of 4 features, read row-major)",
        e.getMessage());
  }

  @Test
  void flatRowsOfAnotherSizeAreRefusedAsBefore() {
    Dataset wide = Dataset.classification("wide", new float[10], 2, 5, new int[] {0, 1}, 3);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TinyModel.classifier().evaluate(wide));
    assertEquals("evaluation data 'wide' has 5 features per row, but Tiny expects 4", e.getMessage());
  }
}
