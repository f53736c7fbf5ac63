package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingReportTest {
  @TempDir Path tmp;

  /** Trains the binary test network briefly and writes its report to {@code dir}. */
  static Path writeBinaryReport(Path dir, String title) throws IOException {
    TrainingReport report = TrainingReport.to(dir).title(title).classNames(List.of("negative <0>", "positive & 1"));
    Dataset train = TestData.blobs("two-blobs/train", 2, 100, 1.0, 7);
    Dataset validation = TestData.blobs("two-blobs/validation", 2, 30, 1.0, 8);
    Dataset test = TestData.blobs("two-blobs/test", 2, 50, 1.0, 9);
    TwoBlobsModel model = new TwoBlobsModel();
    TrainOptions options = TrainOptions.epochs(6).withValidation(validation).withBatchSize(20).quiet();
    History history = model.train(train, options);
    return report.write(model, history, options, train, test);
  }

  @Test
  void recordedGradientNormsGivePicturesAndTheGradientHealthSection() throws Exception {
    Dataset train = TestData.blobs("two-blobs/train", 2, 100, 1.0, 7);
    Dataset test = TestData.blobs("two-blobs/test", 2, 50, 1.0, 9);
    // A bound of 1e-4 on the update ratio, which plain SGD at 0.1 on this model exceeds.
    dev.kiln.runtime.train.GradientHealth strict =
        new dev.kiln.runtime.train.GradientHealth(1e-4, 100, 1e-6, 1e-4, null);
    TrainOptions options = TrainOptions.epochs(3).withBatchSize(20).quiet().withCallbacks(strict);
    TwoBlobsModel model = new TwoBlobsModel();
    History history = model.train(train, options);
    Path dir = tmp.resolve("health");
    String text = Files.readString(TrainingReport.to(dir).write(model, history, options, train, test));
    for (String name : List.of("gradient-norms", "update-ratios")) {
      Pictures.assertPngNotBlank(dir.resolve(name + ".png"));
      Pictures.assertSvg(dir.resolve(name + ".svg"));
      assertTrue(text.contains("<img alt=\"" + name + "\""), name + " embedded");
    }
    assertTrue(text.contains("<h2>Gradient health</h2>"), "section");
    assertTrue(text.contains("<table id=\"gradient-health\">"), "warnings table");
    assertTrue(text.contains("<td>large updates</td>"), "the strict bound's warning");
    assertFalse(strict.warnings().isEmpty());

    // Without the norms: neither pictures nor section.
    History plain = new TwoBlobsModel().train(train, TrainOptions.epochs(1).withBatchSize(20).quiet());
    Path none = tmp.resolve("none");
    String without = Files.readString(TrainingReport.to(none).write(model, plain, null, train, test));
    assertFalse(without.contains("Gradient health"));
    assertFalse(Files.exists(none.resolve("gradient-norms.png")));
  }

  @Test
  void binaryReportHoldsTablesPicturesSummaryAndHyperparameters() throws Exception {
    Path dir = tmp.resolve("reports/two");
    Path html = writeBinaryReport(dir, "Two <blobs> & friends");
    assertEquals(dir.resolve("report.html"), html);
    String text = Files.readString(html, StandardCharsets.UTF_8);
    assertTrue(text.startsWith("<!DOCTYPE html>"));
    assertTrue(text.contains("<h1>Two &lt;blobs&gt; &amp; friends</h1>"), "title escaped");
    assertFalse(text.contains("<blobs>"), "no unescaped title");
    assertTrue(text.contains("negative &lt;0&gt;") && text.contains("positive &amp; 1"), "class names escaped");
    for (String id : List.of("data", "hyperparameters", "summary", "per-class", "confusion", "history")) {
      assertTrue(text.contains("<table id=\"" + id + "\">"), "table " + id);
    }
    assertTrue(text.contains("<td>two-blobs/train</td><td class=\"num\">200</td><td class=\"num\">2</td><td class=\"num\">2</td>"), "training data row");
    assertTrue(text.contains("<td>two-blobs/validation</td><td class=\"num\">60</td>"), "validation data row");
    assertTrue(text.contains("<td>two-blobs/test</td><td class=\"num\">100</td>"), "test data row");
    assertTrue(text.contains("<td>optimizer</td><td>SGD</td>"), text);
    assertTrue(text.contains("<td>learning rate</td><td class=\"num\">0.1</td>"), "learning rate");
    assertTrue(text.contains("<td>batch size</td><td class=\"num\">20</td>"), "batch size from the options");
    assertTrue(text.contains("<td>epochs requested</td><td class=\"num\">6</td>"), "epochs");
    assertTrue(text.contains("<td>ROC AUC</td>"), "AUC");
    assertTrue(text.contains("<td>momentum</td><td class=\"num\">0.9</td>"), "momentum");
    assertTrue(text.contains("expected calibration error (15 bins)"), "ECE");
    assertTrue(text.contains("Model: TwoBlobs"), "model summary");

    Matcher m = Pattern.compile("<img alt=\"(\\w+)\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">").matcher(text);
    int images = 0;
    while (m.find()) {
      images++;
      Pictures.assertPngNotBlank(Base64.getDecoder().decode(m.group(2)), "embedded " + m.group(1), 8, 0.01);
    }
    assertEquals(5, images, "loss, accuracy, confusion, reliability and ROC embedded");
    for (String name : List.of("loss", "accuracy", "confusion", "reliability", "roc")) {
      Pictures.assertPngNotBlank(dir.resolve(name + ".png"));
      Pictures.assertSvg(dir.resolve(name + ".svg"));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
    }
    // Written files get the umask's permissions like any new file, not a temp file's owner-only ones.
    Path plain = Files.createFile(tmp.resolve("plain"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(html));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(dir.resolve("roc.svg")));
  }

  @Test
  void multiClassAndRegressionReports() throws Exception {
    Dataset train = TestData.blobs("three/train", 3, 50, 2.0, 1);
    Dataset test = TestData.blobs("three/test", 3, 20, 2.0, 2);
    ThreeBlobsModel cls = new ThreeBlobsModel();
    Path dir = tmp.resolve("three");
    TrainingReport report = TrainingReport.to(dir).calibrationBins(5);
    History h = cls.train(train, TrainOptions.epochs(3).quiet());
    String text = Files.readString(report.write(cls, h, null, train, test));
    assertTrue(text.contains("<h1>ThreeBlobs</h1>"), "title defaults to the network");
    assertTrue(text.contains("expected calibration error (5 bins)"));
    assertTrue(text.contains("<td>batch size</td><td>32 (declared)</td>"), "declared batch size without options");
    assertFalse(text.contains("ROC AUC"), "no ROC for three classes");
    assertFalse(Files.exists(dir.resolve("roc.png")));

    Dataset rtrain = TestData.plane("plane/train", 200, 3);
    Dataset rtest = TestData.plane("plane/test", 50, 4);
    PlaneModel reg = new PlaneModel();
    Path rdir = tmp.resolve("plane");
    TrainingReport rreport = TrainingReport.to(rdir);
    TrainOptions options = TrainOptions.epochs(3).withValidation(rtest).quiet();
    String rtext = Files.readString(rreport.write(reg, reg.train(rtrain, options), options, rtrain, rtest));
    assertTrue(rtext.contains("<table id=\"regression\">") && rtext.contains("<th>R²</th>"), "regression table");
    assertTrue(rtext.contains("<td>optimizer</td><td>ADAMW</td>"));
    assertTrue(Files.exists(rdir.resolve("loss.svg")));
    assertFalse(Files.exists(rdir.resolve("accuracy.png")), "no accuracy curve for regression");
  }

  @Test
  void directoryThatCannotBeCreatedFailsUpFrontNamingIt() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    Path dir = file.resolve("reports");
    IOException e = assertThrows(IOException.class, () -> TrainingReport.to(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    e = assertThrows(IOException.class, () -> TrainingReport.to(file));
    assertTrue(e.getMessage().contains(file + " exists but is not a directory"), e.getMessage());
  }

  @Test
  void readOnlyDirectoryFailsUpFrontNamingIt() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("read-only"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      // root ignores permission bits; the probe would succeed, so there is nothing to test.
      assumeFalse(Files.isWritable(dir), "running as a user who can write anywhere (root)");
      IOException e = assertThrows(IOException.class, () -> TrainingReport.to(dir));
      assertTrue(e.getMessage().contains("report directory " + dir + " is not writable"), e.getMessage());
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void wrongClassNamesAreRejected() throws Exception {
    TrainingReport report = TrainingReport.to(tmp.resolve("names")).classNames(List.of("a", "b", "c"));
    Dataset d = TestData.blobs("two", 2, 10, 1.0, 1);
    TwoBlobsModel model = new TwoBlobsModel();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> report.write(model, new History(), null, d, d));
    assertTrue(e.getMessage().contains("expected 2 class names"), e.getMessage());
  }
}
