package dev.kiln.processor.emit;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.op.Activated;
import dev.kiln.processor.op.Conv2DOp;
import dev.kiln.processor.op.Emit;
import dev.kiln.processor.op.InputOp;
import dev.kiln.processor.op.RecurrentOp;
import dev.kiln.processor.plan.ParamSlot;
import dev.kiln.processor.plan.Fusion;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.TensorSlot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Writes the model class of a plan with JavaPoet: constants for every size and arena offset, the
 * {@code ModelSpec}, and the {@code forward} and {@code computeLoss} (loss + backward) methods as
 * straight-line kernel calls, each op writing its own through {@link Emit}. Long networks are split
 * into methods of at most {@value #OPS_PER_METHOD} ops, far below the JVM's 64 KB method limit and
 * C2's huge-method cutoff. The output depends only on the plan, so the same network always gives
 * the same text.
 */
public final class ModelEmitter {
  private static final String RUNTIME = "dev.kiln.runtime";
  private static final ClassName COMPILED_MODEL = ClassName.get(RUNTIME + ".model", "CompiledModel");
  private static final ClassName MODEL_SPEC = ClassName.get(RUNTIME + ".model", "ModelSpec");
  private static final ClassName LAYER_SPEC = ClassName.get(RUNTIME + ".model", "LayerSpec");
  private static final ClassName PARAM_SPEC = ClassName.get(RUNTIME + ".model", "ParamSpec");
  private static final ClassName OPTIMIZER_SPEC = ClassName.get(RUNTIME + ".model", "OptimizerSpec");
  private static final ClassName GRADIENT_CLIP_SPEC = ClassName.get(RUNTIME + ".model", "GradientClipSpec");
  private static final ClassName LOSS_KIND = ClassName.get(RUNTIME + ".model", "LossKind");
  private static final ClassName INITIALIZER = ClassName.get(RUNTIME + ".model", "Initializer");
  private static final ClassName ROLE = ClassName.get(RUNTIME + ".model", "ParamSpec", "Role");
  private static final ClassName ACTIVATIONS = ClassName.get(RUNTIME + ".kernels", "Activations");
  private static final ClassName LIST = ClassName.get("java.util", "List");
  private static final ClassName MAP = ClassName.get("java.util", "Map");

  /** Ops per generated method before the pass is split into parts. */
  static final int OPS_PER_METHOD = 48;
  private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

  private final Plan plan;
  private final Graph graph;
  private final Map<String, FieldSpec> constants = new LinkedHashMap<>();

  private ModelEmitter(Plan plan) {
    this.plan = plan;
    this.graph = plan.graph();
  }

  /** The generated source file for {@code plan}. */
  public static JavaFile emit(Plan plan, String generator) {
    return new ModelEmitter(plan).file(generator);
  }

  private JavaFile file(String generator) {
    TypeSpec.Builder type =
        TypeSpec.classBuilder(graph.modelName())
            .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
            .superclass(COMPILED_MODEL)
            .addAnnotation(
                AnnotationSpec.builder(GENERATED)
                    .addMember("value", "$S", generator)
                    .addMember("comments", "$S", "from " + qualifiedSpec())
                    .build())
            .addJavadoc(classDoc());
    type.addField(constant("INPUTS", graph.input().shape().size(), "Floats per input sample" + shapeNote() + "."));
    type.addField(constant("OUTPUTS", graph.output().shape().size(), "Outputs per sample."));
    type.addField(constant("PARAMETER_COUNT", plan.parameterCount(), "Floats in the parameter arena (and the gradient arena)."));
    for (ParamSlot p : plan.params()) {
      type.addField(
          privateConstant(p.constant(), p.offset(), "Parameter arena offset of " + p.name() + " " + p.shapeText()
              + (p.trained() ? "." : " (state: saved, not optimized).")));
    }
    type.addField(
        privateConstant("ACTIVATION_FLOATS_PER_SAMPLE", plan.activationFloatsPerSample(),
            "Activation arena floats per sample of batch capacity."));
    type.addField(
        privateConstant("ACTIVATION_FIXED_FLOATS", plan.activationFixedFloats(),
            "Activation arena floats after the per-sample part, independent of the batch."));
    type.addField(
        privateConstant("INT_ACTIVATIONS_PER_SAMPLE", plan.intsPerSample(), "Int arena ints per sample of batch capacity."));
    for (TensorSlot t : plan.tensors()) {
      String where =
          switch (t.arena()) {
            case FLOAT -> "Activation tensor [B, " + t.width() + "]";
            case FIXED -> "Per-batch tensor [" + t.width() + "] after the per-sample arena";
            case INT -> "Int tensor [B, " + t.width() + "]";
          };
      type.addField(privateConstant(t.constant(), t.perSampleOffset(), where + ": " + t.description() + "."));
    }
    MethodSpec forward = pass("forward", true);
    MethodSpec loss = pass("computeLoss", false);
    MethodSpec inputGradient = plan.inputGradients() == null ? null : inputGradientPass();
    constants.values().forEach(type::addField);
    type.addField(
        FieldSpec.builder(MODEL_SPEC, "SPEC", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
            .initializer(specInitializer())
            .build());
    type.addMethod(
        MethodSpec.constructorBuilder()
            .addModifiers(Modifier.PUBLIC)
            .addJavadoc("A model with freshly initialised weights from the declared seed ($L).\n", graph.config().seed())
            .addStatement("this(SPEC.seed())")
            .build());
    type.addMethod(
        MethodSpec.constructorBuilder()
            .addModifiers(Modifier.PUBLIC)
            .addJavadoc("A model with freshly initialised weights from {@code seed}.\n")
            .addParameter(TypeName.LONG, "seed")
            .addStatement("super(SPEC, seed)")
            .addCode(initialization())
            .build());
    type.addMethod(forward);
    type.addMethods(parts);
    if (inputSlot().arena() == TensorSlot.Arena.FLOAT) {
      type.addMethod(
          MethodSpec.methodBuilder("forwardReadsInputField")
              .addAnnotation(Override.class)
              .addModifiers(Modifier.PROTECTED)
              .returns(TypeName.BOOLEAN)
              .addStatement("return true")
              .build());
    }
    type.addMethod(loss);
    if (inputGradient != null) {
      type.addMethod(inputGradient);
      type.addMethods(inputGradientParts);
      type.addMethod(offsetMethod("outputGradientOffset",
          plan.inputGradients().grads().get(Plan.owner(graph.output()))));
      type.addMethod(offsetMethod("inputGradientOffset", plan.inputGradients().grads().get(graph.input())));
    }
    type.addMethod(
        MethodSpec.methodBuilder("outputOffset")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .returns(TypeName.INT)
            .addStatement("return capacity * $L", plan.finalOutput().constant())
            .build());
    type.addMethod(
        MethodSpec.methodBuilder("logitsOffset")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .returns(TypeName.INT)
            .addStatement("return capacity * $L", plan.outputs().get(graph.output()).constant())
            .build());
    type.addMethod(layerOutputOffset());
    type.addMethods(streamingPass());
    return JavaFile.builder(graph.packageName(), type.build())
        .skipJavaLangImports(true)
        .indent("  ")
        .addFileComment("Generated by Kiln from $L. Do not edit: change the @Network class instead.", qualifiedSpec())
        .build();
  }

  private String shapeNote() {
    if (InputOp.holdsTokens(graph.input())) {
      return ", token ids (held as floats in data sets, copied into the int arena)";
    }
    return switch (graph.input().shape().rank()) {
      case 1 -> "";
      case 2 -> ", a row-major " + graph.input().shape() + " sequence";
      default -> ", a row-major " + graph.input().shape() + " image";
    };
  }

  /** What ops do once their parameters are drawn (e.g. zero a padding row). */
  private CodeBlock initialization() {
    EmitContext e = new EmitContext(Pass.FORWARD);
    for (Node n : graph.layers()) {
      n.op().initialize(n, e);
    }
    return e.code.build();
  }

  private String qualifiedSpec() {
    return graph.packageName().isEmpty() ? graph.sourceName() : graph.packageName() + "." + graph.sourceName();
  }

  private CodeBlock classDoc() {
    NetworkConfig c = graph.config();
    CodeBlock.Builder doc = CodeBlock.builder();
    doc.add("The compiled form of {@link $L}.\n\n", graph.sourceName());
    doc.add("<pre>\n");
    for (Node n : graph.nodes()) {
      doc.add("$L\n", layerLine(n));
    }
    doc.add("loss $L, optimizer $L (lr $L), batch $L, seed $L\n", c.loss(), c.optimizer(), c.learningRate(), c.batchSize(), c.seed());
    doc.add("</pre>\n");
    return doc.build();
  }

  private String layerLine(Node n) {
    String detail = n.op().detail(n);
    String from = isChained(n) ? ""
        : " <- " + String.join(", ", n.inputs().stream().map(Node::name).toList());
    String frozen = !n.op().params(n).isEmpty() && !n.op().declaredTrainable(n) ? " frozen" : "";
    String bias = n.op().attributes(n).get("useBias") == Boolean.FALSE ? " no bias" : "";
    return String.format("%-16s %-8s %s%s%s%s%s", n.name(), n.op().kind(), n.shape(),
        detail.isEmpty() ? "" : " " + detail, bias, frozen, from).stripTrailing();
  }

  private boolean isChained(Node n) {
    return n.inputs().isEmpty() || (n.inputs().size() == 1 && n.inputs().get(0).id() == n.id() - 1);
  }

  private static FieldSpec constant(String name, int value, String doc) {
    return FieldSpec.builder(TypeName.INT, name, Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("$L\n", doc)
        .initializer("$L", value)
        .build();
  }

  private static FieldSpec privateConstant(String name, int value, String doc) {
    return FieldSpec.builder(TypeName.INT, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("$L\n", doc)
        .initializer("$L", value)
        .build();
  }

  private CodeBlock specInitializer() {
    NetworkConfig c = graph.config();
    CodeBlock.Builder layers = CodeBlock.builder();
    List<Node> nodes = graph.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      CodeBlock.Builder ps = CodeBlock.builder().add("$T.of(", LIST);
      boolean first = true;
      for (ParamSlot p : plan.paramsByNode().getOrDefault(n, Map.of()).values()) {
        ps.add(first ? "" : ", ").add(paramSpec(p));
        first = false;
      }
      CodeBlock inputs =
          CodeBlock.of("$T.of($L)", LIST, String.join(", ", n.inputs().stream().map(x -> "\"" + x.name() + "\"").toList()));
      // Layers are trainable unless declared otherwise.
      boolean trainable = n.op().params(n).isEmpty() || n.op().declaredTrainable(n);
      layers.add(
          "new $T($S, $S, $L, new int[] {$L}, $S, $L, $L, $L)$L\n",
          LAYER_SPEC, n.name(), n.op().kind(), inputs, dims(n.shape().dims()), n.op().detail(n),
          attributes(n.op().attributes(n)), ps.add(")").build(), trainable, i + 1 < nodes.size() ? "," : "");
    }
    CodeBlock optimizer =
        CodeBlock.of(
            "new $T($S, $Lf, $Lf, $L, $Lf, $Lf, $Lf, $Lf)",
            OPTIMIZER_SPEC, c.optimizer().name(), (float) c.learningRate(), (float) c.momentum(),
            c.nesterov(), (float) c.beta1(), (float) c.beta2(), (float) c.epsilon(), (float) c.weightDecay());
    // Declared clipping is one more argument, left out when there is none.
    CodeBlock clipping =
        c.clipNorm() == 0 && c.clipValue() == 0
            ? CodeBlock.of("")
            : CodeBlock.of(",\nnew $T($L, $L)", GRADIENT_CLIP_SPEC, c.clipNorm(), c.clipValue());
    return CodeBlock.builder()
        .add("new $T(\n", MODEL_SPEC)
        .indent().indent()
        .add("$S,\n$S,\n$S,\n", graph.networkName(), plan.architecture(), plan.architectureHash())
        .add("INPUTS,\nOUTPUTS,\n$T.$L,\n$L,\n$L,\n$LL,\n", LOSS_KIND, c.loss().name(), optimizer, c.batchSize(), c.seed())
        .add("$T.of(\n", LIST).indent().add(layers.build()).unindent().add("),\n")
        .add("PARAMETER_COUNT,\nACTIVATION_FLOATS_PER_SAMPLE,\nnew int[] {$L},\nACTIVATION_FIXED_FLOATS,\nINT_ACTIVATIONS_PER_SAMPLE$L)",
            dims(graph.input().shape().dims()), clipping)
        .unindent().unindent()
        .build();
  }

  private static String dims(int[] dims) {
    StringBuilder s = new StringBuilder();
    for (int d : dims) {
      s.append(s.isEmpty() ? "" : ", ").append(d);
    }
    return s.toString();
  }

  /** {@code Map.of()} or {@code Map.ofEntries(Map.entry("units", 16), ...)} in the op's key order. */
  private static CodeBlock attributes(Map<String, Object> attributes) {
    if (attributes.isEmpty()) {
      return CodeBlock.of("$T.of()", MAP);
    }
    CodeBlock.Builder b = CodeBlock.builder().add("$T.ofEntries(", MAP);
    boolean first = true;
    for (Map.Entry<String, Object> e : attributes.entrySet()) {
      b.add(first ? "" : ", ").add("$T.entry($S, $L)", MAP, e.getKey(), literal(e.getValue()));
      first = false;
    }
    return b.add(")").build();
  }

  private static CodeBlock literal(Object v) {
    return switch (v) {
      case String s -> CodeBlock.of("$S", s);
      case Double d -> CodeBlock.of("$L", d.toString());
      case List<?> l -> CodeBlock.of("$T.of($L)", LIST, String.join(", ", l.stream().map(String::valueOf).toList()));
      default -> CodeBlock.of("$L", v);
    };
  }

  private CodeBlock paramSpec(ParamSlot p) {
    CodeBlock role = p.trained() ? CodeBlock.of("") : CodeBlock.of(", $T.STATE", ROLE);
    return CodeBlock.of(
        "new $T($S, new int[] {$L}, $L, $L, $T.$L, $L, $L$L)",
        PARAM_SPEC, p.name(), dims(p.shape()), p.constant(), p.length(), INITIALIZER, p.initializer(), p.fanIn(),
        p.fanOut(), role);
  }

  // ---------------------------------------------------------------- passes

  private final List<MethodSpec> parts = new ArrayList<>();

  /** The locals every pass method starts with. */
  private CodeBlock prelude(boolean forward) {
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final float[] a = activations");
    if (plan.intsPerSample() > 0) {
      b.addStatement("final int[] ia = intActivations");
    }
    b.addStatement("final int c = capacity");
    if (plan.activationFixedFloats() > 0) {
      b.addStatement("final int fixed = c * ACTIVATION_FLOATS_PER_SAMPLE");
    }
    return b.build();
  }

  /** {@code forward} (ops in order, then the head at inference) or {@code computeLoss} (loss, then ops in reverse). */
  private MethodSpec pass(String name, boolean forward) {
    List<Node> order = new ArrayList<>(graph.layers());
    if (!forward) {
      java.util.Collections.reverse(order);
      order.removeIf(n -> !plan.needsGrad().contains(n) || plan.foldedAway().contains(n));
    }
    if (forward) {
      order.removeAll(plan.pooled().values().stream().map(Fusion.Pooling::pool).toList());
    } else {
      // A max pooling whose backward the convolution before it does (Fusion).
      order.removeAll(plan.pooled().values().stream().filter(Fusion.Pooling::backward).map(Fusion.Pooling::pool)
          .toList());
    }
    List<CodeBlock> blocks = new ArrayList<>();
    for (Node n : order) {
      EmitContext e = new EmitContext(forward ? Pass.FORWARD : Pass.TRAINING_BACKWARD);
      Fusion.Pooling pooling = plan.pooled().get(n);
      if (forward && pooling != null) {
        Node pool = pooling.pool();
        // layerOutput and the input-gradient pass read the convolution's whole output, and so does
        // training's backward unless the pair is fused in training too.
        e.beginIf(pooling.training() ? "keepsLayerOutputs()" : "training || keepsLayerOutputs()");
        n.op().forward(n, e);
        pool.op().forward(pool, e);
        e.orElse();
        ((Conv2DOp) n.op()).forwardPooled(n, pool, pooling.training(), e);
        e.end();
      } else if (forward) {
        n.op().forward(n, e);
      } else if (pooling != null && pooling.backward()) {
        ((Conv2DOp) n.op()).backwardPooled(n, pooling.pool(), e);
      } else {
        n.op().backward(n, e);
      }
      blocks.add(e.code.build());
    }
    CodeBlock.Builder body = CodeBlock.builder();
    if (!forward) {
      body.add(prelude(false));
      body.addStatement("final float scale = 1f / n");
      EmitContext e = new EmitContext(Pass.TRAINING_BACKWARD);
      Node out = graph.output();
      plan.loss().emit(out, slot(plan.outputs().get(out)), plan.probabilities() == null ? CodeBlock.of("null, 0")
          : slot(plan.probabilities()), gradOrScratch(), e);
      body.add(e.code.build());
      body.beginControlFlow("if (!backward)").addStatement("return loss").endControlFlow();
    }
    String params = forward ? "n, training" : "n";
    if (blocks.size() <= OPS_PER_METHOD) {
      if (forward) {
        body.add(prelude(true));
      }
      blocks.forEach(body::add);
    } else {
      for (int p = 0; p * OPS_PER_METHOD < blocks.size(); p++) {
        String part = (forward ? "forward" : "backward") + "Part" + p;
        CodeBlock.Builder pb = CodeBlock.builder().add(prelude(forward));
        blocks.subList(p * OPS_PER_METHOD, Math.min(blocks.size(), (p + 1) * OPS_PER_METHOD)).forEach(pb::add);
        MethodSpec.Builder m = MethodSpec.methodBuilder(part).addModifiers(Modifier.PRIVATE)
            .addParameter(TypeName.INT, "n").addCode(pb.build());
        if (forward) {
          m.addParameter(TypeName.BOOLEAN, "training");
        }
        parts.add(m.build());
        body.addStatement("$L($L)", part, params);
      }
    }
    if (forward && plan.head() != null) {
      if (blocks.size() > OPS_PER_METHOD) {
        body.add(prelude(true));
      }
      Node out = graph.output();
      body.add("// $L head for predictions; while training the loss step computes it (fused)\n", plan.head());
      body.beginControlFlow("if (!training)");
      // Per step of a sequence output [steps, classes]; over the whole sample otherwise, as the loss.
      boolean sequence = out.shape().rank() == 2;
      int classes = sequence ? out.shape().dim(1) : out.shape().size();
      int steps = sequence ? out.shape().dim(0) : 1;
      body.addStatement("$T.apply($T.$L, 0f, $L, $L, $L, $L)", ACTIVATIONS, Emit.ACTIVATION, plan.head(),
          slot(plan.outputs().get(out)), slot(plan.probabilities()), steps == 1 ? "n" : "n * " + steps, classes);
      body.endControlFlow();
    }
    if (!forward) {
      body.addStatement("return loss");
    }
    MethodSpec.Builder m = MethodSpec.methodBuilder(name).addAnnotation(Override.class).addModifiers(Modifier.PROTECTED)
        .addParameter(TypeName.INT, "n");
    if (forward) {
      m.addParameter(TypeName.BOOLEAN, "training");
    } else {
      m.returns(TypeName.DOUBLE).addParameter(TypeName.BOOLEAN, "backward");
    }
    return m.addCode(body.build()).build();
  }

  private final List<MethodSpec> inputGradientParts = new ArrayList<>();

  /**
   * {@code inputGradient(n)}: the input-gradient pass (see {@link Emit#inputGradientPass}), the ops'
   * backward in reverse order, in inference mode and without parameter gradients, from the output's
   * gradient (which the runtime seeds) to the input's. Training's {@code computeLoss} is untouched.
   */
  private MethodSpec inputGradientPass() {
    Plan.Gradients g = plan.inputGradients();
    List<Node> order = new ArrayList<>(graph.layers());
    java.util.Collections.reverse(order);
    order.removeIf(n -> !g.needsGrad().contains(n) || g.foldedAway().contains(n));
    List<CodeBlock> blocks = new ArrayList<>();
    for (Node n : order) {
      EmitContext e = new EmitContext(Pass.INPUT_GRADIENT);
      n.op().backward(n, e);
      blocks.add(e.code.build());
    }
    CodeBlock.Builder body = CodeBlock.builder();
    if (blocks.size() <= OPS_PER_METHOD) {
      body.add(prelude(false));
      blocks.forEach(body::add);
    } else {
      for (int p = 0; p * OPS_PER_METHOD < blocks.size(); p++) {
        String part = "inputGradientPart" + p;
        CodeBlock.Builder pb = CodeBlock.builder().add(prelude(false));
        blocks.subList(p * OPS_PER_METHOD, Math.min(blocks.size(), (p + 1) * OPS_PER_METHOD)).forEach(pb::add);
        inputGradientParts.add(MethodSpec.methodBuilder(part).addModifiers(Modifier.PRIVATE)
            .addParameter(TypeName.INT, "n").addCode(pb.build()).build());
        body.addStatement("$L(n)", part);
      }
    }
    return MethodSpec.methodBuilder("inputGradient")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .addParameter(TypeName.INT, "n")
        .addCode(body.build())
        .build();
  }

  /**
   * The streaming pass of a recurrent network ({@code stream(n, steps, states)}, see
   * {@link Emit#streaming}) and its state size, or the reason it has none ({@code streamRefusal}).
   * Networks without recurrent layers get nothing: the runtime's default says there is no state.
   */
  private List<MethodSpec> streamingPass() {
    List<Node> layers = graph.layers();
    if (layers.stream().noneMatch(n -> n.op() instanceof RecurrentOp)) {
      return List.of();
    }
    MethodSpec.Builder refusal = MethodSpec.methodBuilder("streamRefusal")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .returns(String.class);
    for (Node n : layers) {
      String why = n.op().streamRefusal(n);
      if (why != null) {
        String text = graph.networkName() + " cannot run step by step (SequenceGenerator): layer '" + n.name()
            + "' (" + n.op().kind() + "): " + why;
        return List.of(refusal.addStatement("return $S", text).build());
      }
    }
    int perRow = 0;
    for (Node n : layers) {
      if (n.op() instanceof RecurrentOp r) {
        streamStates.put(n, perRow);
        perRow += r.stateWidth(n);
      }
    }
    CodeBlock.Builder body = CodeBlock.builder().add(prelude(true));
    for (Node n : layers) {
      if (n.op().identityAtInference()) {
        continue;
      }
      EmitContext e = new EmitContext(Pass.STREAM);
      n.op().forward(n, e);
      body.add(e.code.build());
    }
    Node out = graph.output();
    if (plan.head() != null) {
      boolean sequence = out.shape().rank() == 2;
      body.add("// $L head$L\n", plan.head(), sequence ? " of every step" : "");
      body.addStatement("$T.apply($T.$L, 0f, $L, $L, $L, $L)", ACTIVATIONS, Emit.ACTIVATION, plan.head(),
          slot(plan.outputs().get(out)), slot(plan.probabilities()), sequence ? "n * steps" : "n",
          sequence ? out.shape().dim(1) : out.shape().size());
    }
    MethodSpec stream = MethodSpec.methodBuilder("stream")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .addParameter(TypeName.INT, "n")
        .addParameter(TypeName.INT, "steps")
        .addParameter(float[].class, "states")
        .addCode(body.build())
        .build();
    MethodSpec size = MethodSpec.methodBuilder("streamStateFloatsPerRow")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .returns(TypeName.INT)
        .addStatement("return $L", perRow)
        .build();
    return List.of(refusal.addStatement("return null").build(), stream, size);
  }

  /** Each recurrent layer's carried state in the streaming pass: floats per row before it. */
  private final Map<Node, Integer> streamStates = new LinkedHashMap<>();

  private static MethodSpec offsetMethod(String name, TensorSlot t) {
    return MethodSpec.methodBuilder(name)
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .returns(TypeName.INT)
        .addStatement("return capacity * $L", t.constant())
        .build();
  }

  /** The output's gradient tensor, its array null when the pass only computes the loss. */
  private CodeBlock gradOrScratch() {
    TensorSlot g = plan.grads().get(Plan.owner(graph.output()));
    if (g == null) {
      throw new IllegalStateException(graph.networkName() + ": the output needs no gradient (nothing to train)");
    }
    return CodeBlock.of("backward ? $L : null, $L", array(g), offset(g));
  }

  /** {@code layerOutputOffset(layer)}: where each layer's inference output is, for tools. */
  private MethodSpec layerOutputOffset() {
    CodeBlock.Builder b = CodeBlock.builder().add("return switch (layer) {\n$>");
    List<Node> nodes = graph.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      TensorSlot t = n == graph.output() ? plan.finalOutput() : inferenceOutput(n);
      if (t.arena() == TensorSlot.Arena.INT) {
        b.addStatement("case $L -> throw new $T($S)", i, UnsupportedOperationException.class,
            n.name() + " holds token ids (int arena), not floats");
      } else {
        b.addStatement("case $L -> capacity * $L", i, t.constant());
      }
    }
    b.addStatement("default -> throw new $T($S + layer)", IndexOutOfBoundsException.class, "no layer ");
    b.add("$<};\n");
    return MethodSpec.methodBuilder("layerOutputOffset")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .returns(TypeName.INT)
        .addParameter(TypeName.INT, "layer")
        .addCode(b.build())
        .build();
  }

  /**
   * The tensor holding {@code n}'s output at inference: a dropout's input, also behind aliases (a
   * Flatten of a dropout shares the dropout's training tensor, which inference does not write).
   */
  private TensorSlot inferenceOutput(Node n) {
    Node x = n;
    while (x.op().identityAtInference() || x.op().aliasesInput()) {
      x = x.input();
    }
    return plan.outputs().get(x);
  }

  /** The network input's tensor. */
  private TensorSlot inputSlot() {
    return plan.outputs().get(graph.input());
  }

  /**
   * {@code t} as forward reads it: the float network input from the model's {@code input} field
   * (the arena, or the caller's batch at inference), anything else from its arena.
   */
  private CodeBlock forwardSlot(TensorSlot t) {
    return t.equals(inputSlot()) && t.arena() == TensorSlot.Arena.FLOAT ? CodeBlock.of("input, inputOffset") : slot(t);
  }

  private static CodeBlock slot(TensorSlot t) {
    return CodeBlock.of("$L, $L", array(t), offset(t));
  }

  /** The generated local holding {@code t}'s arena. */
  private static String array(TensorSlot t) {
    return t.arena() == TensorSlot.Arena.INT ? "ia" : "a";
  }

  /** {@code t}'s offset expression at the current capacity. */
  private static String offset(TensorSlot t) {
    return (t.arena() == TensorSlot.Arena.FIXED ? "fixed + " : "c * ") + t.constant();
  }

  /** The pass an op is writing code for. */
  private enum Pass {
    FORWARD,
    TRAINING_BACKWARD,
    INPUT_GRADIENT,
    STREAM
  }

  /** What an op sees while it writes its code (see {@link Emit}). */
  private final class EmitContext implements Emit {
    private final CodeBlock.Builder code = CodeBlock.builder();
    private final Pass pass;
    private final boolean forward;
    /** The gradient layout of this pass (training's in forward, where it is not used). */
    private final Plan.Gradients gradients;

    EmitContext(Pass pass) {
      this.pass = pass;
      this.forward = pass == Pass.FORWARD || pass == Pass.STREAM;
      this.gradients = pass == Pass.INPUT_GRADIENT ? plan.inputGradients() : plan.trainingGradients();
    }

    @Override
    public void statement(String format, Object... args) {
      code.addStatement(format, args);
    }

    @Override
    public void comment(String format, Object... args) {
      code.add("// " + format + "\n", args);
    }

    @Override
    public void beginIf(String condition, Object... args) {
      code.beginControlFlow("if (" + condition + ")", args);
    }

    @Override
    public void orElse() {
      code.nextControlFlow("else");
    }

    @Override
    public void end() {
      code.endControlFlow();
    }

    @Override
    public boolean forward() {
      return forward;
    }

    @Override
    public boolean inputGradientPass() {
      return pass == Pass.INPUT_GRADIENT;
    }

    @Override
    public boolean streaming() {
      return pass == Pass.STREAM;
    }

    @Override
    public String steps(int declared) {
      return pass == Pass.STREAM ? "steps" : Integer.toString(declared);
    }

    @Override
    public CodeBlock streamState(Node node) {
      Integer offset = streamStates.get(node);
      if (pass != Pass.STREAM || offset == null) {
        return Emit.super.streamState(node);
      }
      return offset == 0 ? CodeBlock.of("states, 0") : CodeBlock.of("states, n * $L", offset);
    }

    @Override
    public CodeBlock in(Node node, int i) {
      Node x = node.inputs().get(i);
      if (pass == Pass.INPUT_GRADIENT || pass == Pass.STREAM) {
        return slot(inferenceOutput(x));
      }
      TensorSlot training = plan.outputs().get(x);
      TensorSlot inference = inferenceOutput(x);
      if (!forward) {
        return slot(training);
      }
      if (training == inference) {
        return forwardSlot(training);
      }
      if (inference.equals(inputSlot())) { // a dropout on the network input (the checker refuses it today)
        return CodeBlock.of("training ? a : input, training ? c * $L : inputOffset", training.constant());
      }
      return CodeBlock.of("a, c * (training ? $L : $L)", training.constant(), inference.constant());
    }

    @Override
    public CodeBlock trainingIn(Node node, int i) {
      if (pass == Pass.INPUT_GRADIENT) {
        return slot(inferenceOutput(node.inputs().get(i)));
      }
      TensorSlot t = plan.outputs().get(node.inputs().get(i));
      return pass == Pass.FORWARD ? forwardSlot(t) : slot(t);
    }

    @Override
    public CodeBlock out(Node node) {
      return slot(plan.outputs().get(node));
    }

    @Override
    public CodeBlock saved(Node node, String key) {
      TensorSlot t = plan.saved().get(node).get(key);
      if (t == null) {
        throw new IllegalStateException(node.name() + " saved no '" + key + "'");
      }
      return slot(t);
    }

    @Override
    public CodeBlock savedForTraining(Node node, String key) {
      CodeBlock full = saved(node, key);
      if (!forward) {
        return full;
      }
      TensorSlot t = plan.saved().get(node).get(key);
      return CodeBlock.of("training ? $L : null, $L", array(t), offset(t));
    }

    @Override
    public CodeBlock param(Node node, String key) {
      return CodeBlock.of("params, $L", plan.paramsByNode().get(node).get(key).constant());
    }

    @Override
    public CodeBlock paramOffset(Node node, String key) {
      return CodeBlock.of("$L", plan.paramsByNode().get(node).get(key).constant());
    }

    @Override
    public CodeBlock paramGrad(Node node, String key) {
      if (pass == Pass.INPUT_GRADIENT) {
        throw new IllegalStateException(node.name() + ": the input-gradient pass writes no parameter gradient");
      }
      return CodeBlock.of("grads, $L", plan.paramsByNode().get(node).get(key).constant());
    }

    @Override
    public CodeBlock grad(Node node) {
      return slot(gradients.grads().get(Plan.owner(node)));
    }

    @Override
    public boolean gradIsPreActivation(Node node) {
      return gradients.preActivationGrads().contains(Plan.owner(node));
    }

    @Override
    public CodeBlock inputGrad(Node node, int i) {
      Plan.Fold fold = gradients.folds().get(node);
      if (fold != null) {
        return slot(gradients.grads().get(fold.producer()));
      }
      Node owner = Plan.owner(node.inputs().get(i));
      return gradients.needsGrad().contains(owner) ? slot(gradients.grads().get(owner)) : null;
    }

    @Override
    public boolean sharesGrad(Node node, int i) {
      boolean[] shared = gradients.sharedGrads().get(node);
      return shared != null && shared[i];
    }

    @Override
    public boolean accumulate(Node node, int i) {
      return gradients.accumulate().get(node)[i];
    }

    @Override
    public Fold fold(Node node) {
      Plan.Fold f = gradients.folds().get(node);
      if (f == null) {
        return null;
      }
      Node p = f.producer();
      Activated act = plan.effective().get(p);
      CodeBlock none = CodeBlock.of("null, 0");
      boolean gelu = act.activation() == dev.kiln.dsl.Activation.GELU;
      // At inference a dropout on the way is the identity: no mask.
      Node dropout = pass == Pass.INPUT_GRADIENT ? null : f.dropout();
      CodeBlock mask = dropout == null ? none : saved(dropout, "mask");
      return new Fold(p, dropout, act, act.isLinear() || gelu ? none : out(p), gelu ? saved(p, "pre") : none, mask,
          slot(gradients.grads().get(p)));
    }

    @Override
    public Activated effectiveActivation(Node node) {
      return plan.effective().get(node);
    }

    @Override
    public String constant(Node node, String suffix, TypeName type, CodeBlock initializer) {
      String name = dev.kiln.processor.plan.Planner.constantName(node.name()) + "_" + suffix;
      constants.computeIfAbsent(name, k -> FieldSpec.builder(type, k, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .addJavadoc("$L of $L.\n", suffix.toLowerCase(java.util.Locale.ROOT), node.name())
          .initializer(initializer)
          .build());
      return name;
    }
  }
}
