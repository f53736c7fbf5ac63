package dev.kiln.runtime.kernels;

/**
 * Geometry of a 2-D pooling window over one sample {@code x[c, inH, inW] → y[c, outH, outW]}, PyTorch's
 * {@code ceil_mode=false}: {@code out = floor((in + padA + padB - k) / stride) + 1}.
 *
 * <p>As in PyTorch, a padding may be at most half the window on that axis, so every window holds at
 * least one real input cell.
 *
 * @throws IllegalArgumentException from the constructor when a size is not positive, a padding is
 *     negative or larger than half the window, or the output would be smaller than 1x1
 */
public record Pool2dGeometry(int c, int inH, int inW, int kH, int kW, int strideH, int strideW,
    int padTop, int padLeft, int padBottom, int padRight) {

  /** Validates every field; see the class comment. */
  public Pool2dGeometry {
    positive("c", c);
    positive("inH", inH);
    positive("inW", inW);
    positive("kH", kH);
    positive("kW", kW);
    positive("strideH", strideH);
    positive("strideW", strideW);
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
      throw new IllegalArgumentException("pool2d: padding must be >= 0, got top " + padTop + ", left " + padLeft
          + ", bottom " + padBottom + ", right " + padRight);
    }
    if (2 * Math.max(padTop, padBottom) > kH || 2 * Math.max(padLeft, padRight) > kW) {
      throw new IllegalArgumentException("pool2d: padding must be at most half the " + kH + "x" + kW
          + " window, got top " + padTop + ", left " + padLeft + ", bottom " + padBottom + ", right " + padRight);
    }
    long outH = outLength(inH, padTop, padBottom, kH, strideH);
    long outW = outLength(inW, padLeft, padRight, kW, strideW);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("pool2d: a " + kH + "x" + kW + " window does not fit a padded "
          + (inH + padTop + padBottom) + "x" + (inW + padLeft + padRight) + " input");
    }
    if ((long) c * inH * inW > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("pool2d: a sample exceeds 2^31 floats");
    }
  }

  /** Output height: {@code floor((inH + padTop + padBottom - kH) / strideH) + 1}. */
  public int outH() {
    return (int) outLength(inH, padTop, padBottom, kH, strideH);
  }

  /** Output width: {@code floor((inW + padLeft + padRight - kW) / strideW) + 1}. */
  public int outW() {
    return (int) outLength(inW, padLeft, padRight, kW, strideW);
  }

  /** Floats of one input sample: {@code c·inH·inW}. */
  public int inSize() {
    return c * inH * inW;
  }

  /** Floats of one output sample: {@code c·outH·outW}. */
  public int outSize() {
    return c * outH() * outW();
  }

  private static long outLength(int in, int padA, int padB, int k, int stride) {
    long span = (long) in + padA + padB - k;
    return span < 0 ? 0 : span / stride + 1;
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("pool2d: " + name + " must be >= 1, got " + value);
    }
  }
}
