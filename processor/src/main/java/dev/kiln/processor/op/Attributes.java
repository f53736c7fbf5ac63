package dev.kiln.processor.op;

import java.util.ArrayList;
import java.util.List;

/** Helpers for typed layer attributes (see {@code LayerSpec.attributes}). */
final class Attributes {
  private Attributes() {}

  static List<Integer> list(int... values) {
    List<Integer> l = new ArrayList<>();
    for (int v : values) {
      l.add(v);
    }
    return List.copyOf(l);
  }
}
