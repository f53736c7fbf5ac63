package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.io.SafeTensors;
import dev.kiln.runtime.io.Tensor;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.model.ParamSpec;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copying layers between networks by name, from a model or a safetensors file. */
class TransferLearningTest {
  private static final List<String> HIDDEN = List.of("hidden.kernel", "hidden.bias");

  @TempDir Path dir;

  private static float[] tensor(Model m, String name) {
    for (ParamSpec p : m.spec().parameters()) {
      if (p.name().equals(name)) {
        return Arrays.copyOfRange(m.parameters(), p.offset(), p.offset() + p.length());
      }
    }
    throw new AssertionError("no tensor " + name);
  }

  private static DigitsModel trainedBase() {
    DigitsModel base = new DigitsModel(1);
    base.train(SampleData.digits().subset(0, 200), TrainOptions.epochs(1).quiet());
    return base;
  }

  @Test
  void transferFromAModelCopiesExactlyTheNamedLayers() {
    DigitsModel base = trainedBase();
    FiveClassDigitsModel target = new FiveClassDigitsModel(2);
    float[] headBefore = tensor(target, "output.kernel");
    assertEquals(HIDDEN, target.transferFrom(base, "hidden"));
    assertArrayEquals(tensor(base, "hidden.kernel"), tensor(target, "hidden.kernel"));
    assertArrayEquals(tensor(base, "hidden.bias"), tensor(target, "hidden.bias"));
    assertArrayEquals(headBefore, tensor(target, "output.kernel"), "the new head keeps its own weights");
  }

  @Test
  void transferFromASavedFileEqualsTransferFromTheModel() throws IOException {
    DigitsModel base = trainedBase();
    Path file = dir.resolve("base.safetensors");
    base.save(file);
    FiveClassDigitsModel fromFile = new FiveClassDigitsModel(2);
    FiveClassDigitsModel fromModel = new FiveClassDigitsModel(2);
    assertEquals(HIDDEN, fromFile.transferFrom(file, "hidden"));
    fromModel.transferFrom(base, "hidden");
    assertArrayEquals(fromModel.parameters(), fromFile.parameters());
  }

  @Test
  void loadMatchingCopiesLayersWithTheSameNameAndShapesAndSkipsTheRest() throws IOException {
    DigitsModel base = trainedBase();
    Path file = dir.resolve("base.safetensors");
    base.save(file);
    FiveClassDigitsModel five = new FiveClassDigitsModel(2);
    float[] headBefore = tensor(five, "output.kernel");
    // 'output' has the same name but [64, 10] vs [64, 5]: skipped.
    assertEquals(HIDDEN, five.loadMatching(file));
    assertArrayEquals(headBefore, tensor(five, "output.kernel"));
    assertArrayEquals(tensor(base, "hidden.kernel"), tensor(five, "hidden.kernel"));

    DigitsModel same = new DigitsModel(3);
    assertEquals(List.of("hidden.kernel", "hidden.bias", "output.kernel", "output.bias"), same.loadMatching(base));
    assertArrayEquals(base.parameters(), same.parameters());

    NesterovDigitsModel other = new NesterovDigitsModel(1);
    float[] before = other.parameters();
    assertEquals(List.of(), other.loadMatching(base), "hidden is 48 wide there, 64 here; nothing matches");
    assertArrayEquals(before, other.parameters());
  }

  @Test
  void weightsOfAFileWithoutKilnMetadataTransferByName() throws IOException {
    float[] kernel = new float[64 * 64];
    float[] bias = new float[64];
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = i * 1e-4f;
    }
    Arrays.fill(bias, 0.5f);
    Path file = dir.resolve("foreign.safetensors");
    SafeTensors.write(
        file,
        Map.of(),
        List.of(
            new Tensor("hidden.kernel", new int[] {64, 64}, kernel, 0, kernel.length),
            new Tensor("hidden.bias", new int[] {64}, bias, 0, bias.length),
            new Tensor("classifier.weight", new int[] {3, 64}, new float[192], 0, 192)));
    FiveClassDigitsModel model = new FiveClassDigitsModel();
    assertEquals(HIDDEN, model.loadMatching(file));
    assertArrayEquals(kernel, tensor(model, "hidden.kernel"));
    assertArrayEquals(bias, tensor(model, "hidden.bias"));
  }

  @Test
  void aLayerWhoseShapesDifferIsRefusedWithBothShapesAndNothingIsCopied() {
    DigitsModel base = trainedBase();
    FiveClassDigitsModel target = new FiveClassDigitsModel(2);
    float[] before = target.parameters();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> target.transferFrom(base, "hidden", "output"));
    assertTrue(e.getMessage().contains("layer 'output'"), e.getMessage());
    assertTrue(e.getMessage().contains("'output.kernel' has shape [64, 10] in the source, but [64, 5] here"), e.getMessage());
    assertArrayEquals(before, target.parameters(), "a refused transfer copies nothing, not even 'hidden'");
  }

  @Test
  void aLayerMissingInTheSourceIsRefusedListingTheSourceLayers() throws IOException {
    NesterovDigitsModel source = new NesterovDigitsModel();
    DigitsModel target = new DigitsModel();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> target.transferFrom(source, "output"));
    assertTrue(e.getMessage().contains("network 'NesterovDigits' has no layer 'output'"), e.getMessage());
    assertTrue(e.getMessage().contains("[hidden, logits]"), e.getMessage());

    Path file = dir.resolve("nesterov.safetensors");
    source.save(file);
    IllegalArgumentException f =
        assertThrows(IllegalArgumentException.class, () -> target.transferFrom(file, "output"));
    assertTrue(f.getMessage().contains(file.toString()), f.getMessage());
    assertTrue(f.getMessage().contains("[hidden, logits]"), f.getMessage());
  }

  @Test
  void aLayerMissingHereOrNotNamedIsRefused() {
    DigitsModel base = new DigitsModel();
    FiveClassDigitsModel target = new FiveClassDigitsModel();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> target.transferFrom(base, "hiddn"));
    assertTrue(e.getMessage().contains("FiveClassDigits has no layer 'hiddn'"), e.getMessage());
    assertTrue(e.getMessage().contains("[hidden, output]"), e.getMessage());
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> target.transferFrom(base));
    assertTrue(none.getMessage().contains("loadMatching"), none.getMessage());
  }

  @Test
  void aLayerWithOtherTensorsIsRefused() {
    // The file holds a kernel but no bias for 'hidden' (a layer declared with useBias = false, say).
    DigitsModel target = new DigitsModel();
    Path file = dir.resolve("nobias.safetensors");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> {
              SafeTensors.write(
                  file, Map.of(), List.of(new Tensor("hidden.kernel", new int[] {64, 64}, new float[4096], 0, 4096)));
              target.transferFrom(file, "hidden");
            });
    assertTrue(e.getMessage().contains("[hidden.kernel], but hidden needs [hidden.kernel, hidden.bias]"), e.getMessage());
  }

  @Test
  void fineTuningANewHeadOnTransferredFrozenLayers() {
    Dataset digits = SampleData.digits();
    Dataset firstFive = digits.selectClasses(0, 1, 2, 3, 4);
    Dataset lastFive = digits.selectClasses(5, 6, 7, 8, 9);
    FiveClassDigitsModel base = new FiveClassDigitsModel(1);
    base.train(firstFive, TrainOptions.epochs(5).quiet());

    DigitsNewHeadModel model = new DigitsNewHeadModel(2); // 'hidden' is declared frozen
    assertEquals(HIDDEN, model.transferFrom(base, "hidden"));
    Dataset few = lastFive.samplePerClass(10, 3);
    model.train(few, TrainOptions.epochs(30).quiet());

    assertArrayEquals(tensor(base, "hidden.kernel"), tensor(model, "hidden.kernel"), "frozen transferred layer");
    assertArrayEquals(tensor(base, "hidden.bias"), tensor(model, "hidden.bias"));
    double accuracy = model.evaluate(lastFive).accuracy();
    assertTrue(accuracy > 0.6, "the head learned the new classes from 50 examples: accuracy " + accuracy);
  }
}
