package dev.kiln.onnx;

import static dev.kiln.onnx.TypedSpecBuilder.ints;
import static dev.kiln.onnx.TypedSpecBuilder.state;
import static dev.kiln.onnx.TypedSpecBuilder.trained;

import dev.kiln.runtime.model.LossKind;
import dev.kiln.runtime.model.ModelSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Convolutional networks described by hand with typed attributes, as the processor describes them,
 * each with its forward pass written independently in PyTorch (float64, {@code torch.nn.functional})
 * for {@link OnnxConvExportTest}. The PyTorch code sees {@code x} (the input batch), {@code P} (the
 * parameter tensors by name, in Kiln's layouts) and sets {@code y}. Sizes are odd on purpose: 3 and 5
 * channels, 7x9 and 9x7 images, stride 2, groups 2, dilation 2, asymmetric pads.
 */
final class HandBuiltNetworks {
  /** A network's description and its PyTorch forward pass. */
  record HandBuilt(ModelSpec spec, String torch) {}

  private HandBuiltNetworks() {}

  /** Conv2D 3x3 stride 2 pad 1 + bias + RELU → MaxPool2D (asymmetric pad) → BatchNorm → Flatten → Dense SOFTMAX. */
  static HandBuilt smallCnn() {
    ModelSpec spec =
        new TypedSpecBuilder("SmallCnn", LossKind.SOFTMAX_CROSS_ENTROPY, 3, 7, 9)
            .layer("conv", "Conv2D", new int[] {4, 4, 5}, conv(4, ints(3, 3), ints(2, 2), ints(1, 1, 1, 1), ints(1, 1), 1, "RELU", true),
                trained("kernel", 4, 3, 3, 3), trained("bias", 4))
            .layer("pool", "MaxPool2D", new int[] {4, 2, 3}, pool(ints(2, 2), ints(2, 2), ints(0, 0, 1, 1)))
            .layer("norm", "BatchNorm", new int[] {4, 2, 3}, Map.of("momentum", 0.1, "epsilon", 1e-3),
                trained("gamma", 4), trained("beta", 4), state("running_mean", 4), state("running_var", 4))
            .layer("flat", "Flatten", new int[] {24}, Map.of())
            .layer("out", "Dense", new int[] {5}, dense(5, "SOFTMAX", true), trained("kernel", 24, 5), trained("bias", 5))
            .build();
    String torch = """
        h = F.relu(F.conv2d(x, P['conv.kernel'], P['conv.bias'], stride=2, padding=1))
        # pad = [top 0, left 0, bottom 1, right 1]; max pooling never picks the padding
        h = F.max_pool2d(F.pad(h, (0, 1, 0, 1), value=float('-inf')), 2, stride=2)
        h = F.batch_norm(h, P['norm.running_mean'], P['norm.running_var'], P['norm.gamma'], P['norm.beta'],
                         training=False, eps=1e-3)
        h = h.flatten(1)
        y = torch.softmax(h @ P['out.kernel'] + P['out.bias'], dim=1)
        """;
    return new HandBuilt(spec, torch);
  }

  /**
   * A residual block: Conv2D (LEAKY_RELU) → Conv2D (groups 2, dilation 2, asymmetric pad, no bias) →
   * Add of both → Activate TANH → GlobalAveragePool2D → Dense, under mean squared error.
   */
  static HandBuilt residual() {
    ModelSpec spec =
        new TypedSpecBuilder("SmallResidual", LossKind.MEAN_SQUARED_ERROR, 4, 9, 7)
            .layer("c1", "Conv2D", new int[] {6, 9, 7},
                withSlope(conv(6, ints(3, 3), ints(1, 1), ints(1, 1, 1, 1), ints(1, 1), 1, "LEAKY_RELU", true), 0.1),
                trained("kernel", 6, 4, 3, 3), trained("bias", 6))
            .layer("c2", "Conv2D", new int[] {6, 9, 7},
                conv(6, ints(3, 3), ints(1, 1), ints(1, 0, 3, 4), ints(2, 2), 2, "LINEAR", false),
                trained("kernel", 6, 3, 3, 3))
            .layer("sum", "Add", List.of("c1", "c2"), new int[] {6, 9, 7}, Map.of())
            .layer("act", "Activate", new int[] {6, 9, 7}, Map.of("activation", "TANH", "negativeSlope", 0.01))
            .layer("gap", "GlobalAveragePool2D", new int[] {6}, Map.of())
            .layer("out", "Dense", new int[] {3}, dense(3, "LINEAR", true), trained("kernel", 6, 3), trained("bias", 3))
            .build();
    String torch = """
        c1 = F.leaky_relu(F.conv2d(x, P['c1.kernel'], P['c1.bias'], padding=1), 0.1)
        # pad = [top 1, left 0, bottom 3, right 4]
        c2 = F.conv2d(F.pad(c1, (0, 4, 1, 3)), P['c2.kernel'], None, dilation=2, groups=2)
        h = torch.tanh(c1 + c2).mean(dim=(2, 3))
        y = h @ P['out.kernel'] + P['out.bias']
        """;
    return new HandBuilt(spec, torch);
  }

  /**
   * Two branches from the input (Conv2D TANH with stride 2 and asymmetric pad; AvgPool2D counting
   * the padding) joined by Concat, BatchNorm on an image, padded MaxPool2D, Flatten, Dense GELU
   * without bias, BatchNorm on a vector, Dropout, Dense SIGMOID, Concat of vectors, Activate LEAKY_RELU,
   * and a LINEAR logit under binary cross-entropy (sigmoid head).
   */
  static HandBuilt branches() {
    ModelSpec spec =
        new TypedSpecBuilder("Branches", LossKind.BINARY_CROSS_ENTROPY, 2, 8, 6)
            .layer("a", "Conv2D", new int[] {3, 8, 3}, conv(3, ints(2, 3), ints(1, 2), ints(0, 1, 1, 0), ints(1, 1), 1, "TANH", true),
                trained("kernel", 3, 2, 2, 3), trained("bias", 3))
            .layer("b", "AvgPool2D", List.of("input"), new int[] {2, 8, 3}, pool(ints(3, 2), ints(1, 2), ints(1, 0, 1, 1)))
            .layer("cat", "Concat", List.of("a", "b"), new int[] {5, 8, 3}, Map.of())
            .layer("bn2d", "BatchNorm", new int[] {5, 8, 3}, Map.of("momentum", 0.1, "epsilon", 1e-5),
                trained("gamma", 5), trained("beta", 5), state("running_mean", 5), state("running_var", 5))
            .layer("mp", "MaxPool2D", new int[] {5, 4, 2}, pool(ints(3, 3), ints(2, 2), ints(1, 1, 1, 1)))
            .layer("flat", "Flatten", new int[] {40}, Map.of())
            .layer("d1", "Dense", new int[] {12}, dense(12, "GELU", false), trained("kernel", 40, 12))
            .layer("bn1", "BatchNorm", new int[] {12}, Map.of("momentum", 0.2, "epsilon", 1e-2),
                trained("gamma", 12), trained("beta", 12), state("running_mean", 12), state("running_var", 12))
            .layer("drop", "Dropout", new int[] {12}, Map.of("rate", 0.3))
            .layer("d2", "Dense", new int[] {6}, dense(6, "SIGMOID", true), trained("kernel", 12, 6), trained("bias", 6))
            .layer("cat2", "Concat", List.of("drop", "d2"), new int[] {18}, Map.of())
            .layer("leaky", "Activate", new int[] {18}, Map.of("activation", "LEAKY_RELU", "negativeSlope", 0.2))
            .layer("logit", "Dense", new int[] {1}, dense(1, "LINEAR", true), trained("kernel", 18, 1), trained("bias", 1))
            .build();
    String torch = """
        # a: pad = [top 0, left 1, bottom 1, right 0]
        a = torch.tanh(F.conv2d(F.pad(x, (1, 0, 0, 1)), P['a.kernel'], P['a.bias'], stride=(1, 2)))
        # b: pad = [top 1, left 0, bottom 1, right 1], zeros counted in the mean
        b = F.avg_pool2d(F.pad(x, (0, 1, 1, 1)), (3, 2), stride=(1, 2))
        h = F.batch_norm(torch.cat([a, b], 1), P['bn2d.running_mean'], P['bn2d.running_var'], P['bn2d.gamma'],
                         P['bn2d.beta'], training=False, eps=1e-5)
        h = F.max_pool2d(F.pad(h, (1, 1, 1, 1), value=float('-inf')), 3, stride=2).flatten(1)
        d1 = F.gelu(h @ P['d1.kernel'])
        bn1 = F.batch_norm(d1, P['bn1.running_mean'], P['bn1.running_var'], P['bn1.gamma'], P['bn1.beta'],
                           training=False, eps=1e-2)
        d2 = torch.sigmoid(bn1 @ P['d2.kernel'] + P['d2.bias'])
        h = F.leaky_relu(torch.cat([bn1, d2], 1), 0.2)
        y = torch.sigmoid(h @ P['logit.kernel'] + P['logit.bias'])
        """;
    return new HandBuilt(spec, torch);
  }

  /**
   * A convolution as the output layer of a classifier, declared LINEAR: predict's softmax runs over
   * all [2, 2, 2] logits of a sample.
   */
  static HandBuilt convHead() {
    ModelSpec spec =
        new TypedSpecBuilder("ConvHead", LossKind.SOFTMAX_CROSS_ENTROPY, 3, 5, 5)
            .layer("logits", "Conv2D", new int[] {2, 2, 2}, conv(2, ints(3, 3), ints(2, 2), ints(0, 0, 0, 0), ints(1, 1), 1, "LINEAR", true),
                trained("kernel", 2, 3, 3, 3), trained("bias", 2))
            .build();
    String torch = """
        z = F.conv2d(x, P['logits.kernel'], P['logits.bias'], stride=2)
        y = torch.softmax(z.flatten(1), dim=1).reshape(z.shape)
        """;
    return new HandBuilt(spec, torch);
  }

  static Map<String, Object> conv(
      int filters, List<Integer> kernel, List<Integer> stride, List<Integer> pad, List<Integer> dilation, int groups,
      String activation, boolean useBias) {
    return Map.of(
        "filters", filters, "kernel", kernel, "stride", stride, "pad", pad, "dilation", dilation, "groups", groups,
        "activation", activation, "negativeSlope", 0.01, "useBias", useBias);
  }

  static Map<String, Object> pool(List<Integer> size, List<Integer> stride, List<Integer> pad) {
    return Map.of("size", size, "stride", stride, "pad", pad);
  }

  static Map<String, Object> dense(int units, String activation, boolean useBias) {
    return Map.of("units", units, "activation", activation, "negativeSlope", 0.01, "useBias", useBias);
  }

  /** {@code attributes} with {@code negativeSlope} replaced. */
  static Map<String, Object> withSlope(Map<String, Object> attributes, double slope) {
    HashMap<String, Object> copy = new HashMap<>(attributes);
    copy.put("negativeSlope", slope);
    return Map.copyOf(copy);
  }
}
