package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.BatchNorm;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.lang.annotation.Annotation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code @BatchNorm} with PyTorch's semantics, per channel of an image or per feature of a vector.
 * Parameters {@code gamma, beta} (trained) and {@code running_mean, running_var} (state: saved, not
 * optimized); training saves the batch mean and 1/std per channel. Attributes {@code momentum, epsilon}.
 */
public final class BatchNormOp implements Op {
  public record Attrs(double momentum, double epsilon, boolean trainable) {}

  private static final ClassName BN = Emit.kernel("BatchNormKernels");

  @Override
  public String kind() {
    return "BatchNorm";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return BatchNorm.class;
  }

  @Override
  public Object read(Annotation annotation) {
    BatchNorm b = (BatchNorm) annotation;
    return new Attrs(b.momentum(), b.epsilon(), b.trainable());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.BROADCAST;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    if (!(a.momentum() > 0 && a.momentum() <= 1)) {
      out.report(Message.BAD_VALUE, node, "momentum", "momentum", "in (0, 1]", a.momentum());
    }
    if (!(a.epsilon() > 0) || Double.isInfinite(a.epsilon())) {
      out.report(Message.BAD_VALUE, node, "epsilon", "epsilon", "positive and finite", a.epsilon());
    }
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    if (x.rank() != 1 && x.rank() != 3) {
      out.report(Message.RANK, node, null, "@BatchNorm", node.name(), "a vector [B, F] or an image [B, C, H, W]", x, "");
      return null;
    }
    return x;
  }

  private static int channels(Node node) {
    return node.shape().dim(0);
  }

  private static int spatial(Node node) {
    return node.shape().size() / channels(node);
  }

  @Override
  public boolean declaredTrainable(Node node) {
    return node.attrs(Attrs.class).trainable();
  }

  @Override
  public List<ParamDecl> params(Node node) {
    int c = channels(node);
    return List.of(
        ParamDecl.trained("gamma", new int[] {c}, "ONES", c, c),
        ParamDecl.trained("beta", new int[] {c}, "ZEROS", c, c),
        ParamDecl.state("running_mean", new int[] {c}, "ZEROS"),
        ParamDecl.state("running_var", new int[] {c}, "ONES"));
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    int c = channels(node);
    return List.of(
        SavedDecl.perBatch("mean", c, node.name() + " batch mean per channel"),
        SavedDecl.perBatch("inv_std", c, node.name() + " 1/sqrt(batch variance + eps) per channel"));
  }

  @Override
  public void forward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    int c = channels(node);
    int hw = spatial(node);
    e.comment("$L: BatchNorm over $L channels x $L; training: batch statistics (running ones updated), else running statistics",
        node.name(), c, hw);
    e.beginIf("training");
    e.statement("$T.trainForward(n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", BN, c, hw, e.in(node, 0),
        e.param(node, "gamma"), e.param(node, "beta"), Emit.f((float) a.epsilon()), Emit.f((float) a.momentum()),
        e.param(node, "running_mean"), e.param(node, "running_var"), e.saved(node, "mean"), e.saved(node, "inv_std"),
        e.out(node));
    e.orElse();
    e.statement("$T.evalForward(n, $L, $L, $L, $L, $L, $L, $L, $L, $L)", BN, c, hw, e.in(node, 0), e.param(node, "gamma"),
        e.param(node, "beta"), Emit.f((float) a.epsilon()), e.param(node, "running_mean"), e.param(node, "running_var"),
        e.out(node));
    e.end();
  }

  @Override
  public void backward(Node node, Emit e) {
    CodeBlock dx = e.inputGrad(node, 0);
    if (e.inputGradientPass()) {
      // Inference normalizes with the running statistics, constants: an affine map per channel.
      e.comment("$L backward at inference: g($L) $L g · gamma / sqrt(running_var + eps)", node.name(),
          node.input().name(), e.accumulate(node, 0) ? "+=" : "=");
      e.statement("$T.evalBackward(n, $L, $L, $L, $L, $L, $L, $L, $L)", BN, channels(node), spatial(node), e.grad(node),
          e.param(node, "gamma"), Emit.f((float) node.attrs(Attrs.class).epsilon()), e.param(node, "running_var"), dx,
          e.accumulate(node, 0));
      return;
    }
    e.comment("$L backward: dgamma, dbeta += ...$L", node.name(), dx == null ? "" : "; g(" + node.input().name() + ") "
        + (e.accumulate(node, 0) ? "+=" : "=") + " ...");
    e.statement("$T.backward(n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", BN, channels(node), spatial(node),
        e.trainingIn(node, 0), e.grad(node), e.param(node, "gamma"), e.saved(node, "mean"), e.saved(node, "inv_std"),
        dx == null ? "null, 0" : dx, dx != null && e.accumulate(node, 0), e.paramGrad(node, "gamma"),
        e.paramGrad(node, "beta"));
  }

  @Override
  public String architecture(Node node) {
    return "BatchNorm(" + (float) node.attrs(Attrs.class).epsilon() + ")";
  }

  @Override
  public String detail(Node node) {
    Attrs a = node.attrs(Attrs.class);
    return "momentum " + a.momentum() + " eps " + a.epsilon();
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs a = node.attrs(Attrs.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("momentum", a.momentum());
    m.put("epsilon", a.epsilon());
    return m;
  }
}
