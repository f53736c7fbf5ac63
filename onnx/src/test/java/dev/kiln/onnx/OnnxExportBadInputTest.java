package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.Model;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.samples.BreastCancerModel;
import dev.kiln.samples.DigitsModel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad output paths, unsupported networks and what is left on disk when export fails. */
class OnnxExportBadInputTest {
  @TempDir Path dir;

  @Test
  void targetThatIsADirectoryIsRefusedAndNothingIsLeft() throws Exception {
    Path target = Files.createDirectory(dir.resolve("model.onnx"));
    IOException e = assertThrows(IOException.class, () -> OnnxExport.write(new DigitsModel(), target));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("is a directory"), e.getMessage());
    assertEquals(List.of(target), list(dir), "no temporary file is left next to the target");
    assertEquals(List.of(), list(target));
  }

  @Test
  void parentThatIsAFileIsRefusedAndNothingIsLeft() throws Exception {
    Path file = Files.writeString(dir.resolve("weights"), "not a directory");
    Path target = file.resolve("model.onnx");
    IOException e = assertThrows(IOException.class, () -> OnnxExport.write(new DigitsModel(), target));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains(file + " is not a directory"), e.getMessage());
    assertEquals(List.of(file), list(dir));
    assertEquals("not a directory", Files.readString(file));
  }

  @Test
  void missingParentDirectoriesAreCreated() throws Exception {
    Path target = dir.resolve("a/b/digits.onnx");
    OnnxExport.write(new DigitsModel(), target);
    assertEquals("Digits", ModelProto.parseFrom(Files.readAllBytes(target)).getGraph().getName());
    assertEquals(List.of(target), list(target.getParent()));
  }

  @Test
  void rewritingReplacesTheFileWholeAndLeavesNoTemporaryFile() throws Exception {
    Path target = dir.resolve("model.onnx");
    OnnxExport.write(new DigitsModel(), target);
    OnnxExport.write(new BreastCancerModel(), target);
    assertEquals("BreastCancer", ModelProto.parseFrom(Files.readAllBytes(target)).getGraph().getName());
    assertEquals(List.of(target), list(dir));
  }

  @Test
  void unsupportedLayerIsNamedAndAnExistingFileIsKept() throws Exception {
    Path target = dir.resolve("model.onnx");
    OnnxExport.write(new DigitsModel(), target);
    byte[] before = Files.readAllBytes(target);

    ModelSpec digits = new DigitsModel().spec();
    List<LayerSpec> layers = new ArrayList<>(digits.layers());
    layers.add(1, new LayerSpec("memory", "LSTM", new int[] {64}, "", List.of()));
    ModelSpec withLstm = withLayers(digits, layers);
    float[] arena = new float[digits.parameterCount()];
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.write(withLstm, arena, target));
    assertEquals(
        "Digits: layer 'memory' of type LSTM cannot be exported to ONNX (supported: Activate, Add, AvgPool2D,"
            + " BatchNorm, Concat, Conv2D, Dense, Dropout, Flatten, GlobalAveragePool2D, Input, MaxPool2D)",
        e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(target));
    assertEquals(List.of(target), list(dir));
  }

  @Test
  void unknownActivationIsNamed() {
    ModelSpec digits = new DigitsModel().spec();
    List<LayerSpec> layers = new ArrayList<>(digits.layers());
    LayerSpec hidden = layers.get(1);
    layers.set(1, new LayerSpec(hidden.name(), "Dense", hidden.outputShape(), "SWISH", hidden.params()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> OnnxExport.toModelProto(withLayers(digits, layers), new float[digits.parameterCount()]));
    assertTrue(e.getMessage().startsWith("Digits: Dense layer 'hidden' has activation 'SWISH'"), e.getMessage());
  }

  @Test
  void arenaOfTheWrongSizeIsRefused() {
    ModelSpec digits = new DigitsModel().spec();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModelProto(digits, new float[10]));
    assertEquals("Digits has " + digits.parameterCount() + " parameters, but the arena holds 10", e.getMessage());
  }

  @Test
  void modelThatIsNotACompiledModelIsExportedThroughTheModelInterface() throws Exception {
    DigitsModel real = new DigitsModel(99);
    // Only the Model interface: the exporter must get the weights through Model.parameters().
    Model wrapper =
        (Model)
            Proxy.newProxyInstance(
                Model.class.getClassLoader(),
                new Class<?>[] {Model.class},
                (proxy, method, args) -> {
                  try {
                    return method.invoke(real, args);
                  } catch (InvocationTargetException ex) {
                    throw ex.getCause();
                  }
                });
    assertEquals(OnnxExport.toModelProto(real), OnnxExport.toModelProto(wrapper));
  }

  private static ModelSpec withLayers(ModelSpec s, List<LayerSpec> layers) {
    return new ModelSpec(
        s.network(), s.architecture(), s.architectureHash(), s.inputs(), s.outputs(), s.loss(), s.optimizer(),
        s.batchSize(), s.seed(), layers, s.parameterCount(), s.activationFloatsPerSample());
  }

  private static List<Path> list(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.sorted().toList();
    }
  }
}
