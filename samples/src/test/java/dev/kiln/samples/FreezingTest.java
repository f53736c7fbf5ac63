package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Frozen layers stay bitwise unchanged under every optimizer; freezing errors name the layers. */
class FreezingTest {
  private static final Dataset DIGITS = SampleData.digits().subset(0, 300);

  private static int[] bits(float[] a, ParamSpec p) {
    int[] out = new int[p.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.floatToRawIntBits(a[p.offset() + i]);
    }
    return out;
  }

  /** Freezes {@code frozen}, trains two epochs, checks every tensor of the model. */
  private static void assertFrozenLayersKeepTheirBits(CompiledModel model, String... frozen) {
    model.freeze(frozen);
    float[] before = model.parameters();
    model.train(DIGITS, TrainOptions.epochs(2).quiet());
    float[] after = model.parameters();
    Set<String> frozenSet = Set.of(frozen);
    for (LayerSpec l : model.spec().layers()) {
      for (ParamSpec p : l.params()) {
        if (frozenSet.contains(l.name())) {
          assertArrayEquals(bits(before, p), bits(after, p), p.name() + " is frozen");
        } else {
          assertFalse(Arrays.equals(bits(before, p), bits(after, p)), p.name() + " should have trained");
        }
      }
    }
  }

  @Test
  void frozenLayerIsBitwiseUnchangedUnderAdam() {
    assertFrozenLayersKeepTheirBits(new DigitsModel(1), "hidden");
  }

  @Test
  void frozenHeadIsBitwiseUnchangedUnderSgdWithNesterovMomentum() {
    assertFrozenLayersKeepTheirBits(new NesterovDigitsModel(1), "logits");
  }

  @Test
  void frozenLayerIsBitwiseUnchangedUnderSgdWithMomentumAndWeightDecay() {
    assertFrozenLayersKeepTheirBits(new MomentumDigitsModel(1), "hidden");
  }

  @Test
  void frozenMiddleLayerIsBitwiseUnchangedUnderAdamWWeightDecay() {
    // Freezing 'mid' leaves two trainable ranges, before and after it.
    assertFrozenLayersKeepTheirBits(new AdamWDigitsModel(1), "mid");
    assertFrozenLayersKeepTheirBits(new AdamWDigitsModel(2), "hidden", "output");
  }

  @Test
  void unfreezingRestoresExactlyTheUnfrozenTraining() {
    DigitsModel plain = new DigitsModel(3);
    plain.train(DIGITS, TrainOptions.epochs(1).quiet());
    DigitsModel toggled = new DigitsModel(3);
    toggled.freeze("hidden", "output");
    toggled.unfreeze("output", "hidden");
    assertFalse(toggled.isFrozen("hidden"));
    toggled.train(DIGITS, TrainOptions.epochs(1).quiet());
    assertArrayEquals(plain.parameters(), toggled.parameters());
  }

  @Test
  void frozenLayerTrainsAgainAfterUnfreezing() {
    DigitsModel model = new DigitsModel(5);
    model.freeze("hidden");
    model.train(DIGITS, TrainOptions.epochs(1).quiet());
    float[] before = model.parameters();
    model.unfreeze("hidden");
    model.train(DIGITS, TrainOptions.epochs(1).quiet());
    ParamSpec kernel = model.spec().parameters().get(0);
    assertFalse(Arrays.equals(bits(before, kernel), bits(model.parameters(), kernel)));
  }

  @Test
  void declaredFrozenLayerStartsFrozenAndCanBeUnfrozen() {
    DigitsNewHeadModel model = new DigitsNewHeadModel();
    assertTrue(model.isFrozen("hidden"));
    assertFalse(model.isFrozen("head"));
    assertFalse(model.spec().layers().get(1).trainable());
    model.unfreeze("hidden");
    assertFalse(model.isFrozen("hidden"));
    assertEquals(model.spec().parameterCount(), model.trainableParameterCount());
  }

  @Test
  void freezingAnUnknownLayerListsTheLayersAndChangesNothing() {
    DigitsModel model = new DigitsModel();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.freeze("hidden", "hiden"));
    assertTrue(e.getMessage().contains("'hiden'"), e.getMessage());
    assertTrue(e.getMessage().contains("Digits has no such layer"), e.getMessage());
    assertTrue(e.getMessage().contains("[hidden, output]"), e.getMessage());
    assertFalse(model.isFrozen("hidden"), "a refused call freezes nothing");
    IllegalArgumentException u = assertThrows(IllegalArgumentException.class, () -> model.unfreeze("out"));
    assertTrue(u.getMessage().contains("[hidden, output]"), u.getMessage());
    IllegalArgumentException q = assertThrows(IllegalArgumentException.class, () -> model.isFrozen("hiden"));
    assertTrue(q.getMessage().contains("[input, hidden, output]"), q.getMessage());
  }

  @Test
  void freezingALayerWithoutParametersIsRefused() {
    AdamWDigitsModel model = new AdamWDigitsModel();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.freeze("drop"));
    assertTrue(e.getMessage().contains("Dropout layer without parameters"), e.getMessage());
    assertTrue(e.getMessage().contains("[hidden, mid, output]"), e.getMessage());
    assertFalse(model.isFrozen("drop"));
  }

  @Test
  void trainingWithEveryLayerFrozenIsRefused() {
    DigitsModel model = new DigitsModel();
    model.freeze("hidden", "output");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> model.train(DIGITS, TrainOptions.epochs(1).quiet()));
    assertTrue(e.getMessage().contains("every layer is frozen [hidden, output]"), e.getMessage());
  }

  @Test
  void summaryShowsWhichLayersAreFrozenAndTheTotals() {
    DigitsModel model = new DigitsModel();
    String all = model.summary();
    assertTrue(all.contains("Parameters: 4,810 (18.8 KiB): 4,810 trainable, 0 frozen"), all);
    model.freeze("hidden");
    String s = model.summary();
    assertTrue(s.contains("Trainable"), s);
    assertTrue(s.matches("(?s).*\\nhidden +Dense\\(RELU\\) +\\[B, 64\\] +4,160  frozen\\n.*"), s);
    assertTrue(s.matches("(?s).*\\noutput +Dense\\(SOFTMAX\\) +\\[B, 10\\] +650  yes\\n.*"), s);
    assertTrue(s.matches("(?s).*\\ninput +Input +\\[B, 64\\] +0  -\\n.*"), s);
    assertTrue(s.contains("Parameters: 4,810 (18.8 KiB): 650 trainable, 4,160 frozen"), s);
    assertEquals(650, model.trainableParameterCount());
  }
}
