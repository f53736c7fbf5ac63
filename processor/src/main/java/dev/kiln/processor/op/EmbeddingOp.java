package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import dev.kiln.dsl.Embedding;
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
 * {@code @Embedding}: token ids {@code [B, T]} (int arena) pick rows of {@code weight [vocabulary,
 * dim]}, giving {@code [B, T, dim]}. Backward scatter-adds into the rows used; the padding row stays
 * zero (zeroed after initialisation, never given a gradient). With a padding index, forward also
 * saves each sequence's length (its first padding position) for the recurrent layers that read it
 * (see {@link RecurrentOp#maskSource}). Attributes {@code vocabulary, dim, paddingIndex}.
 */
public final class EmbeddingOp implements Op {
  public record Attrs(int vocabulary, int dim, int paddingIndex, boolean trainable) {}

  private static final ClassName EMBEDDING = Emit.kernel("EmbeddingKernels");

  @Override
  public String kind() {
    return "Embedding";
  }

  @Override
  public Class<? extends Annotation> annotation() {
    return Embedding.class;
  }

  @Override
  public Object read(Annotation annotation) {
    Embedding m = (Embedding) annotation;
    return new Attrs(m.vocabulary(), m.dim(), m.paddingIndex(), m.trainable());
  }

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OPAQUE;
  }

  @Override
  public boolean readsTokens() {
    return true;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    if (a.vocabulary() < 1) {
      out.report(Message.BAD_VALUE, node, "vocabulary", "vocabulary", "at least 1", a.vocabulary());
    }
    if (a.dim() < 1) {
      out.report(Message.BAD_VALUE, node, "dim", "dim", "at least 1", a.dim());
    }
    if (a.paddingIndex() < -1 || (a.vocabulary() >= 1 && a.paddingIndex() >= a.vocabulary())) {
      out.report(Message.BAD_VALUE, node, "paddingIndex", "paddingIndex", "-1 (none) or an id in [0, vocabulary)",
          a.paddingIndex());
    }
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    return Shape.of(inputs.get(0).dim(0), node.attrs(Attrs.class).dim());
  }

  private static int steps(Node node) {
    return node.shape().dim(0);
  }

  /** Whether the layer declares a padding id, so that forward saves the sequence lengths. */
  static boolean pads(Node node) {
    return node.attrs(Attrs.class).paddingIndex() >= 0;
  }

  @Override
  public boolean declaredTrainable(Node node) {
    return node.attrs(Attrs.class).trainable();
  }

  @Override
  public List<ParamDecl> params(Node node) {
    Attrs a = node.attrs(Attrs.class);
    return List.of(ParamDecl.trained("weight", new int[] {a.vocabulary(), a.dim()}, "STANDARD_NORMAL", a.dim(), a.dim()));
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    List<SavedDecl> s = new ArrayList<>();
    if (pads(node)) {
      s.add(SavedDecl.ints("lengths", 1, node.name() + " real steps per sequence (before the first padding id)"));
    }
    return s;
  }

  @Override
  public void initialize(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    if (a.paddingIndex() >= 0) {
      e.comment("$L: the padding id's row starts at zero, as in PyTorch", node.name());
      e.statement("$T.zeroRow($L, $L, $L)", EMBEDDING, a.dim(), a.paddingIndex(), e.param(node, "weight"));
    }
  }

  /** Each step's lookup is its own; padding ids are ordinary rows when streaming (no lengths). */
  @Override
  public String streamRefusal(Node node) {
    return null;
  }

  @Override
  public void forward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    String steps = e.steps(steps(node));
    e.comment("$L: Embedding [B, $L] ids -> [B, $L, $L]", node.name(), steps, steps, a.dim());
    e.statement("$T.forward(n * $L, $L, $L, $L, $L, $L)", EMBEDDING, steps, a.vocabulary(), a.dim(),
        e.in(node, 0), e.param(node, "weight"), e.out(node));
    if (pads(node) && !e.streaming()) {
      e.statement("$T.lengths(n, $L, $L, $L, $L)", EMBEDDING, steps(node), e.in(node, 0), a.paddingIndex(),
          e.saved(node, "lengths"));
    }
  }

  @Override
  public void backward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    e.comment("$L backward: d$L.weight[id] += g (scatter-add)$L", node.name(), node.name(),
        pads(node) ? ", padding row excluded" : "");
    e.statement("$T.backward(n * $L, $L, $L, $L, $L, $L, $L)", EMBEDDING, steps(node), a.vocabulary(), a.dim(),
        e.trainingIn(node, 0), e.grad(node), e.paramGrad(node, "weight"), a.paddingIndex());
  }

  @Override
  public String architecture(Node node) {
    Attrs a = node.attrs(Attrs.class);
    return "Embedding(" + a.vocabulary() + "," + a.dim() + (pads(node) ? ",pad" + a.paddingIndex() : "") + ")";
  }

  @Override
  public String detail(Node node) {
    Attrs a = node.attrs(Attrs.class);
    return a.vocabulary() + " ids" + (pads(node) ? ", padding " + a.paddingIndex() : "");
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs a = node.attrs(Attrs.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("vocabulary", a.vocabulary());
    m.put("dim", a.dim());
    m.put("paddingIndex", a.paddingIndex());
    return m;
  }
}
