package dev.kiln.runtime.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LayerOutputTest {
  private static final float[] SAMPLE = {0.5f, -1f, 2f, 0.25f};

  @Test
  void theInputLayerGivesTheSampleAndTheLastLayerThePrediction() {
    TinyModel model = TinyModel.classifier();
    assertArrayEquals(SAMPLE, model.layerOutput("input", SAMPLE));
    assertArrayEquals(model.predict(SAMPLE), model.layerOutput("out", SAMPLE));
  }

  @Test
  void theOutputIsACopyAtAnyCapacity() {
    TinyModel model = TinyModel.classifier();
    model.predict(new float[40], 10, new float[30]); // grows the arenas to 10 samples
    float[] out = model.layerOutput("out", SAMPLE);
    out[0] = 42;
    assertArrayEquals(model.predict(SAMPLE), model.layerOutput("out", SAMPLE));
  }

  @Test
  void anUnknownLayerIsRefusedListingTheLayers() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TinyModel.classifier().layerOutput("hidden", SAMPLE));
    assertEquals("Tiny has no layer 'hidden'; its layers are [input, out]", e.getMessage());
  }

  @Test
  void aModelThatDoesNotExposeItsLayersSaysWhich() {
    TinyModel model = new TinyModel(new int[] {4}, 3, LossKind.SOFTMAX_CROSS_ENTROPY, false);
    UnsupportedOperationException e =
        assertThrows(UnsupportedOperationException.class, () -> model.layerOutput("out", SAMPLE));
    assertTrue(e.getMessage().startsWith("Tiny does not expose its layers' outputs"), e.getMessage());
  }

  @Test
  void theSampleIsChecked() {
    TinyModel model = TinyModel.classifier();
    assertThrows(IllegalArgumentException.class, () -> model.layerOutput("out", new float[3]));
    assertThrows(IllegalArgumentException.class, () -> model.layerOutput("out", new float[] {0, Float.NaN, 0, 0}));
  }
}
