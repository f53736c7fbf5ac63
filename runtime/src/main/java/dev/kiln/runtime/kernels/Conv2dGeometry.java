package dev.kiln.runtime.kernels;

/**
 * Geometry of a 2-D convolution of one sample {@code x[inC, inH, inW] → y[outC, outH, outW]}, with
 * weights {@code [outC, inC/groups, kH, kW]} (PyTorch's layout) and bias {@code [outC]}.
 *
 * <p>Output channel {@code o} belongs to group {@code o / (outC/groups)} and sees only that group's
 * {@code inC/groups} input channels; {@code groups = inC = outC} is a depthwise convolution. Padding
 * may differ on each side (padTop, padLeft, padBottom, padRight); padded cells read as zero.
 *
 * @throws IllegalArgumentException from the constructor when a size is not positive, a padding is
 *     negative, groups does not divide inC and outC, or the output would be smaller than 1x1
 */
public record Conv2dGeometry(int inC, int inH, int inW, int outC, int kH, int kW,
    int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
    int dilationH, int dilationW, int groups) {

  /** Validates every field; see the class comment. */
  public Conv2dGeometry {
    positive("inC", inC);
    positive("inH", inH);
    positive("inW", inW);
    positive("outC", outC);
    positive("kH", kH);
    positive("kW", kW);
    positive("strideH", strideH);
    positive("strideW", strideW);
    positive("dilationH", dilationH);
    positive("dilationW", dilationW);
    positive("groups", groups);
    if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
      throw new IllegalArgumentException("conv2d: padding must be >= 0, got top " + padTop + ", left " + padLeft
          + ", bottom " + padBottom + ", right " + padRight);
    }
    if (inC % groups != 0 || outC % groups != 0) {
      throw new IllegalArgumentException("conv2d: groups " + groups + " must divide inC " + inC + " and outC " + outC);
    }
    long outH = outLength(inH, padTop, padBottom, dilationH, kH, strideH);
    long outW = outLength(inW, padLeft, padRight, dilationW, kW, strideW);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("conv2d: a " + kH + "x" + kW + " kernel (dilation " + dilationH + "x"
          + dilationW + ") does not fit a padded " + (inH + padTop + padBottom) + "x" + (inW + padLeft + padRight)
          + " input; the output would be " + outH + "x" + outW);
    }
    if ((long) outC * outH * outW > Integer.MAX_VALUE || (long) inC * inH * inW > Integer.MAX_VALUE
        || (long) outC * (inC / groups) * kH * kW > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("conv2d: a sample or the weights exceed 2^31 floats");
    }
  }

  /** Output height: {@code floor((inH + padTop + padBottom - dilationH·(kH-1) - 1) / strideH) + 1}. */
  public int outH() {
    return (int) outLength(inH, padTop, padBottom, dilationH, kH, strideH);
  }

  /** Output width: {@code floor((inW + padLeft + padRight - dilationW·(kW-1) - 1) / strideW) + 1}. */
  public int outW() {
    return (int) outLength(inW, padLeft, padRight, dilationW, kW, strideW);
  }

  /** Floats of one input sample: {@code inC·inH·inW}. */
  public int inSize() {
    return inC * inH * inW;
  }

  /** Floats of one output sample: {@code outC·outH·outW}. */
  public int outSize() {
    return outC * outH() * outW();
  }

  /** Floats of the weights: {@code outC·(inC/groups)·kH·kW}. */
  public int weightSize() {
    return outC * (inC / groups) * kH * kW;
  }

  /** Multiply-adds counted as two flops for a batch of n: {@code 2·n·outC·outH·outW·(inC/groups)·kH·kW}. */
  public long flops(int n) {
    return 2L * n * outC * outH() * outW() * (inC / groups) * kH * kW;
  }

  /** Input channels per group. */
  int groupInC() {
    return inC / groups;
  }

  /** Output channels per group. */
  int groupOutC() {
    return outC / groups;
  }

  /** Rows of a group's im2col matrix: {@code (inC/groups)·kH·kW}. */
  int patchSize() {
    return inC / groups * kH * kW;
  }

  /** A 1x1, stride-1, unpadded convolution: x is already the [inC, H·W] matrix the GEMM needs. */
  boolean pointwise() {
    return kH == 1 && kW == 1 && strideH == 1 && strideW == 1
        && padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0;
  }

  private static long outLength(int in, int padA, int padB, int dilation, int k, int stride) {
    long span = (long) in + padA + padB - (long) dilation * (k - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException("conv2d: " + name + " must be >= 1, got " + value);
    }
  }
}
