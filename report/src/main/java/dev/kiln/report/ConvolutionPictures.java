package dev.kiln.report;

import dev.kiln.runtime.io.AtomicFiles;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.model.LayerSpec;
import dev.kiln.runtime.model.ModelSpec;
import dev.kiln.runtime.model.ParamSpec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Pictures of what a convolutional network learned, as a {@link ReportSection}: the filters of one
 * convolution (tiles of {@code kH x kW} cells from its {@code <layer>.kernel} tensor
 * {@code [F, C, kH, kW]}) and the feature maps that chosen layers produce for one input image.
 *
 * <pre>{@code
 * report.section(ConvolutionPictures.of(model, "conv1", test.row(0), "conv1", "conv2").sampleLabel("Trouser"));
 * }</pre>
 *
 * <p>Filters use one diverging scale for all of them (blue negative, white zero, red positive,
 * full colour at the largest absolute weight), so their strengths can be compared; each feature map
 * is scaled from its own minimum (black) to its maximum (white). Pictures are written as
 * {@code filters-<layer>.png}, {@code sample.png} and {@code maps-<layer>.png}, and embedded in the
 * HTML.
 */
public final class ConvolutionPictures implements ReportSection {
  /** Feature maps shown per layer unless {@link #maps(int)} says otherwise. */
  public static final int DEFAULT_MAPS = 8;

  private static final int GAP = 2;
  // Light grey between tiles, so that white (zero) filter cells stay visible at their edges.
  private static final int GAP_RGB = 0xD8D8D8;

  private final CompiledModel model;
  private final String filterLayer;
  private final float[] sample;
  private final List<String> mapLayers;
  private String sampleLabel;
  private int maps = DEFAULT_MAPS;

  private ConvolutionPictures(CompiledModel model, String filterLayer, float[] sample, List<String> mapLayers) {
    this.model = model;
    this.filterLayer = filterLayer;
    this.sample = sample;
    this.mapLayers = mapLayers;
  }

  /**
   * The filters of {@code filterLayer} and the feature maps of {@code mapLayers} for {@code sample}.
   *
   * @param model a model whose input is an image {@code [C, H, W]}
   * @param filterLayer a layer with a {@code <filterLayer>.kernel} parameter of rank 4
   * @param sample one input image, flattened row-major
   * @param mapLayers layers whose outputs are images {@code [C, H, W]}
   * @throws IllegalArgumentException if a layer is missing or has the wrong rank, or the sample does
   *     not fit the input
   */
  public static ConvolutionPictures of(CompiledModel model, String filterLayer, float[] sample, String... mapLayers) {
    Objects.requireNonNull(model, "model");
    ModelSpec spec = model.spec();
    if (spec.inputShape().length != 3) {
      throw new IllegalArgumentException(
          spec.network() + " reads " + Arrays.toString(spec.inputShape()) + ", not an image [C, H, W]");
    }
    kernel(spec, filterLayer);
    if (sample.length != spec.inputs()) {
      throw new IllegalArgumentException(
          "sample has " + sample.length + " floats, but " + spec.network() + " reads " + spec.inputs());
    }
    for (String layer : mapLayers) {
      int[] shape = layer(spec, layer).outputShape();
      if (shape.length != 3) {
        throw new IllegalArgumentException(
            "layer '" + layer + "' of " + spec.network() + " gives " + Arrays.toString(shape)
                + ", not feature maps [C, H, W]");
      }
    }
    return new ConvolutionPictures(model, filterLayer, sample.clone(), List.of(mapLayers));
  }

  /** Names what the sample shows (its class), for the caption. Returns this. */
  public ConvolutionPictures sampleLabel(String label) {
    this.sampleLabel = Objects.requireNonNull(label, "label");
    return this;
  }

  /** Sets how many feature maps (the first channels) each layer shows, at least 1. Returns this. */
  public ConvolutionPictures maps(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("maps must be at least 1, got " + count);
    }
    this.maps = count;
    return this;
  }

  @Override
  public String heading() {
    return "Filters and feature maps";
  }

  /**
   * The filters of the layer as one picture: a tile of {@code kH x kW} cells ({@code cell} pixels
   * each) per filter and input channel, the channels of one filter side by side, eight filters a row.
   */
  public BufferedImage filters(int cell) {
    ModelSpec spec = model.spec();
    ParamSpec k = kernel(spec, filterLayer);
    int[] s = k.shape();
    int f = s[0];
    int c = s[1];
    int kh = s[2];
    int kw = s[3];
    float[] w = Arrays.copyOfRange(model.parameters(), k.offset(), k.offset() + k.length());
    float max = 0;
    for (float v : w) {
      max = Math.max(max, Math.abs(v));
    }
    int perRow = Math.min(8, f);
    int rows = (f + perRow - 1) / perRow;
    int tileW = c * kw * cell + (c - 1);
    int tileH = kh * cell;
    BufferedImage img = blank(perRow * tileW + (perRow + 1) * GAP * 2, rows * tileH + (rows + 1) * GAP * 2);
    for (int fi = 0; fi < f; fi++) {
      int x0 = GAP * 2 + (fi % perRow) * (tileW + GAP * 2);
      int y0 = GAP * 2 + (fi / perRow) * (tileH + GAP * 2);
      for (int ci = 0; ci < c; ci++) {
        for (int i = 0; i < kh; i++) {
          for (int j = 0; j < kw; j++) {
            float v = w[((fi * c + ci) * kh + i) * kw + j];
            fill(img, x0 + ci * (kw * cell + 1) + j * cell, y0 + i * cell, cell, cell, diverging(max == 0 ? 0 : v / max));
          }
        }
      }
    }
    return img;
  }

  /** The input image, channel by channel, each scaled to its own range ({@code cell} pixels a value). */
  public BufferedImage sample(int cell) {
    int[] shape = model.spec().inputShape();
    return grid(sample, shape, shape[0], cell);
  }

  /**
   * The first {@link #maps(int)} feature maps of {@code layer} for the sample, side by side, each
   * scaled to its own range ({@code cell} pixels a value).
   */
  public BufferedImage featureMaps(String layer, int cell) {
    int[] shape = layer(model.spec(), layer).outputShape();
    float[] out = model.layerOutput(layer, sample);
    return grid(out, shape, Math.min(maps, shape[0]), cell);
  }

  @Override
  public String write(Path dir) throws IOException {
    StringBuilder h = new StringBuilder();
    ParamSpec k = kernel(model.spec(), filterLayer);
    int[] s = k.shape();
    figure(h, dir, "filters-" + filterLayer, filters(Math.max(4, 48 / Math.max(s[2], s[3]))),
        String.format(Locale.ROOT,
            "The %d filters of %s (%s %s), one tile per filter%s; blue negative, white zero, red positive, "
                + "on one scale for all.",
            s[0], filterLayer, filterLayer + ".kernel", Arrays.toString(s),
            s[1] > 1 ? " with its " + s[1] + " input channels side by side" : ""));
    int[] in = model.spec().inputShape();
    String what = sampleLabel == null ? "the test image" : "the test image (" + sampleLabel + ")";
    figure(h, dir, "sample", sample(Math.max(2, 112 / Math.max(in[1], in[2]))),
        "Input: " + what + ", " + Arrays.toString(in) + ".");
    for (String layer : mapLayers) {
      int[] shape = layer(model.spec(), layer).outputShape();
      int shown = Math.min(maps, shape[0]);
      figure(h, dir, "maps-" + layer, featureMaps(layer, Math.max(2, 84 / Math.max(shape[1], shape[2]))),
          String.format(Locale.ROOT,
              "Feature maps of %s for %s: the first %d of %d channels (%dx%d each), each from its minimum "
                  + "(black) to its maximum (white).",
              layer, what, shown, shape[0], shape[1], shape[2]));
    }
    return h.toString();
  }

  /** Writes {@code image} as {@code name.png} into {@code dir} and appends its figure, the PNG inline. */
  static void figure(StringBuilder h, Path dir, String name, BufferedImage image, String caption)
      throws IOException {
    byte[] png = png(image);
    Path file = dir.resolve(name + ".png");
    try {
      AtomicFiles.write(file, png);
    } catch (IOException e) {
      throw new IOException("cannot write " + file + ": " + e, e);
    }
    h.append("<figure id=\"fig-").append(Html.escape(name)).append("\">\n<img class=\"pixels\" alt=\"")
        .append(Html.escape(name)).append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\">\n<figcaption>")
        .append(Html.escape(caption)).append(" File: <a href=\"").append(Html.escape(name)).append(".png\">")
        .append(Html.escape(name)).append(".png</a>.</figcaption>\n</figure>\n");
  }

  /** {@code count} channels of a {@code [C, H, W]} tensor side by side, each min-max scaled to grey. */
  private static BufferedImage grid(float[] t, int[] shape, int count, int cell) {
    int h = shape[1];
    int w = shape[2];
    BufferedImage img = blank(count * w * cell + (count + 1) * GAP * 2, h * cell + GAP * 4);
    for (int ch = 0; ch < count; ch++) {
      int base = ch * h * w;
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < h * w; i++) {
        lo = Math.min(lo, t[base + i]);
        hi = Math.max(hi, t[base + i]);
      }
      int x0 = GAP * 2 + ch * (w * cell + GAP * 2);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = hi > lo ? (t[base + y * w + x] - lo) / (hi - lo) : 0f;
          int g = Math.round(v * 255);
          fill(img, x0 + x * cell, GAP * 2 + y * cell, cell, cell, g << 16 | g << 8 | g);
        }
      }
    }
    return img;
  }

  /** White (0) to red (1) or blue (-1). */
  static int diverging(float v) {
    float a = Math.min(1f, Math.abs(v));
    int fade = Math.round(255 * (1 - a));
    return v >= 0 ? 0xFF << 16 | fade << 8 | fade : fade << 16 | fade << 8 | 0xFF;
  }

  static BufferedImage blank(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    fill(img, 0, 0, w, h, GAP_RGB);
    return img;
  }

  static void fill(BufferedImage img, int x, int y, int w, int h, int rgb) {
    for (int j = y; j < y + h; j++) {
      for (int i = x; i < x + w; i++) {
        img.setRGB(i, j, rgb);
      }
    }
  }

  static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does no I/O
    }
    return out.toByteArray();
  }

  private static ParamSpec kernel(ModelSpec spec, String layer) {
    List<String> names = new ArrayList<>();
    for (ParamSpec p : spec.parameters()) {
      if (p.name().equals(layer + ".kernel") && p.shape().length == 4) {
        return p;
      }
      names.add(p.name());
    }
    throw new IllegalArgumentException(
        spec.network() + " has no convolution kernel '" + layer + ".kernel' [F, C, kH, kW]; its parameters are " + names);
  }

  private static LayerSpec layer(ModelSpec spec, String name) {
    for (LayerSpec l : spec.layers()) {
      if (l.name().equals(name)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        spec.network() + " has no layer '" + name + "'; its layers are "
            + spec.layers().stream().map(LayerSpec::name).toList());
  }
}
