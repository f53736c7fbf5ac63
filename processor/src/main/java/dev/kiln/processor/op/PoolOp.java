package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Padding;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code @MaxPool2D} and {@code @AvgPool2D} share: window geometry, checks and description.
 * Attributes {@code size, stride, pad (top, left, bottom, right)}.
 */
abstract class PoolOp implements Op {
  /** @param stride empty: the window size */
  public record Attrs(int[] size, int[] stride, Padding padding, int[] pad) {}

  static final ClassName POOL = Emit.kernel("PoolKernels");
  static final ClassName GEOMETRY = Emit.kernel("Pool2dGeometry");

  static Attrs attrs(int[] size, int[] stride, Padding padding, int[] pad) {
    return new Attrs(size, stride, padding, pad);
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.REDUCTION;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    int[] k = Spatial.pair(node, "size", a.size(), out);
    if (a.stride().length > 0) {
      Spatial.pair(node, "stride", a.stride(), out);
    }
    Spatial.checkPad(node, a.padding(), a.pad(), out);
    if (k != null && a.pad().length > 0) {
      int[] p = Spatial.pads(Padding.EXPLICIT, a.pad(), k, k, 1, 1);
      if (p[0] > k[0] / 2 || p[2] > k[0] / 2 || p[1] > k[1] / 2 || p[3] > k[1] / 2) {
        out.report(Message.BAD_VALUE, node, "pad", "pad", "at most half the window " + Spatial.text(k),
            java.util.Arrays.toString(a.pad()));
      }
    }
  }

  /** {c, inH, inW, kH, kW, sH, sW, top, left, bottom, right, outH, outW}, or null when it does not fit. */
  static int[] geometry(Node node, Shape x, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    int[] k = Spatial.pair(a.size());
    int[] s = a.stride().length == 0 ? k : Spatial.pair(a.stride());
    int[] p = Spatial.pads(a.padding(), a.pad(), k, s, x.dim(1), x.dim(2));
    int outH = Spatial.outSize(x.dim(1), p[0], p[2], k[0], s[0]);
    int outW = Spatial.outSize(x.dim(2), p[1], p[3], k[1], s[1]);
    if (outH < 1 || outW < 1) {
      if (out != null) {
        out.report(Message.WINDOW, node, "size", "@" + node.op().kind(), node.name(), Spatial.text(k), x,
            "padding " + java.util.Arrays.toString(p));
      }
      return null;
    }
    return new int[] {x.dim(0), x.dim(1), x.dim(2), k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], outH, outW};
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    if (!Spatial.requireImage(node, "@" + kind(), x, out)) {
      return null;
    }
    int[] g = geometry(node, x, out);
    return g == null ? null : Shape.of(g[0], g[11], g[12]);
  }

  static String geometryConstant(Node node, Emit e) {
    int[] g = geometry(node, node.input().shape(), null);
    StringBuilder args = new StringBuilder();
    for (int i = 0; i < 11; i++) {
      args.append(i == 0 ? "" : ", ").append(g[i]);
    }
    return e.constant(node, "GEOMETRY", GEOMETRY, CodeBlock.of("new $T($L)", GEOMETRY, args));
  }

  @Override
  public String architecture(Node node) {
    int[] g = geometry(node, node.input().shape(), null);
    return kind() + "(" + g[3] + "x" + g[4] + ",s" + g[5] + "x" + g[6] + ",p" + g[7] + "." + g[8] + "." + g[9] + "." + g[10] + ")";
  }

  @Override
  public String detail(Node node) {
    int[] g = geometry(node, node.input().shape(), null);
    String s = g[3] + "x" + g[4];
    if (g[5] != g[3] || g[6] != g[4]) {
      s += " s" + (g[5] == g[6] ? "" + g[5] : g[5] + "x" + g[6]);
    }
    if (g[7] + g[8] + g[9] + g[10] > 0) {
      s += " p" + g[7] + "," + g[8] + "," + g[9] + "," + g[10];
    }
    return s;
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    int[] g = geometry(node, node.input().shape(), null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("size", Attributes.list(g[3], g[4]));
    m.put("stride", Attributes.list(g[5], g[6]));
    m.put("pad", Attributes.list(g[7], g[8], g[9], g[10]));
    return m;
  }

  @Override
  public String comment(Node node) {
    return node.name() + ": " + kind() + " " + detail(node) + " " + node.input().shape() + " -> " + node.shape();
  }
}
