package dev.kiln.processor.op;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.kiln.dsl.Activation;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.FusionClass;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code @SimpleRNN}, {@code @LSTM} and {@code @GRU} share: a sequence {@code [B, T, F]} in,
 * {@code [B, T, dirs·units]} (return sequences) or {@code [B, dirs·units]} (last state) out, one
 * {@code RecurrentKernels} call per direction in each pass (the time loop lives in the kernel, with
 * the input projection of all steps as one GEMM). Per direction: parameters {@code weight_ih
 * [G·units, F]}, {@code weight_hh [G·units, units]}, {@code bias_ih}, {@code bias_hh} (suffix
 * {@code _reverse} for the backward direction, as PyTorch names them) and a saved workspace.
 * Attributes {@code units, returnSequences, bidirectional} (and the cell's own).
 *
 * <p>A {@code stateful} layer starts each batch from the state the previous batch of as many rows
 * ended with: the model's carried-state arena ({@code CompiledModel.carriedStates(n)}, this layer at
 * {@code stateOffset(id, n)}, laid out {@code [n, units]} h then, for the LSTM, {@code [n, units]} c).
 * Forward reads it; backward reads it too (the gradient of {@code weight_hh} at the first step) and
 * only then is it replaced by the batch's final state; at inference forward replaces it at once.
 * Non-stateful layers emit exactly what they did before (null state).
 *
 * <p>In the streaming pass ({@link Emit#streaming}; {@code SequenceGenerator}) every forward layer,
 * stateful or not, runs {@code RecurrentKernels.stream} over the steps fed from its block of the
 * generator's states ({@link #stateWidth} floats per row), which the kernel replaces by the state after
 * the last step; a bidirectional layer refuses ({@link #streamRefusal}).
 */
public abstract class RecurrentOp implements Op {
  /** The settings every recurrent layer has; {@code activation} is TANH or RELU for SimpleRNN, else null. */
  public record Attrs(
      int units, Activation activation, boolean returnSequences, boolean bidirectional, boolean trainable,
      boolean stateful) {}

  private static final ClassName KERNELS = Emit.kernel("RecurrentKernels");
  private static final ClassName CELL = Emit.kernel("RecurrentCell");

  /** The runtime's {@code RecurrentCell} constant for a layer. */
  abstract String cell(Node node);

  /** Gates per unit: 1, 4 (LSTM) or 3 (GRU). */
  abstract int gates();

  @Override
  public FusionClass fusionClass() {
    return FusionClass.OPAQUE;
  }

  @Override
  public void check(Node node, Diagnostics out) {
    Attrs a = node.attrs(Attrs.class);
    if (a.units() < 1) {
      out.report(Message.BAD_VALUE, node, "units", "units", "at least 1", a.units());
    }
    if (a.stateful() && a.bidirectional()) {
      out.report(Message.STATEFUL, node, "stateful", kind(), node.name());
    }
  }

  @Override
  public Shape infer(Node node, List<Shape> inputs, Diagnostics out) {
    Shape x = inputs.get(0);
    if (x.rank() != 2) {
      out.report(Message.RANK, node, null, "@" + kind(), node.name(), "a sequence [B, steps, features]", x,
          x.rank() == 1 ? "; declare the input as inputShape = {steps, features}, or read an @Embedding" : "");
      return null;
    }
    Attrs a = node.attrs(Attrs.class);
    int width = directions(node) * a.units();
    return a.returnSequences() ? Shape.of(x.dim(0), width) : Shape.vector(width);
  }

  /** Floats of carried state per row: h, and c for the LSTM (see {@code RecurrentKernels.stream}). */
  public int stateWidth(Node node) {
    return node.attrs(Attrs.class).units() * (gates() == 4 ? 2 : 1);
  }

  static int directions(Node node) {
    return node.attrs(Attrs.class).bidirectional() ? 2 : 1;
  }

  private static int steps(Node node) {
    return node.input().shape().dim(0);
  }

  private static int features(Node node) {
    return node.input().shape().dim(1);
  }

  /** Floats of workspace per sample and direction (see {@code RecurrentKernels.workspacePerSample}). */
  int workspace(Node node) {
    int t = steps(node);
    int h = node.attrs(Attrs.class).units();
    int extra = gates() > 1 ? t * h : 0;
    return Math.addExact(Math.multiplyExact(t, features(node) + (gates() + 1) * h) + extra, 2 * h);
  }

  @Override
  public boolean declaredTrainable(Node node) {
    return node.attrs(Attrs.class).trainable();
  }

  private static String suffix(int direction) {
    return direction == 0 ? "" : "_reverse";
  }

  @Override
  public List<ParamDecl> params(Node node) {
    int h = node.attrs(Attrs.class).units();
    int g = gates() * h;
    List<ParamDecl> ps = new ArrayList<>();
    for (int d = 0; d < directions(node); d++) {
      // PyTorch draws every recurrent weight and bias from U(-1/sqrt(units), 1/sqrt(units)).
      ps.add(ParamDecl.trained("weight_ih" + suffix(d), new int[] {g, features(node)}, "UNIFORM_SQRT_FAN_IN", h, g));
      ps.add(ParamDecl.trained("weight_hh" + suffix(d), new int[] {g, h}, "UNIFORM_SQRT_FAN_IN", h, g));
      ps.add(ParamDecl.trained("bias_ih" + suffix(d), new int[] {g}, "UNIFORM_SQRT_FAN_IN", h, g));
      ps.add(ParamDecl.trained("bias_hh" + suffix(d), new int[] {g}, "UNIFORM_SQRT_FAN_IN", h, g));
    }
    return ps;
  }

  @Override
  public List<SavedDecl> saved(Node node, Activated effective) {
    List<SavedDecl> s = new ArrayList<>();
    for (int d = 0; d < directions(node); d++) {
      s.add(SavedDecl.floats("ws" + suffix(d), workspace(node),
          node.name() + (d == 0 ? "" : " reverse") + " gates and states of every step, for back-propagation through time"));
    }
    return s;
  }

  /**
   * The embedding whose padding ids end this layer's sequences, or null: found by walking back
   * through single-input layers that keep the sequence's steps (recurrent layers returning
   * sequences, time-distributed dense layers, dropout).
   */
  static Node maskSource(Node node) {
    Node x = node.input();
    int steps = x.shape().dim(0);
    while (true) {
      if (x.op() instanceof EmbeddingOp) {
        return EmbeddingOp.pads(x) ? x : null;
      }
      Shape s = x.shape();
      if (x.inputs().size() != 1 || s == null || s.rank() != 2 || s.dim(0) != steps) {
        return null;
      }
      x = x.input();
    }
  }

  private static CodeBlock lengths(Node node, Emit e) {
    Node source = maskSource(node);
    return source == null ? CodeBlock.of("null, 0") : e.saved(source, "lengths");
  }

  private CodeBlock weights(Node node, int d, Emit e) {
    String s = suffix(d);
    return CodeBlock.of("$L, $L, $L, $L", e.paramOffset(node, "weight_ih" + s), e.paramOffset(node, "weight_hh" + s),
        e.paramOffset(node, "bias_ih" + s), e.paramOffset(node, "bias_hh" + s));
  }

  private CodeBlock shape(Node node, int d) {
    return CodeBlock.of("$T.$L, n, $L, $L, $L, $L", CELL, cell(node), steps(node), features(node),
        node.attrs(Attrs.class).units(), d == 1);
  }

  /**
   * A forward layer streams from its carried state; a bidirectional one cannot: its reverse direction
   * starts at each sequence's end.
   */
  @Override
  public String streamRefusal(Node node) {
    return node.attrs(Attrs.class).bidirectional()
        ? "a bidirectional layer reads each sequence from its end, which a stream has not reached yet"
        : null;
  }

  @Override
  public void forward(Node node, Emit e) {
    if (e.streaming()) {
      stream(node, e);
      return;
    }
    Attrs a = node.attrs(Attrs.class);
    Node source = maskSource(node);
    e.comment("$L: $L $L over [B, $L, $L] -> $L$L$L", node.name(), kind(), a.units(), steps(node), features(node),
        node.shape(), a.bidirectional() ? ", both directions" : "",
        source == null ? "" : ", sequences end at " + source.name() + "'s padding");
    int width = node.shape().dim(node.shape().rank() - 1);
    for (int d = 0; d < directions(node); d++) {
      e.statement("$T.forward($L, $L, params, $L, $L, $L, $L, $L, $L, $L, $L)", KERNELS, shape(node, d),
          e.in(node, 0), weights(node, d, e), lengths(node, e), state(node), e.saved(node, "ws" + suffix(d)),
          e.out(node), width, d * a.units(), a.returnSequences());
    }
    if (a.stateful()) {
      // Training keeps the initial state for backward, which carries the final state afterwards.
      e.beginIf("!training");
      carry(node, e);
      e.end();
    }
  }

  /**
   * The streaming pass: {@code steps} steps from the layer's carried state, which the kernel replaces
   * by the state after the last step; every step is real (padding ids are ordinary tokens there).
   */
  private void stream(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    e.comment("$L: $L $L over [B, steps, $L] from its carried state, which it leaves after the last step",
        node.name(), kind(), a.units(), features(node));
    int width = node.shape().dim(node.shape().rank() - 1);
    e.statement("$T.stream($T.$L, n, steps, $L, $L, $L, params, $L, $L, $L, $L, $L, 0, $L)", KERNELS, CELL, cell(node),
        features(node), a.units(), e.in(node, 0), weights(node, 0, e), e.streamState(node), e.saved(node, "ws"),
        e.out(node), width, a.returnSequences());
  }

  /** The initial state argument pair: the carried state of a stateful layer, else {@code null, 0} (zeros). */
  private static CodeBlock state(Node node) {
    return node.attrs(Attrs.class).stateful()
        ? CodeBlock.of("carriedStates(n), stateOffset($L, n)", node.id())
        : CodeBlock.of("null, 0");
  }

  /** Copies the batch's final state into the carried state, for the next batch. */
  private void carry(Node node, Emit e) {
    e.statement("$T.finalState($T.$L, n, $L, $L, false, $L, $L, carriedStates(n), stateOffset($L, n))", KERNELS, CELL,
        cell(node), steps(node), node.attrs(Attrs.class).units(), lengths(node, e), e.saved(node, "ws"), node.id());
  }

  @Override
  public void backward(Node node, Emit e) {
    Attrs a = node.attrs(Attrs.class);
    CodeBlock dx = e.inputGrad(node, 0);
    String inputGrad = dx == null ? "" : "g(" + node.input().name() + ") " + (e.accumulate(node, 0) ? "+=" : "=") + " ...";
    if (e.inputGradientPass()) {
      e.comment("$L backward through time, input gradient only: $L", node.name(), inputGrad);
    } else {
      e.comment("$L backward through time: dweights += ...$L", node.name(), dx == null ? "" : "; " + inputGrad);
    }
    int width = node.shape().dim(node.shape().rank() - 1);
    for (int d = 0; d < directions(node); d++) {
      boolean accumulate = d > 0 || e.accumulate(node, 0);
      e.statement("$T.backward($L, $L, params, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)", KERNELS,
          shape(node, d), e.trainingIn(node, 0), weights(node, d, e), lengths(node, e), state(node),
          e.saved(node, "ws" + suffix(d)), e.grad(node), width, d * a.units(), a.returnSequences(),
          dx == null ? CodeBlock.of("null, 0") : dx, dx != null && accumulate, e.inputGradientPass() ? "null" : "grads",
          weights(node, d, e));
    }
    if (a.stateful() && !e.inputGradientPass()) {
      e.comment("$L: its final state starts the next batch (truncated back-propagation through time)", node.name());
      carry(node, e);
    }
  }

  @Override
  public String architecture(Node node) {
    Attrs a = node.attrs(Attrs.class);
    return kind() + "(" + a.units() + (a.activation() == null ? "" : "," + a.activation())
        + (a.returnSequences() ? ",seq" : ",last") + (a.bidirectional() ? ",bi" : "") + (a.stateful() ? ",stateful" : "")
        + ")";
  }

  @Override
  public String detail(Node node) {
    Attrs a = node.attrs(Attrs.class);
    List<String> parts = new ArrayList<>();
    if (a.activation() != null) {
      parts.add(a.activation().name());
    }
    parts.add(a.returnSequences() ? "sequences" : "last state");
    if (a.bidirectional()) {
      parts.add("bidirectional");
    }
    if (a.stateful()) {
      parts.add("stateful");
    }
    Node source = maskSource(node);
    if (source != null) {
      parts.add("masked by " + source.name());
    }
    return String.join(", ", parts);
  }

  @Override
  public Map<String, Object> attributes(Node node) {
    Attrs a = node.attrs(Attrs.class);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("units", a.units());
    if (a.activation() != null) {
      m.put("activation", a.activation().name());
    }
    m.put("returnSequences", a.returnSequences());
    m.put("bidirectional", a.bidirectional());
    if (a.stateful()) {
      m.put("stateful", true); // absent when false, so that existing specs keep their text
    }
    return m;
  }
}
