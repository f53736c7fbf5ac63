package dev.kiln.processor.read;

import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Network;
import dev.kiln.processor.check.Diagnostic;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import dev.kiln.processor.ir.OpKind;
import dev.kiln.processor.ir.Origin;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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
    NetworkConfig config =
        new NetworkConfig(
            n.inputs(),
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
            explicit(networkMirror));

    List<Diagnostic> diagnostics = new ArrayList<>();
    List<Node> nodes = new ArrayList<>();
    Node input =
        new Node(0, "input", OpKind.INPUT, List.of(), new OpAttrs.Input(n.inputs(), Set.of()), networkOrigin);
    nodes.add(input);
    Node previous = input;
    for (VariableElement field : ElementFilter.fieldsIn(type.getEnclosedElements())) {
      Dense dense = field.getAnnotation(Dense.class);
      Dropout dropout = field.getAnnotation(Dropout.class);
      String name = field.getSimpleName().toString();
      if (dense != null && dropout != null) {
        diagnostics.add(
            Diagnostic.of(
                Message.LAYER_CONFLICT, new Origin(field, mirror(field, Dropout.class)), null, name));
        continue;
      }
      if (dense == null && dropout == null) {
        continue;
      }
      AnnotationMirror layerMirror = mirror(field, dense != null ? Dense.class : Dropout.class);
      diagnostics.addAll(checkField(field, layerMirror));
      Node node;
      if (dense != null) {
        AnnotationMirror m = mirror(field, Dense.class);
        node =
            new Node(
                nodes.size(),
                name,
                OpKind.DENSE,
                List.of(previous),
                new OpAttrs.Dense(
                    dense.units(),
                    dense.activation(),
                    dense.negativeSlope(),
                    dense.useBias(),
                    dense.init(),
                    dense.trainable(),
                    explicit(m)),
                new Origin(field, m));
      } else if (dropout != null) {
        AnnotationMirror m = mirror(field, Dropout.class);
        node =
            new Node(
                nodes.size(),
                name,
                OpKind.DROPOUT,
                List.of(previous),
                new OpAttrs.Dropout(dropout.rate(), explicit(m)),
                new Origin(field, m));
      } else {
        throw new AssertionError(); // one of the two is present (checked above)
      }
      nodes.add(node);
      previous = node;
    }
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
