package dev.kiln.processor;

import dev.kiln.processor.check.Diagnostic;
import java.util.Map;
import javax.annotation.processing.Messager;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.tools.Diagnostic.Kind;

/**
 * Prints diagnostics through javac's Messager on the most precise position available: the
 * annotation attribute's value, else the annotation, else the element.
 */
final class DiagnosticReporter {
  private final Messager messager;

  DiagnosticReporter(Messager messager) {
    this.messager = messager;
  }

  void report(Diagnostic d) {
    Element element = (Element) d.origin().element();
    AnnotationMirror annotation = (AnnotationMirror) d.origin().annotation();
    if (element == null) {
      messager.printMessage(Kind.ERROR, d.text());
      return;
    }
    if (annotation == null) {
      messager.printMessage(Kind.ERROR, d.text(), element);
      return;
    }
    AnnotationValue value = d.attribute() == null ? null : value(annotation, d.attribute());
    if (value == null) {
      messager.printMessage(Kind.ERROR, d.text(), element, annotation);
    } else {
      messager.printMessage(Kind.ERROR, d.text(), element, annotation, value);
    }
  }

  private static AnnotationValue value(AnnotationMirror m, String attribute) {
    for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> e : m.getElementValues().entrySet()) {
      if (e.getKey().getSimpleName().contentEquals(attribute)) {
        return e.getValue();
      }
    }
    return null;
  }
}
