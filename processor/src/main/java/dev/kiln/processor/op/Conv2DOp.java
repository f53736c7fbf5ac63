package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Conv2D;
import dev.kiln.dsl.Init;
import dev.kiln.dsl.Padding;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code @Conv2D}: {@code y[B, F, H', W'] = act(conv(x[B, C, H, W], W) + b)} with PyTorch's
 * semantics. Parameters {@code kernel [F, C/groups, kH, kW]}, {@code bias [F]}; attributes
 * {@code filters, kernel, stride, pad (top, left, bottom, right), dilation, groups, activation,
 * negativeSlope, useBias}.
 */
public final class Conv2DOp implements Op {
  public record Attrs(
      int filters, int[] kernel, int[] stride, Padding padding, int[] pad, int[] dilation, int groups,
      Activation activation, double negativeSlope, boolean useBias, Init init, boolean trainable) {
    Activated act() {
      return Activated.of(activation, negativeSlope);
    }
  }

  private static final ClassName CONV = Emit.kernel("ConvKernels");
  private static final ClassName GEOMETRY = Emit.kernel("Conv2dGeometry");

  @Override
  public String kind() {
    return "Conv2D";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Conv2D.class;
  }

  @Override
  public Object read(Annotation annotation) {
    Conv2D c = (Conv2D) annotation;
    return new Attrs(c.filters(), c.kernel(), c.stride(), c.padding(), c.pad(), c.dilation(), c.groups(), c.activation(),
        c.negativeSlope(), c.useBias(), c.init(), c.trainable());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OUT_ELEMENTWISE_FUSABLE;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    if (a.filters() < 1) {
      out.report(Message.BAD_VALUE, node, "filters", "filters", "at least 1", a.filters());
    }
    Spatial.pair(node, "kernel", a.kernel(), out);
    Spatial.pair(node, "stride", a.stride(), out);
    Spatial.pair(node, "dilation", a.dilation(), out);
    Spatial.checkPad(node, a.padding(), a.pad(), out);
    if (a.groups() < 1) {
      out.report(Message.BAD_VALUE, node, "groups", "groups", "at least 1", a.groups());
    } else if (a.filters() >= 1 && a.filters() % a.groups() != 0) {
      out.report(Message.BAD_VALUE, node, "groups", "groups", "a divisor of filters (" + a.filters() + ")", a.groups());
    }
    ActivationRules.check(node, a.activation(), a.negativeSlope(), out);
  }

  /** Geometry for the node's input, or null when it does not fit (reported if {@code out} is non-null). */
  private static int[] geometry(Node node, Shape x, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    int[] k = Spatial.pair(a.kernel());
    int[] s = Spatial.pair(a.stride());
    int[] d = Spatial.pair(a.dilation());
    int[] eff = {d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1};
    int inC = x.dim(0);
    int inH = x.dim(1);
    int inW = x.dim(2);
    int[] p = Spatial.pads(a.padding(), a.pad(), eff, s, inH, inW);
    int outH = Spatial.outSize(inH, p[0], p[2], eff[0], s[0]);
    int outW = Spatial.outSize(inW, p[1], p[3], eff[1], s[1]);
    if (inC % a.groups() != 0) {
      if (out != null) {
        out.report(Message.BAD_VALUE, node, "groups", "groups", "a divisor of the input channels (" + inC + ")", a.groups());
      }
      return null;
    }
    if (outH < 1 || outW < 1) {
      if (out != null) {
        out.report(Message.WINDOW, node, "kernel", "@Conv2D", node.name(), Spatial.text(eff), x,
            "padding " + java.util.Arrays.toString(p));
      }
      return null;
    }
    return new int[] {inC, inH, inW, a.filters(), k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1], a.groups(), outH, outW};
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    if (!Spatial.requireImage(node, "@Conv2D", x, out)) {
      return null;
    }
    int[] g = geometry(node, x, out);
    return g == null ? null : Shape.of(g[3], g[15], g[16]);
  }

  @Override
  public Activated activation(Node node) {
    return node.attrs(Attrs.class).act();
  }

  @Override
  public boolean declaredTrainable(Node node) {
    return node.attrs(Attrs.class).trainable();
  }

  @Override
  public List<ParamDecl> params(Node node) {
    Attrs a = node.attrs(Attrs.class);
    int[] g = geometry(node, node.input().shape(), null);
    int perGroup = g[0] / a.groups();
    int fanIn = perGroup * g[4] * g[5];
    int fanOut = a.filters() / a.groups() * g[4] * g[5];
    List<ParamDecl> ps = new ArrayList<>();
    ps.add(ParamDecl.trained("kernel", new int[] {a.filters(), perGroup, g[4], g[5]}, Initializers.of(a.init(), a.activation()), fanIn, fanOut));
    if (a.useBias()) {
      ps.add(ParamDecl.trained("bias", new int[] {a.filters()}, "ZEROS", fanIn, fanOut));
    }
    return ps;
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    return ActivationRules.savedPreActivation(node, effective);
  }

  private static String geometryConstant(Node node, Emit e) {
    int[] g = geometry(node, node.input().shape(), null);
    StringBuilder args = new StringBuilder();
    for (int i = 0; i < 15; i++) {
      args.append(i == 0 ? "" : ", ").append(g[i]);
    }
    return e.constant(node, "GEOMETRY", GEOMETRY, CodeBlock.of("new $T($L)", GEOMETRY, args));
  }

  @Override
  public void forward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    Activated act = e.effectiveActivation(node);
    String geometry = geometryConstant(node, e);
    e.comment("$L: Conv2D $L $L $L -> $L$L, $L in the epilogue", node.name(), a.filters(),
        Spatial.text(Spatial.pair(a.kernel())), node.input().shape(), node.shape(), a.useBias() ? " + bias" : "",
        act.activation());
    e.statement("$T.forward($L, n, $L, $L, $L, $L, $L, $L, $L)", CONV, geometry, e.in(node, 0), e.param(node, "kernel"),
        a.useBias() ? e.param(node, "bias") : "null, 0", e.activation(act), Emit.f(act.alpha()), e.out(node),
        act.activation() == Activation.GELU ? e.saved(node, "pre") : "null, 0");
  }

  /**
   * The forward of this convolution and of {@code pool}, its only reader (a max or average pooling), as
   * one kernel call that writes only the pooled output (see {@code Fusion}): at inference, and in
   * training too when {@code training} (a max pooling's indices then recorded by the same call).
   */
  public void forwardPooled(Node node, Node pool, boolean training, Emit e) {
    Activated act = e.effectiveActivation(node);
    String geometry = geometryConstant(node, e);
    String poolGeometry = PoolOp.geometryConstant(pool, e);
    boolean max = pool.op() instanceof MaxPool2DOp;
    e.comment("$L + $L$L: $L -> $L in one call (where the kernel can, each tile is pooled in cache and the "
        + "convolution's output is not stored)", node.name(), pool.name(), training ? "" : " at inference",
        node.input().shape(), pool.shape());
    e.statement("$T.$L($L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L$L)", CONV, max ? "forwardMaxPooled" : "forwardAvgPooled",
        geometry, poolGeometry, e.in(node, 0), e.param(node, "kernel"),
        node.attrs(Attrs.class).useBias() ? e.param(node, "bias") : "null, 0", e.activation(act), Emit.f(act.alpha()),
        e.out(node), act.activation() == Activation.GELU ? e.saved(node, "pre") : "null, 0", e.out(pool),
        max && training ? CodeBlock.of(", $L", e.savedForTraining(pool, "argmax")) : "");
  }

  /**
   * The training backward of this convolution and of {@code pool}, the max pooling that alone reads its
   * output, when the convolution's input needs no gradient: one kernel call that scatters the pooling's
   * gradient sample by sample (with a folded ReLU derivative) and takes the weight gradient from it, so
   * the convolution's output gradient is not stored (see {@code Fusion}).
   */
  public void backwardPooled(Node node, Node pool, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    Activated act = e.effectiveActivation(node);
    e.comment("$L + $L backward: d$L.kernel += conv(x, g)$L, g = g($L) scattered to each window's maximum$L, sample by "
        + "sample into a buffer (g($L) is not stored)", node.name(), pool.name(), node.name(),
        a.useBias() ? ", d" + node.name() + ".bias += Σ g" : "", pool.name(),
        act.activation() == Activation.RELU ? " ⊙ RELU' of the maximum" : "", node.name());
    e.statement("$T.backwardParamsMaxPooled($L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L)", CONV, geometryConstant(node, e),
        PoolOp.geometryConstant(pool, e), e.trainingIn(node, 0), e.grad(pool), e.saved(pool, "argmax"),
        e.activation(act), e.out(pool), e.grad(node), e.paramGrad(node, "kernel"),
        a.useBias() ? e.paramGrad(node, "bias") : "null, 0");
  }

  @Override
  public void backward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    String geometry = geometryConstant(node, e);
    ActivationRules.derivative(node, e.effectiveActivation(node), e);
    if (!e.inputGradientPass()) {
      e.comment("$L backward: d$L.kernel += conv(x, g)$L", node.name(), node.name(), a.useBias() ? ", d" + node.name() + ".bias += Σ g" : "");
      e.statement("$T.backwardParams($L, n, $L, $L, $L, $L)", CONV, geometry, e.trainingIn(node, 0), e.grad(node),
          e.paramGrad(node, "kernel"), a.useBias() ? e.paramGrad(node, "bias") : "null, 0");
    }
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx != null) {
      e.comment("g($L) $L convᵀ(g, W)", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
      e.statement("$T.backwardInput($L, n, $L, $L, $L, $L)", CONV, geometry, e.grad(node), e.param(node, "kernel"), dx,
          e.accumulate(node, 0));
    }
  }

  @Override
  public String architecture(Node node) {
    Attrs a = node.attrs(Attrs.class);
    int[] g = geometry(node, node.input().shape(), null);
    return "Conv2D(" + a.filters() + "," + g[4] + "x" + g[5] + ",s" + g[6] + "x" + g[7] + ",p" + g[8] + "." + g[9] + "."
        + g[10] + "." + g[11] + ",d" + g[12] + "x" + g[13] + ",g" + a.groups() + "," + a.act().text()
        + (a.useBias() ? "" : ",nobias") + ")";
  }

  @Override
  public String detail(Node node) {
    Attrs a = node.attrs(Attrs.class);
    int[] g = geometry(node, node.input().shape(), null);
    StringBuilder s = new StringBuilder().append(g[4]).append('x').append(g[5]);
    if (g[6] != 1 || g[7] != 1) {
      s.append(" s").append(g[6] == g[7] ? "" + g[6] : g[6] + "x" + g[7]);
    }
    if (g[8] + g[9] + g[10] + g[11] > 0) {
      s.append(" p").append(g[8] == g[10] && g[9] == g[11] && g[8] == g[9] ? "" + g[8] : g[8] + "," + g[9] + "," + g[10] + "," + g[11]);
    }
    if (g[12] != 1 || g[13] != 1) {
      s.append(" d").append(g[12]);
    }
    if (a.groups() != 1) {
      s.append(" g").append(a.groups());
    }
    return s.append(' ').append(a.act().text()).toString();
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs a = node.attrs(Attrs.class);
    int[] g = geometry(node, node.input().shape(), null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("filters", a.filters());
    m.put("kernel", Attributes.list(g[4], g[5]));
    m.put("stride", Attributes.list(g[6], g[7]));
    m.put("pad", Attributes.list(g[8], g[9], g[10], g[11]));
    m.put("dilation", Attributes.list(g[12], g[13]));
    m.put("groups", a.groups());
    m.put("activation", a.activation().name());
    m.put("negativeSlope", Double.valueOf(Float.toString(a.act().alpha())));
    m.put("useBias", a.useBias());
    return m;
  }

  @Override
  public String comment(Node node) {
    return "";
  }
}
