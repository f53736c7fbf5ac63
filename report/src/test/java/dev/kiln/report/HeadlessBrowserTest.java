package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the HTML report in a real browser (Debian's headless chromium) and checks the screenshot
 * shows the page. Skipped when chromium is not installed ({@code apt-get install chromium}).
 */
class HeadlessBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir Path tmp;

  @Test
  void reportRendersInHeadlessChromium() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed at " + CHROMIUM);
    Path html = TrainingReportTest.writeBinaryReport(tmp.resolve("report"), "Headless check");
    Path screenshot = tmp.resolve("screenshot.png");
    List<String> command = List.of(
        CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--user-data-dir=" + tmp.resolve("profile"), "--screenshot=" + screenshot,
        "--window-size=1200,2000", html.toUri().toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("chromium.log").toFile()).start();
    boolean finished = p.waitFor(120, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly();
    }
    String log = Files.exists(tmp.resolve("chromium.log")) ? Files.readString(tmp.resolve("chromium.log")) : "";
    assertTrue(finished, "chromium did not finish within 120 s: " + log);
    assertEquals(0, p.exitValue(), "chromium failed: " + log);
    assertTrue(Files.exists(screenshot), "no screenshot written: " + log);
    // The page's text, tables and the embedded charts give thousands of colours and plenty of ink;
    // a blank or broken page is one or two colours.
    BufferedImage image = Pictures.assertPngNotBlank(Files.readAllBytes(screenshot), "screenshot", 200, 0.05);
    assertEquals(1200, image.getWidth());
    assertEquals(2000, image.getHeight());
  }
}
