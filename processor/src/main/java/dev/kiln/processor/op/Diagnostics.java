package dev.kiln.processor.op;

import dev.kiln.processor.check.Diagnostic;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.ir.Node;
import java.util.ArrayList;
import java.util.List;

/** Collects the problems of one compile, each on the declaration and attribute at fault. */
public final class Diagnostics {
  private final List<Diagnostic> list = new ArrayList<>();

  /** Reports {@code message} on {@code node}'s annotation, at {@code attribute} if non-null. */
  public void report(Message message, Node node, String attribute, Object... args) {
    list.add(Diagnostic.of(message, node.origin(), attribute, args));
  }

  public void add(Diagnostic d) {
    list.add(d);
  }

  public void addAll(List<Diagnostic> ds) {
    list.addAll(ds);
  }

  public boolean isEmpty() {
    return list.isEmpty();
  }

  public int size() {
    return list.size();
  }

  public List<Diagnostic> list() {
    return List.copyOf(list);
  }
}
