package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** FigureSection writes its parts in order, and refuses bad names and ragged tables. */
class FigureSectionTest {
  @TempDir Path dir;

  @Test
  void writesTextChartImageAndTableInOrder() throws Exception {
    XYChart chart = new XYChartBuilder().width(320).height(240).title("line").build();
    chart.addSeries("y = x", new double[] {0, 1, 2}, new double[] {0, 1, 2});
    BufferedImage image = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
    image.setRGB(3, 2, 0xff0000);
    FigureSection s = FigureSection.titled("Robustness")
        .text("a < b & c")
        .chart("curve", chart, "The curve.")
        .image("grid", image, "The grid.")
        .table("numbers", new String[] {"ε", "accuracy"}, List.<String[]>of(new String[] {"0.1", "0.5000"}));
    assertEquals("Robustness", s.heading());
    String html = s.write(dir);
    assertTrue(html.contains("<p>a &lt; b &amp; c</p>"), html);
    int text = html.indexOf("<p>a");
    int curve = html.indexOf("id=\"fig-curve\"");
    int grid = html.indexOf("id=\"fig-grid\"");
    int table = html.indexOf("<table id=\"numbers\">");
    assertTrue(text >= 0 && text < curve && curve < grid && grid < table, html);
    assertTrue(html.contains("<td class=\"num\">0.5000</td>"), html);
    assertTrue(Files.size(dir.resolve("curve.png")) > 1000 && Files.exists(dir.resolve("curve.svg")));
    BufferedImage back = ImageIO.read(dir.resolve("grid.png").toFile());
    assertEquals(7, back.getWidth());
    assertEquals(0xff0000, back.getRGB(3, 2) & 0xffffff);
  }

  @Test
  void refusesBadNamesDuplicatesAndRaggedRows() {
    FigureSection s = FigureSection.titled("x").text("t");
    BufferedImage image = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.image("a b", image, "c")).getMessage()
        .contains("'a b'"));
    s.image("a", image, "c");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> s.image("a", image, "c")).getMessage()
        .contains("already has a part named 'a'"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.table("t", new String[] {"a", "b"}, List.of(new String[] {"1", "2"}, new String[] {"3"})));
    assertTrue(e.getMessage().contains("row 1 has 1 cells"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FigureSection.titled(" "));
  }
}
