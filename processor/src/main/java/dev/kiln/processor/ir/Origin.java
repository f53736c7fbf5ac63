package dev.kiln.processor.ir;

/**
 * Where an IR element came from, for diagnostics. The handles are opaque to every stage but
 * {@code read} and the reporter (they are a javax.lang.model Element and AnnotationMirror); a unit
 * test may use {@link #NONE}.
 *
 * @param element the annotated element
 * @param annotation the annotation that declared it
 */
public record Origin(Object element, Object annotation) {
  /** No source position (graphs built by tests). */
  public static final Origin NONE = new Origin(null, null);
}
