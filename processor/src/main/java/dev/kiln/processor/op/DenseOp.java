package dev.kiln.processor.op;

import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Init;
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
 * {@code @Dense}: {@code y[B, units] = act(x[B, in] · W[in, units] + b)}, bias and activation in the
 * GEMM epilogue. Its backward folds the producer's activation derivative and a dropout mask into the
 * input-gradient GEMM. Parameters {@code kernel [in, units]}, {@code bias [units]}; attributes
 * {@code units, activation, negativeSlope, useBias}.
 */
public final class DenseOp implements Op {
  public record Attrs(int units, Activation activation, double negativeSlope, boolean useBias, Init init, boolean trainable) {
    Activated act() {
      return Activated.of(activation, negativeSlope);
    }
  }

  private static final com.palantir.javapoet.ClassName DENSE = Emit.kernel("DenseKernels");
  private static final com.palantir.javapoet.ClassName GEMM = Emit.kernel("Gemm");

  @Override
  public String kind() {
    return "Dense";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Dense.class;
  }

  @Override
  public Object read(Annotation annotation) {
    Dense d = (Dense) annotation;
    return new Attrs(d.units(), d.activation(), d.negativeSlope(), d.useBias(), d.init(), d.trainable());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OUT_ELEMENTWISE_FUSABLE;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs d = node.attrs(Attrs.class);
    if (d.units() < 1) {
      out.report(Message.UNITS, node, "units", d.units(), node.name());
    }
    ActivationRules.check(node, d.activation(), d.negativeSlope(), out);
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    if (x != null && x.rank() != 1 && x.rank() != 2) {
      out.report(Message.RANK, node, null, "@Dense", node.name(),
          "a vector [B, features] or a sequence [B, steps, features]", x, "; add @Flatten before it");
      return null;
    }
    int units = node.attrs(Attrs.class).units();
    return x != null && x.rank() == 2 ? Shape.of(x.dim(0), units) : Shape.vector(units);
  }

  @Override
  public boolean needsInputShapes() {
    return false;
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
    Attrs d = node.attrs(Attrs.class);
    int in = features(node);
    List<ParamDecl> ps = new ArrayList<>();
    ps.add(ParamDecl.trained("kernel", new int[] {in, d.units()}, Initializers.of(d.init(), d.activation()), in, d.units()));
    if (d.useBias()) {
      ps.add(ParamDecl.trained("bias", new int[] {d.units()}, "ZEROS", in, d.units()));
    }
    return ps;
  }

  /** Features per row: the input's last axis (a sequence's steps are rows of their own). */
  private static int features(Node node) {
    Shape x = node.input().shape();
    return x.dim(x.rank() - 1);
  }

  /**
   * Rows of the matrix product: {@code n}, or {@code n * steps} for a sequence, where the layer acts on
   * every step alike (time-distributed).
   */
  private static String rows(Node node, Emit e) {
    Shape x = node.input().shape();
    return x.rank() == 2 ? "n * " + e.steps(x.dim(0)) : "n";
  }

  /** A time-distributed layer treats every step alike, and a layer on vectors sees one row per sample. */
  @Override
  public String streamRefusal(Node node) {
    return null;
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    return ActivationRules.savedPreActivation(node, effective);
  }

  @Override
  public boolean foldsInputDerivative() {
    return true;
  }

  @Override
  public void forward(Node node, Emit e) {
    Attrs d = node.attrs(Attrs.class);
    int in = features(node);
    Activated act = e.effectiveActivation(node);
    e.comment("$L: [$L, $L] · [$L, $L]$L, $L in the epilogue", node.name(), rows(node, e).replaceFirst("^n", "B"), in, in,
        d.units(), d.useBias() ? " + bias" : "", act.activation());
    e.statement("$T.forward($L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
        DENSE, rows(node, e), in, d.units(), e.in(node, 0), e.param(node, "kernel"),
        d.useBias() ? e.param(node, "bias") : "null, 0", e.activation(act), Emit.f(act.alpha()), e.out(node),
        act.activation() == Activation.GELU ? e.saved(node, "pre") : "null, 0");
  }

  @Override
  public void backward(Node node, Emit e) {
    Attrs d = node.attrs(Attrs.class);
    int in = features(node);
    Activated act = e.effectiveActivation(node);
    ActivationRules.derivative(node, act, e);
    if (!e.inputGradientPass()) {
      e.comment("$L backward: d$L.kernel += xᵀ·g$L", node.name(), node.name(), d.useBias() ? ", d" + node.name() + ".bias += Σ g" : "");
      e.statement("$T.backwardParams($L, $L, $L, $L, $L, $L, $L)",
          DENSE, rows(node, e), in, d.units(), e.trainingIn(node, 0), e.grad(node), e.paramGrad(node, "kernel"),
          d.useBias() ? e.paramGrad(node, "bias") : "null, 0");
    }
    CodeBlock dx = e.inputGrad(node, 0);
    if (dx == null) {
      return;
    }
    Emit.Fold fold = e.fold(node);
    if (fold != null) {
      e.comment("g($L) = (g · Wᵀ) ⊙ $L'$L, folded into the matmul epilogue", fold.producer().name(),
          fold.activation().activation(), fold.dropout() == null ? "" : " ⊙ " + fold.dropout().name() + " mask");
      e.statement("$T.backwardInput($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
          DENSE, rows(node, e), in, d.units(), e.grad(node), e.param(node, "kernel"), fold.target(), e.activation(fold.activation()),
          Emit.f(fold.activation().alpha()), fold.y(), fold.z(), fold.mask());
    } else {
      e.comment("g($L) $L g · Wᵀ", node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
      e.statement("$T.nt($L, $L, $L, $L, $L, $L, $L)", GEMM, rows(node, e), in, d.units(), e.grad(node), e.param(node, "kernel"), dx,
          e.accumulate(node, 0));
    }
  }

  @Override
  public String architecture(Node node) {
    Attrs d = node.attrs(Attrs.class);
    return "Dense(" + d.units() + "," + d.act().text() + (d.useBias() ? "" : ",nobias") + ")";
  }

  @Override
  public String detail(Node node) {
    return node.attrs(Attrs.class).act().text();
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs d = node.attrs(Attrs.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("units", d.units());
    m.put("activation", d.activation().name());
    m.put("negativeSlope", Double.valueOf(Float.toString(d.act().alpha())));
    m.put("useBias", d.useBias());
    return m;
  }

  @Override
  public String comment(Node node) {
    return "";
  }
}
