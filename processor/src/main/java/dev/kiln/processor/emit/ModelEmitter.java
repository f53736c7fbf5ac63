package dev.kiln.processor.emit;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Loss;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import dev.kiln.processor.plan.DenseGroup;
import dev.kiln.processor.plan.ParamSlot;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Planner;
import dev.kiln.processor.plan.TensorSlot;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Writes the model class of a plan with JavaPoet: constants for every size and arena offset, the
 * {@code ModelSpec}, and the fused {@code forward} and {@code computeLoss} (loss + backward)
 * methods as straight-line kernel calls. The output depends only on the plan, so the same network
 * always gives the same text.
 */
public final class ModelEmitter {
  private static final String RUNTIME = "dev.kiln.runtime";
  private static final ClassName COMPILED_MODEL = ClassName.get(RUNTIME + ".model", "CompiledModel");
  private static final ClassName MODEL_SPEC = ClassName.get(RUNTIME + ".model", "ModelSpec");
  private static final ClassName LAYER_SPEC = ClassName.get(RUNTIME + ".model", "LayerSpec");
  private static final ClassName PARAM_SPEC = ClassName.get(RUNTIME + ".model", "ParamSpec");
  private static final ClassName OPTIMIZER_SPEC = ClassName.get(RUNTIME + ".model", "OptimizerSpec");
  private static final ClassName LOSS_KIND = ClassName.get(RUNTIME + ".model", "LossKind");
  private static final ClassName INITIALIZER = ClassName.get(RUNTIME + ".model", "Initializer");
  private static final ClassName ACTIVATION = ClassName.get(RUNTIME + ".kernels", "Activation");
  private static final ClassName DENSE = ClassName.get(RUNTIME + ".kernels", "DenseKernels");
  private static final ClassName ACTIVATIONS = ClassName.get(RUNTIME + ".kernels", "Activations");
  private static final ClassName DROPOUT = ClassName.get(RUNTIME + ".kernels", "DropoutKernels");
  private static final ClassName LOSSES = ClassName.get(RUNTIME + ".kernels", "Losses");
  private static final ClassName LIST = ClassName.get("java.util", "List");
  private static final ClassName GENERATED = ClassName.get("javax.annotation.processing", "Generated");

  private final Plan plan;
  private final Graph graph;

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
    type.addField(constant("INPUTS", graph.input().shape().size(), "Features per sample."));
    type.addField(constant("OUTPUTS", plan.last().units(), "Outputs per sample."));
    type.addField(constant("PARAMETER_COUNT", plan.parameterCount(), "Floats in the parameter arena (and the gradient arena)."));
    for (ParamSlot p : plan.params()) {
      type.addField(
          privateConstant(p.constant(), p.offset(), "Parameter arena offset of " + p.name() + " " + p.shapeText() + "."));
    }
    type.addField(
        privateConstant("ACTIVATION_FLOATS_PER_SAMPLE", plan.activationFloatsPerSample(),
            "Activation arena floats per sample of batch capacity."));
    for (TensorSlot t : plan.tensors()) {
      type.addField(
          privateConstant(t.constant(), t.perSampleOffset(),
              "Activation tensor [B, " + t.width() + "]: " + t.description() + "; at capacity * this offset."));
    }
    type.addField(
        FieldSpec.builder(MODEL_SPEC, "SPEC", Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
            .initializer(specInitializer())
            .build());
    type.addMethod(
        MethodSpec.constructorBuilder()
            .addModifiers(Modifier.PUBLIC)
            .addJavadoc("A model with freshly initialised weights from the declared seed ($L).\n", graph.config().seed())
            .addStatement("super(SPEC, SPEC.seed())")
            .build());
    type.addMethod(
        MethodSpec.constructorBuilder()
            .addModifiers(Modifier.PUBLIC)
            .addJavadoc("A model with freshly initialised weights from {@code seed}.\n")
            .addParameter(TypeName.LONG, "seed")
            .addStatement("super(SPEC, seed)")
            .build());
    type.addMethod(forward());
    type.addMethod(computeLoss());
    type.addMethod(
        MethodSpec.methodBuilder("outputOffset")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .returns(TypeName.INT)
            .addStatement("return capacity * $L", plan.last().finalOutput().constant())
            .build());
    return JavaFile.builder(graph.packageName(), type.build())
        .skipJavaLangImports(true)
        .indent("  ")
        .addFileComment("Generated by Kiln from $L. Do not edit: change the @Network class instead.", qualifiedSpec())
        .build();
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

  private static String layerLine(Node n) {
    String detail =
        switch (n.attrs()) {
          case OpAttrs.Input i -> "";
          case OpAttrs.Dense d ->
              " " + d.activation() + (d.useBias() ? "" : " no bias") + (d.trainable() ? "" : " frozen");
          case OpAttrs.Dropout d -> " rate " + d.rate();
        };
    return String.format("%-16s %-8s %s%s", n.name(), n.kind().displayName(), n.shape(), detail);
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
      CodeBlock params = CodeBlock.of("$T.of()", LIST);
      String detail = "";
      // Layers are trainable unless declared otherwise; only frozen ones pass the flag.
      String frozen = "";
      if (n.attrs() instanceof OpAttrs.Dense d) {
        frozen = d.trainable() ? "" : ", false";
        DenseGroup g = group(n);
        CodeBlock.Builder ps = CodeBlock.builder().add("$T.of(", LIST);
        ps.add(paramSpec(g.kernel()));
        if (g.bias() != null) {
          ps.add(", ").add(paramSpec(g.bias()));
        }
        params = ps.add(")").build();
        detail = Planner.activationText(d);
      } else if (n.attrs() instanceof OpAttrs.Dropout d) {
        detail = "rate " + d.rate();
      }
      layers.add(
          "new $T($S, $S, new int[] {$L}, $S, $L$L)$L\n",
          LAYER_SPEC, n.name(), n.kind().displayName(), n.shape().size(), detail, params, frozen,
          i + 1 < nodes.size() ? "," : "");
    }
    CodeBlock optimizer =
        CodeBlock.of(
            "new $T($S, $Lf, $Lf, $L, $Lf, $Lf, $Lf, $Lf)",
            OPTIMIZER_SPEC, c.optimizer().name(), (float) c.learningRate(), (float) c.momentum(),
            c.nesterov(), (float) c.beta1(), (float) c.beta2(), (float) c.epsilon(), (float) c.weightDecay());
    return CodeBlock.builder()
        .add("new $T(\n", MODEL_SPEC)
        .indent().indent()
        .add("$S,\n$S,\n$S,\n", graph.networkName(), plan.architecture(), plan.architectureHash())
        .add("INPUTS,\nOUTPUTS,\n$T.$L,\n$L,\n$L,\n$LL,\n", LOSS_KIND, c.loss().name(), optimizer, c.batchSize(), c.seed())
        .add("$T.of(\n", LIST).indent().add(layers.build()).unindent().add("),\n")
        .add("PARAMETER_COUNT,\nACTIVATION_FLOATS_PER_SAMPLE)")
        .unindent().unindent()
        .build();
  }

  private CodeBlock paramSpec(ParamSlot p) {
    StringBuilder shape = new StringBuilder();
    for (int d : p.shape()) {
      shape.append(shape.isEmpty() ? "" : ", ").append(d);
    }
    return CodeBlock.of(
        "new $T($S, new int[] {$L}, $L, $L, $T.$L, $L, $L)",
        PARAM_SPEC, p.name(), shape, p.constant(), p.length(), INITIALIZER, p.initializer(), p.fanIn(), p.fanOut());
  }

  private DenseGroup group(Node n) {
    for (DenseGroup g : plan.groups()) {
      if (g.node() == n) {
        return g;
      }
    }
    throw new IllegalStateException("no group for " + n);
  }

  private static String f(float v) {
    return Float.toString(v) + "f";
  }

  private static CodeBlock at(TensorSlot t) {
    return CodeBlock.of("c * $L", t.constant());
  }

  private MethodSpec forward() {
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final float[] a = activations");
    b.addStatement("final int c = capacity");
    for (DenseGroup g : plan.groups()) {
      if (g.dropout() != null) {
        DenseGroup.DropoutPart d = g.dropout();
        b.add("// $L: Dropout($L) on [B, $L], training only (inverted: survivors scaled by 1/(1-rate))\n", d.node().name(), d.rate(), g.in());
        b.beginControlFlow("if (training)");
        b.addStatement(
            "$T.forward(dropoutRng, $L, a, $L, a, $L, a, $L, n * $L)",
            DROPOUT, f((float) d.rate()), at(g.input()), at(d.mask()), at(d.out()), g.in());
        b.endControlFlow();
      }
      b.add(
          "// $L: [B, $L] · [$L, $L]$L, $L in the epilogue\n",
          g.node().name(), g.in(), g.in(), g.units(), g.bias() != null ? " + bias" : "", g.epilogueActivation());
      CodeBlock input =
          g.dropout() == null
              ? at(g.input())
              : CodeBlock.of("c * (training ? $L : $L)", g.dropout().out().constant(), g.input().constant());
      b.addStatement(
          "$T.forward(n, $L, $L, a, $L, params, $L, $L, $L, $T.$L, $L, a, $L, $L, $L)",
          DENSE, g.in(), g.units(), input, g.kernel().constant(),
          g.bias() != null ? "params" : "null", g.bias() != null ? g.bias().constant() : "0",
          ACTIVATION, g.epilogueActivation(), f(g.alpha()), at(g.out()),
          g.preActivation() != null ? "a" : "null",
          g.preActivation() != null ? at(g.preActivation()) : CodeBlock.of("0"));
      if (g.head() != null) {
        b.add("// $L head for predictions; while training the loss step computes it (fused)\n", g.head());
        b.beginControlFlow("if (!training)");
        b.addStatement(
            "$T.apply($T.$L, 0f, a, $L, a, $L, n, $L)",
            ACTIVATIONS, ACTIVATION, g.head(), at(g.out()), at(g.probabilities()), g.units());
        b.endControlFlow();
      }
    }
    return MethodSpec.methodBuilder("forward")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .addParameter(TypeName.INT, "n")
        .addParameter(TypeName.BOOLEAN, "training")
        .addCode(b.build())
        .build();
  }

  private MethodSpec computeLoss() {
    CodeBlock.Builder b = CodeBlock.builder();
    b.addStatement("final float[] a = activations");
    b.addStatement("final int c = capacity");
    b.addStatement("final float scale = 1f / n");
    DenseGroup last = plan.last();
    Loss loss = graph.config().loss();
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        b.add("// softmax + cross-entropy in one step; gradient (p - onehot(y)) / n\n");
        b.addStatement(
            "double loss = $T.softmaxCrossEntropy(n, $L, a, $L, labels, 0, a, $L, backward ? a : null, $L, scale)",
            LOSSES, last.units(), at(last.out()), at(last.probabilities()), at(last.gradient()));
      }
      case BINARY_CROSS_ENTROPY -> {
        b.add("// sigmoid + binary cross-entropy in one step; gradient (p - y) / n\n");
        b.addStatement(
            "double loss = $T.sigmoidBinaryCrossEntropy(n, a, $L, targets, 0, a, $L, backward ? a : null, $L, scale)",
            LOSSES, at(last.out()), at(last.probabilities()), at(last.gradient()));
      }
      case MEAN_SQUARED_ERROR -> {
        b.add("// mean squared error; gradient 2(p - t) / (outputs * n)\n");
        b.addStatement(
            "double loss = $T.meanSquaredError(n, $L, a, $L, targets, 0, backward ? a : null, $L, scale)",
            LOSSES, last.units(), at(last.out()), at(last.gradient()));
      }
    }
    b.beginControlFlow("if (!backward)");
    b.addStatement("return loss");
    b.endControlFlow();
    if (loss == Loss.MEAN_SQUARED_ERROR && last.activation() != Activation.LINEAR) {
      b.add("// through $L of the last layer\n", last.activation());
      b.addStatement(
          "$T.multiplyDerivative($T.$L, $L, a, $L, $L, $L, a, $L, n * $L)",
          ACTIVATIONS, ACTIVATION, last.activation(), f(last.alpha()), at(last.out()),
          last.preActivation() != null ? "a" : "null",
          last.preActivation() != null ? at(last.preActivation()) : CodeBlock.of("0"),
          at(last.gradient()), last.units());
    }
    List<DenseGroup> groups = plan.groups();
    for (int i = groups.size() - 1; i >= 0; i--) {
      DenseGroup g = groups.get(i);
      b.add("// $L backward: d$L += xᵀ·g$L\n", g.node().name(), g.kernel().name(), g.bias() != null ? ", d" + g.bias().name() + " += Σ g" : "");
      b.addStatement(
          "$T.backwardParams(n, $L, $L, a, $L, a, $L, grads, $L, $L, $L)",
          DENSE, g.in(), g.units(), at(g.trainingInput()), at(g.gradient()), g.kernel().constant(),
          g.bias() != null ? "grads" : "null", g.bias() != null ? g.bias().constant() : "0");
      if (i > 0) {
        DenseGroup prev = groups.get(i - 1);
        b.add(
            "// g($L) = (g · Wᵀ) ⊙ $L'$L, folded into the matmul epilogue\n",
            prev.node().name(), prev.activation(), g.dropout() != null ? " ⊙ " + g.dropout().node().name() + " mask" : "");
        b.addStatement(
            "$T.backwardInput(n, $L, $L, a, $L, params, $L, a, $L, $T.$L, $L, a, $L, $L, $L, $L, $L)",
            DENSE, g.in(), g.units(), at(g.gradient()), g.kernel().constant(), at(prev.gradient()),
            ACTIVATION, prev.activation(), f(prev.alpha()), at(prev.out()),
            prev.preActivation() != null ? "a" : "null",
            prev.preActivation() != null ? at(prev.preActivation()) : CodeBlock.of("0"),
            g.dropout() != null ? "a" : "null",
            g.dropout() != null ? at(g.dropout().mask()) : CodeBlock.of("0"));
      }
    }
    b.addStatement("return loss");
    return MethodSpec.methodBuilder("computeLoss")
        .addAnnotation(Override.class)
        .addModifiers(Modifier.PROTECTED)
        .returns(TypeName.DOUBLE)
        .addParameter(TypeName.INT, "n")
        .addParameter(TypeName.BOOLEAN, "backward")
        .addCode(b.build())
        .build();
  }
}
