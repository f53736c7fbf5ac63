package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;

/** The samples write their HTML report next to their other output. */
class SampleReportTest {
  @Test
  void breastCancerWritesItsReportWithRocAndReliabilityPictures() throws Exception {
    Path dir = Path.of("target", "reports", "BreastCancer");
    Path html = dir.resolve("report.html");
    FileTime before = Files.exists(html) ? Files.getLastModifiedTime(html) : FileTime.fromMillis(0);
    Thread.sleep(20); // so a rewrite is visible in the modification time
    BreastCancer.main(new String[] {"3"});
    assertTrue(Files.getLastModifiedTime(html).compareTo(before) > 0, html + " was not rewritten");
    String text = Files.readString(html);
    assertTrue(text.contains("<h1>Breast cancer: malignant or benign</h1>"), "title");
    assertTrue(text.contains("<td>malignant</td>") && text.contains("<td>benign</td>"), "class names");
    assertTrue(text.contains("<td>ROC AUC</td>"), "AUC");
    assertTrue(text.contains("<td>epochs requested</td><td class=\"num\">3</td>"), "epochs");
    for (String picture : new String[] {"loss", "accuracy", "confusion", "reliability", "roc"}) {
      assertTrue(Files.size(dir.resolve(picture + ".png")) > 1000, picture + ".png");
      assertTrue(Files.size(dir.resolve(picture + ".svg")) > 1000, picture + ".svg");
    }
  }
}
