package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.samples.BreastCancerModel;
import dev.kiln.samples.DigitsModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the reference validator, {@code onnx.checker.check_model(full_check=True)} (which includes
 * strict shape inference), on exported models of every layer and activation kind, and checks the
 * inferred output type (Kiln's trained dense networks and the hand-built convolutional ones of
 * {@link HandBuiltNetworks}, and the recurrent ones of {@link RecurrentExportNetworks}). Skipped unless {@code /usr/bin/python3} can import {@code onnx} (Debian:
 * {@code apt-get install python3-onnx}); ONNX Runtime's loading in {@link OnnxExportTest} checks
 * validity regardless.
 */
class OnnxCheckerTest {
  private static final String PYTHON = "/usr/bin/python3";

  private static final String CHECK = """
      import sys, onnx
      model = onnx.load(sys.argv[1])
      onnx.checker.check_model(model, full_check=True)
      inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
      out = inferred.graph.output[0]
      dims = [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim]
      print(out.name, onnx.TensorProto.DataType.Name(out.type.tensor_type.elem_type), dims, model.ir_version,
            [(o.domain, o.version) for o in model.opset_import])
      """;

  @TempDir Path dir;

  @BeforeAll
  static void requireOnnx() {
    boolean available;
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import onnx.checker").redirectErrorStream(true).start();
      available = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      available = false;
    }
    Assumptions.assumeTrue(available, PYTHON + " cannot import onnx (apt-get install python3-onnx)");
  }

  @Test
  void everyExportedNetworkPassesTheOnnxChecker() throws Exception {
    for (CompiledModel model :
        List.of(
            new DigitsModel(),
            new BreastCancerModel(),
            new LeakyGeluDigitsModel(),
            new SigmoidTanhBinaryModel(),
            new LinearRegressorModel(),
            new TanhHeadRegressorModel())) {
      Path file = dir.resolve(model.spec().network() + ".onnx");
      OnnxExport.write(model, file);
      assertEquals(
          "output FLOAT ['batch', " + model.spec().outputs() + "] 8 [('', 17)]",
          check(file),
          model.spec().network());
    }
  }

  @Test
  void everyHandBuiltConvolutionalNetworkPassesTheOnnxChecker() throws Exception {
    for (HandBuiltNetworks.HandBuilt net :
        List.of(
            HandBuiltNetworks.smallCnn(), HandBuiltNetworks.residual(), HandBuiltNetworks.branches(),
            HandBuiltNetworks.convHead())) {
      ModelSpec spec = net.spec();
      Path file = dir.resolve(spec.network() + ".onnx");
      OnnxExport.write(spec, TypedSpecBuilder.arena(spec, 7), file);
      String shape = Arrays.stream(spec.layers().getLast().outputShape()).mapToObj(d -> ", " + d).collect(Collectors.joining());
      assertEquals("output FLOAT ['batch'" + shape + "] 8 [('', 17)]", check(file), spec.network());
    }
  }

  @Test
  void everyRecurrentNetworkPassesTheOnnxChecker() throws Exception {
    for (CompiledModel model :
        List.of(
            new PaddedLstmClassifierModel(),
            new PaddedBiGruTaggerModel(),
            new StackedRnnBinaryModel(),
            new FloatSequenceRegressorModel(),
            new PaddedStackModel(),
            new PaddedRnnSequencesModel(),
            new PaddedReluRnnModel(),
            new PaddedGruLstmModel(),
            new PaddedLstmLanguageModelModel())) {
      ModelSpec spec = model.spec();
      Path file = dir.resolve(spec.network() + ".onnx");
      OnnxExport.write(model, file);
      String shape = Arrays.stream(spec.layers().getLast().outputShape()).mapToObj(d -> ", " + d).collect(Collectors.joining());
      assertEquals("output FLOAT ['batch'" + shape + "] 8 [('', 17)]", check(file), spec.network());
    }
  }

  private String check(Path file) throws Exception {
    Process p = new ProcessBuilder(PYTHON, "-c", CHECK, file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("onnx checker timed out on " + file);
    }
    assertEquals(0, p.exitValue(), () -> "onnx checker refused " + file + ":\n" + out);
    return out;
  }
}
