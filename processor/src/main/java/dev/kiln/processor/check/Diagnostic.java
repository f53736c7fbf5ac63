package dev.kiln.processor.check;

import dev.kiln.processor.ir.Origin;

/**
 * One error, attached to a declaration and, where possible, to one annotation attribute (so the
 * IDE underlines {@code units = 0} rather than the whole class).
 *
 * @param message its kind
 * @param text the formatted text, code included
 * @param origin the declaration
 * @param attribute annotation attribute name, or null for the whole annotation
 */
public record Diagnostic(Message message, String text, Origin origin, String attribute) {
  public static Diagnostic of(Message message, Origin origin, String attribute, Object... args) {
    return new Diagnostic(message, message.format(args), origin, attribute);
  }
}
