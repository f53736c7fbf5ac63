package dev.kiln.processor.read;

import dev.kiln.dsl.Layer;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.Network;
import dev.kiln.processor.check.Diagnostic;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Origin;
import dev.kiln.processor.ir.Shape;
import dev.kiln.processor.op.InputOp;
import dev.kiln.processor.op.Op;
import dev.kiln.processor.op.Ops;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;

/**
 * Turns a {@code @Network} declaration into IR. This is the only stage that touches
 * {@code javax.lang.model}; the graph it builds may still be invalid (the checker says why).
 */
public final class NetworkReader {
  private NetworkReader() {}

  /** The graph (null if none could be built) and the problems found while reading. */
  public record Result(Graph graph, List<Diagnostic> diagnostics) {}

  public static Result read(Element element) {
    AnnotationMirror networkMirror = mirror(element, Network.class);
    Origin networkOrigin = new Origin(element, networkMirror);
    if (element.getKind() != ElementKind.CLASS) {
      return new Result(
          null,
          List.of(
              Diagnostic.of(
                  Message.NOT_A_CLASS,
                  networkOrigin,
                  null,
                  element.getKind().toString().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                  element.getSimpleName())));
    }
    TypeElement type = (TypeElement) element;
    Network n = type.getAnnotation(Network.class);
    List<Diagnostic> diagnostics = new ArrayList<>();
    int[] inputShape = inputShape(n, networkOrigin, diagnostics);
    NetworkConfig config =
        new NetworkConfig(
            n.inputs(),
            inputShape,
            n.loss(),
            n.optimizer(),
            n.learningRate(),
            n.momentum(),
            n.nesterov(),
            n.beta1(),
            n.beta2(),
            n.epsilon(),
            n.weightDecay(),
            n.batchSize(),
            n.seed(),
            explicit(networkMirror),
            n.clipNorm(),
            n.clipValue());

    List<Node> nodes = new ArrayList<>();
    Node input =
        new Node(0, "input", Ops.INPUT, new InputOp.Attrs(new Shape(inputShape), n.inputType() == InputType.TOKENS), Set.of(), List.of(), networkOrigin);
    nodes.add(input);
    for (VariableElement field : ElementFilter.fieldsIn(type.getEnclosedElements())) {
      String name = field.getSimpleName().toString();
      List<Op> declared = new ArrayList<>();
      for (Op op : Ops.LAYERS) {
        if (field.getAnnotation(op.annotation()) != null) {
          declared.add(op);
        }
      }
      if (declared.isEmpty()) {
        continue;
      }
      if (declared.size() > 1) {
        diagnostics.add(
            Diagnostic.of(
                Message.LAYER_CONFLICT,
                new Origin(field, mirror(field, declared.get(1).annotation())),
                null,
                name,
                declared.get(0).kind(),
                declared.get(1).kind()));
        continue;
      }
      Op op = declared.get(0);
      AnnotationMirror m = mirror(field, op.annotation());
      diagnostics.addAll(checkField(field, m));
      Annotation annotation = field.getAnnotation(op.annotation());
      nodes.add(
          new Node(nodes.size(), name, op, op.read(annotation), explicit(m), from(annotation), new Origin(field, m)));
    }
    wire(nodes, diagnostics);
    Element enclosing = type;
    while (!(enclosing instanceof PackageElement)) {
      enclosing = enclosing.getEnclosingElement();
    }
    String pkg = ((PackageElement) enclosing).getQualifiedName().toString();
    String qualified = type.getQualifiedName().toString();
    String sourceName = pkg.isEmpty() ? qualified : qualified.substring(pkg.length() + 1);
    String modelName = n.name().isEmpty() ? type.getSimpleName() + "Model" : n.name();
    if (!n.name().isEmpty() && (!SourceVersion.isIdentifier(n.name()) || SourceVersion.isKeyword(n.name()))) {
      diagnostics.add(Diagnostic.of(Message.MODEL_NAME, networkOrigin, "name", n.name()));
    }
    Graph graph =
        new Graph(pkg, type.getSimpleName().toString(), sourceName, config, nodes, networkOrigin, modelName);
    return new Result(graph, diagnostics);
  }

  /** The input shape: {@code inputShape} if given, else {@code {inputs}}; problems are reported. */
  private static int[] inputShape(Network n, Origin origin, List<Diagnostic> out) {
    int[] shape = n.inputShape();
    if (shape.length == 0) {
      return new int[] {n.inputs()};
    }
    if (n.inputs() != 0) {
      out.add(Diagnostic.of(Message.INPUTS_TWICE, origin, "inputShape", n.inputs(), Arrays.toString(shape)));
    }
    boolean positive = true;
    for (int d : shape) {
      positive &= d >= 1;
    }
    if (!positive || shape.length > 3) {
      out.add(Diagnostic.of(Message.INPUT_SHAPE, origin, "inputShape", Arrays.toString(shape)));
      return new int[] {1};
    }
    if (n.inputType() == InputType.TOKENS && shape.length != 1) {
      out.add(Diagnostic.of(Message.TOKEN_SHAPE, origin, "inputShape", Arrays.toString(shape)));
      return new int[] {1};
    }
    return shape.clone();
  }

  /** The {@code from} attribute every layer annotation has. */
  private static List<String> from(Annotation annotation) {
    try {
      return List.of((String[]) annotation.annotationType().getMethod("from").invoke(annotation));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("@" + annotation.annotationType().getSimpleName() + " has no from()", e);
    }
  }

  /**
   * Connects every layer to its inputs: the names in {@code from}, which must be declared before it
   * (so declaration order is a topological order), or else the layer declared just before it.
   */
  private static void wire(List<Node> nodes, List<Diagnostic> out) {
    Map<String, Node> declared = new LinkedHashMap<>();
    declared.put("input", nodes.get(0));
    for (int i = 1; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      if (node.from().isEmpty()) {
        node.addInput(nodes.get(i - 1));
      } else {
        for (String name : node.from()) {
          Node source = declared.get(name);
          if (source == null) {
            out.add(Diagnostic.of(Message.FROM_UNKNOWN, node.origin(), "from", node.name(), name, declared.keySet()));
          } else {
            node.addInput(source);
          }
        }
      }
      declared.put(node.name(), node);
    }
  }

  /**
   * Problems of the layer field itself: it must be an instance field of type {@code Layer}. Private
   * is fine: generated code never touches the fields, they only declare layers and their order.
   */
  private static List<Diagnostic> checkField(VariableElement field, AnnotationMirror layer) {
    List<Diagnostic> out = new ArrayList<>();
    Origin origin = new Origin(field, layer);
    String name = field.getSimpleName().toString();
    if (field.getModifiers().contains(Modifier.STATIC)) {
      out.add(Diagnostic.of(Message.STATIC_LAYER, origin, null, name));
    }
    TypeMirror type = field.asType();
    boolean isLayer =
        type.getKind() == TypeKind.DECLARED
            && ((TypeElement) ((DeclaredType) type).asElement())
                .getQualifiedName()
                .contentEquals(Layer.class.getCanonicalName());
    // An unresolved type is javac's own error; do not add a second one.
    if (!isLayer && type.getKind() != TypeKind.ERROR) {
      out.add(Diagnostic.of(Message.LAYER_TYPE, origin, null, name, type));
    }
    return out;
  }

  /**
   * A diagnostic for a layer annotation on a field whose class is not a {@code @Network}, or null
   * when the field is fine.
   */
  public static Diagnostic checkLayerPlacement(Element field, Class<? extends java.lang.annotation.Annotation> annotation) {
    Element owner = field.getEnclosingElement();
    if (owner != null && owner.getAnnotation(Network.class) != null) {
      return null;
    }
    return Diagnostic.of(
        Message.LAYER_OUTSIDE_NETWORK,
        new Origin(field, mirror(field, annotation)),
        null,
        annotation.getSimpleName(),
        field.getSimpleName(),
        owner == null ? "?" : owner.getSimpleName());
  }

  private static AnnotationMirror mirror(Element e, Class<?> annotation) {
    for (AnnotationMirror m : e.getAnnotationMirrors()) {
      TypeElement t = (TypeElement) m.getAnnotationType().asElement();
      if (t.getQualifiedName().contentEquals(annotation.getCanonicalName())) {
        return m;
      }
    }
    return null;
  }

  private static Set<String> explicit(AnnotationMirror m) {
    Set<String> names = new LinkedHashSet<>();
    if (m != null) {
      for (ExecutableElement key : m.getElementValues().keySet()) {
        names.add(key.getSimpleName().toString());
      }
    }
    return names;
  }
}
