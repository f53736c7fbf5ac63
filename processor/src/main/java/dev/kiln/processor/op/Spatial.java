package dev.kiln.processor.op;

import dev.kiln.dsl.Padding;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;

/** Window sizes, strides and padding of 2-D ops: parsing the annotation arrays and the output size. */
final class Spatial {
  private Spatial() {}

  /** {@code {k}} → {k, k}; {@code {kH, kW}} as is; anything else (or a value below 1) is reported and null. */
  static int[] pair(Node node, String attribute, int[] values, Diagnostics out) {
    if (values.length != 1 && values.length != 2) {
      out.report(Message.BAD_VALUE, node, attribute, attribute, "one value or two ({height, width})",
          java.util.Arrays.toString(values));
      return null;
    }
    for (int v : values) {
      if (v < 1) {
        out.report(Message.BAD_VALUE, node, attribute, attribute, "at least 1", java.util.Arrays.toString(values));
        return null;
      }
    }
    return values.length == 1 ? new int[] {values[0], values[0]} : values.clone();
  }

  /** The same without reporting (attributes already checked). */
  static int[] pair(int[] values) {
    return values.length == 1 ? new int[] {values[0], values[0]} : values.clone();
  }

  /** Checks {@code pad} against {@code padding}: pad implies EXPLICIT; 1, 2 or 4 non-negative values. */
  static void checkPad(Node node, Padding padding, int[] pad, Diagnostics out) {
    if (pad.length > 0 && padding != Padding.EXPLICIT && node.isExplicit("padding")) {
      out.report(Message.OPTION_NOT_APPLICABLE, node, "pad", "pad", "padding " + padding + " (use Padding.EXPLICIT or leave padding out)");
    }
    if (padding == Padding.EXPLICIT && pad.length == 0) {
      out.report(Message.OPTION_CONFLICT, node, "padding", "padding EXPLICIT needs pad = {...}");
    }
    if (pad.length != 0 && pad.length != 1 && pad.length != 2 && pad.length != 4) {
      out.report(Message.BAD_VALUE, node, "pad", "pad", "p, {pH, pW} or {top, left, bottom, right}", java.util.Arrays.toString(pad));
    }
    for (int p : pad) {
      if (p < 0) {
        out.report(Message.BAD_VALUE, node, "pad", "pad", "at least 0", java.util.Arrays.toString(pad));
        break;
      }
    }
  }

  /**
   * Padding {top, left, bottom, right} for an input of {@code inH x inW}: explicit amounts, zero
   * (VALID), or SAME's total {@code (out-1)·s + effectiveK - in} split with the extra cell at the
   * bottom/right.
   */
  static int[] pads(Padding padding, int[] pad, int[] effectiveKernel, int[] stride, int inH, int inW) {
    if (pad.length > 0) {
      return switch (pad.length) {
        case 1 -> new int[] {pad[0], pad[0], pad[0], pad[0]};
        case 2 -> new int[] {pad[0], pad[1], pad[0], pad[1]};
        default -> pad.clone();
      };
    }
    if (padding != Padding.SAME) {
      return new int[4];
    }
    int[] in = {inH, inW};
    int[] p = new int[4];
    for (int axis = 0; axis < 2; axis++) {
      int outSize = (in[axis] + stride[axis] - 1) / stride[axis];
      int total = Math.max(0, (outSize - 1) * stride[axis] + effectiveKernel[axis] - in[axis]);
      p[axis] = total / 2;
      p[axis + 2] = total - total / 2;
    }
    return p;
  }

  /** {@code floor((in + padA + padB - effectiveK) / stride) + 1}, or below 1 when the window does not fit. */
  static int outSize(int in, int padA, int padB, int effectiveKernel, int stride) {
    int span = in + padA + padB - effectiveKernel;
    return span < 0 ? 0 : span / stride + 1;
  }

  /** Reports a non-image input of a 2-D op and returns false. */
  static boolean requireImage(Node node, String annotation, Shape x, Diagnostics out) {
    if (x.rank() == 3) {
      return true;
    }
    out.report(Message.RANK, node, null, annotation, node.name(), "an image [B, C, H, W]", x,
        "; declare the network with @Network(inputShape = {C, H, W})");
    return false;
  }

  /** {@code 3x3}, or {@code 3x5}. */
  static String text(int[] pair) {
    return pair[0] + "x" + pair[1];
  }
}
