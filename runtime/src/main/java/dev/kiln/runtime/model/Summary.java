package dev.kiln.runtime.model;

import java.util.List;

/** The text of {@link Model#summary()}. */
final class Summary {
  private Summary() {}

  /** Layers, output shapes, parameter counts, trainable or frozen, totals and arena sizes. */
  static String of(ModelSpec spec, TrainableLayers trainable) {
    StringBuilder s = new StringBuilder();
    String rule = "-".repeat(75) + "\n";
    s.append("Model: ").append(spec.network()).append('\n').append(rule);
    s.append(String.format("%-18s %-22s %-12s %10s  %s%n", "Layer", "Type", "Output", "Params", "Trainable"));
    s.append(rule);
    List<LayerSpec> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      String type = l.detail().isEmpty() ? l.type() : l.type() + "(" + l.detail() + ")";
      String state = !l.hasParameters() ? "-" : trainable.isFrozen(i) ? "frozen" : "yes";
      s.append(
          String.format(
              "%-18s %-22s %-12s %,10d  %s%n",
              l.name(), type, shapeText(l.outputShape()), l.parameterCount(), state));
    }
    s.append(rule);
    long p = spec.parameterCount();
    long t = trainable.trainableCount();
    s.append(String.format("Parameters: %,d (%s): %,d trainable, %,d frozen%n", p, bytes(4 * p), t, p - t));
    s.append(String.format("Gradient arena: %s%n", bytes(4 * p)));
    s.append(
        String.format(
            "Activation arena: %,d floats per sample (%s at batch %d)%n",
            spec.activationFloatsPerSample(),
            bytes(4L * spec.activationFloatsPerSample() * spec.batchSize()),
            spec.batchSize()));
    s.append("Loss: ").append(spec.loss()).append("   Optimizer: ").append(spec.optimizer()).append('\n');
    return s.toString();
  }

  private static String shapeText(int[] shape) {
    StringBuilder s = new StringBuilder("[B");
    for (int d : shape) {
      s.append(", ").append(d);
    }
    return s.append(']').toString();
  }

  private static String bytes(long b) {
    if (b < 1024) {
      return b + " B";
    }
    if (b < 1024 * 1024) {
      return String.format("%.1f KiB", b / 1024.0);
    }
    return String.format("%.1f MiB", b / (1024.0 * 1024.0));
  }
}
