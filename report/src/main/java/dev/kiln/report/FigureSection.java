package dev.kiln.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * A report section assembled from parts, in the order added: paragraphs, XChart charts (written as
 * PNG and SVG), images such as {@link TrustPictures}' grids (written as PNG) and tables. For
 * pictures that have no section of their own, e.g. a robust-accuracy curve beside a grid of
 * adversarial examples. File names must be unique within the report: give each part a name no other
 * section uses.
 *
 * <pre>{@code
 * report.section(FigureSection.titled("Adversarial robustness")
 *     .text("PGD-10 L∞ with a random start on 2000 test images.")
 *     .chart("robust-accuracy", TrustPictures.robustAccuracyCurve(curves), "Robust accuracy against ε.")
 *     .image("adversarial-examples", grid, "Originals, PGD examples at ε = 0.1 and the changes."));
 * }</pre>
 */
public final class FigureSection implements ReportSection {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

  private final String heading;
  private final List<Part> parts = new ArrayList<>();
  private final Set<String> names = new HashSet<>();

  private interface Part {
    void write(StringBuilder h, Path dir) throws IOException;
  }

  private FigureSection(String heading) {
    this.heading = heading;
  }

  /**
   * An empty section under {@code heading}.
   *
   * @throws IllegalArgumentException if the heading is blank
   */
  public static FigureSection titled(String heading) {
    Objects.requireNonNull(heading, "heading");
    if (heading.isBlank()) {
      throw new IllegalArgumentException("a section needs a heading");
    }
    return new FigureSection(heading);
  }

  /** Adds a paragraph of plain text (escaped). */
  public FigureSection text(String paragraph) {
    Objects.requireNonNull(paragraph, "paragraph");
    parts.add((h, dir) -> h.append("<p>").append(Html.escape(paragraph)).append("</p>\n"));
    return this;
  }

  /**
   * Adds a chart, written as {@code name.png} and {@code name.svg} and shown inline.
   *
   * @throws IllegalArgumentException if the name is not letters, digits, '-' and '_', or is used
   *     twice in this section
   */
  public FigureSection chart(String name, Chart<?, ?> chart, String caption) {
    checkName(name);
    Objects.requireNonNull(chart, "chart");
    Objects.requireNonNull(caption, "caption");
    parts.add((h, dir) -> TrainingReport.chartFigure(h, dir, name, chart, caption));
    return this;
  }

  /**
   * Adds an image, written as {@code name.png} and shown inline at its pixel size.
   *
   * @throws IllegalArgumentException as {@link #chart}
   */
  public FigureSection image(String name, BufferedImage image, String caption) {
    checkName(name);
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(caption, "caption");
    parts.add((h, dir) -> ConvolutionPictures.figure(h, dir, name, image, caption));
    return this;
  }

  /**
   * Adds a table with header cells and rows of as many cells (copied now); number cells are
   * right-aligned.
   *
   * @throws IllegalArgumentException as {@link #chart}, or if a row's length differs from the
   *     header's, naming the row
   */
  public FigureSection table(String name, String[] head, List<String[]> rows) {
    checkName(name);
    String[] header = head.clone();
    List<String[]> copy = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      if (rows.get(r).length != header.length) {
        throw new IllegalArgumentException("table '" + name + "': row " + r + " has " + rows.get(r).length
            + " cells, the header has " + header.length);
      }
      copy.add(rows.get(r).clone());
    }
    parts.add((h, dir) -> TrainingReport.table(h, name, header, copy));
    return this;
  }

  private void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("figure name '" + name + "' must be letters, digits, '-' and '_'");
    }
    if (!names.add(name)) {
      throw new IllegalArgumentException("section '" + heading + "' already has a part named '" + name + "'");
    }
  }

  @Override
  public String heading() {
    return heading;
  }

  @Override
  public String write(Path dir) throws IOException {
    StringBuilder h = new StringBuilder();
    for (Part p : parts) {
      p.write(h, dir);
    }
    return h.toString();
  }
}
