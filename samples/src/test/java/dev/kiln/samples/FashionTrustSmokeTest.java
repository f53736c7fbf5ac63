package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny run of the FashionTrust sample on real images (one epoch of each training on 512 images,
 * 1000 validation and test images, robust accuracy on 64): every figure is printed, finite and in
 * range, and both reports hold their pictures. The full run is measured by hand (README, Can I
 * trust this model?); it takes minutes.
 */
class FashionTrustSmokeTest {
  @TempDir Path dir;

  private static final List<String> FIGURES = List.of(
      "training time", "clean accuracy", "clean accuracy on the robust subset", "robust accuracy at eps=0.05",
      "robust accuracy at eps=0.1", "temperature", "ECE before temperature scaling", "ECE after temperature scaling",
      "OOD AUROC energy", "OOD AUROC MSP", "integrated gradients completeness error, largest of 4 images");

  @Test
  void printsEveryFigureAndWritesBothReports() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    List<FashionTrust.Figures> figures = FashionTrust.run(
        new FashionTrust.Config(1, FashionMnist.DEFAULT_DIR, 512, 1000, 64, dir), out);
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, figures.size());
    for (String model : List.of("standard", "adversarial")) {
      for (String figure : FIGURES) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(figure + " (" + model + "): ") + "(-?[0-9.e+-]+)")
            .matcher(text);
        assertTrue(m.find(), "no line '" + figure + " (" + model + "): <number>' in:\n" + text);
        double v = Double.parseDouble(m.group(1));
        assertTrue(Double.isFinite(v) && v >= 0, figure + " (" + model + ") = " + v);
        if (figure.contains("accuracy") || figure.contains("ECE") || figure.contains("AUROC")) {
          assertTrue(v <= 1, figure + " (" + model + ") = " + v);
        }
      }
    }
    for (FashionTrust.Figures f : figures) {
      // Robust accuracy never exceeds clean accuracy and does not grow with ε.
      double[] r = f.robust().robustAccuracies();
      assertEquals(f.robust().cleanAccuracy(), r[0], 1e-12);
      for (int e = 1; e < r.length; e++) {
        assertTrue(r[e] <= r[0], f.name() + " robust accuracy " + r[e] + " above clean " + r[0]);
      }
      assertTrue(f.calibration().after().negativeLogLikelihood() <= f.calibration().before().negativeLogLikelihood());
      assertEquals(64, f.robust().samples());
      assertTrue(f.maxCompletenessError() < 0.05, f.name() + " IG completeness error " + f.maxCompletenessError());
    }
    for (String report : List.of("FashionTrust", "FashionTrustAdversarial")) {
      Path d = dir.resolve(report);
      String page = Files.readString(d.resolve("report.html"));
      for (String png : List.of("reliability-before", "reliability-after", "ood-energy-histogram", "ood-energy-roc",
          "ood-msp-roc", "robust-accuracy", "adversarial-examples-standard", "adversarial-examples-adversarial",
          "saliency-standard", "integrated-gradients-adversarial", "gradient-norms")) {
        assertTrue(Files.size(d.resolve(png + ".png")) > 500, report + ": " + png);
        assertTrue(page.contains("id=\"fig-" + png + "\""), report + ": " + png);
      }
      assertTrue(page.contains("<h2>Gradient health</h2>") && page.contains("<table id=\"completeness\">"), report);
    }
  }
}
