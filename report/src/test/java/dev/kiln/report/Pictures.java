package dev.kiln.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

/** Checks that pictures decode and show something. */
final class Pictures {
  private Pictures() {}

  /** Decodes PNG bytes and asserts the image is not blank; returns it. */
  static BufferedImage assertPngNotBlank(byte[] png, String what, int minColours, double minInk) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertNotNull(image, what + " does not decode as an image");
    Set<Integer> colours = new HashSet<>();
    long ink = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        int r = rgb >> 16 & 0xFF;
        int g = rgb >> 8 & 0xFF;
        int b = rgb & 0xFF;
        if (r < 235 || g < 235 || b < 235) {
          ink++;
        }
      }
    }
    double inkFraction = (double) ink / ((long) image.getWidth() * image.getHeight());
    assertTrue(colours.size() >= minColours, what + " has only " + colours.size() + " distinct colours");
    assertTrue(inkFraction >= minInk, what + ": only " + inkFraction + " of the pixels are not white");
    return image;
  }

  static BufferedImage assertPngNotBlank(Path png) throws IOException {
    return assertPngNotBlank(Files.readAllBytes(png), png.toString(), 8, 0.01);
  }

  /** Parses an SVG file as XML (without fetching its DTD) and checks the root element. */
  static Document assertSvg(Path svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    Document doc = f.newDocumentBuilder().parse(svg.toFile());
    assertEquals("svg", doc.getDocumentElement().getLocalName(), svg + " root element");
    assertTrue(doc.getElementsByTagNameNS("*", "text").getLength() + doc.getElementsByTagNameNS("*", "path").getLength() > 0,
        svg + " draws nothing");
    return doc;
  }
}
