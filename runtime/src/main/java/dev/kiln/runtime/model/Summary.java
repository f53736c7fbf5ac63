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
    long state = spec.parameters().stream().filter(x -> !x.trained()).mapToLong(ParamSpec::length).sum();
    s.append(String.format("Parameters: %,d (%s): %,d trainable, %,d frozen%s%n", p, bytes(4 * p), t, p - t - state,
        state == 0 ? "" : String.format(", %,d state (running statistics, not trained)", state)));
    s.append(String.format("Gradient arena: %s%n", bytes(4 * p)));
    int batch = spec.batchSize();
    long peak = 4L * spec.activationFloatsPerSample() * batch + 4L * spec.activationFixedFloats()
        + 4L * spec.intActivationsPerSample() * batch;
    s.append(
        String.format(
            "Activation arena: %,d floats per sample%s%s; %s at batch %d, fixed at compile time%n",
            spec.activationFloatsPerSample(),
            spec.intActivationsPerSample() == 0 ? "" : String.format(" + %,d ints", spec.intActivationsPerSample()),
            spec.activationFixedFloats() == 0 ? "" : String.format(" + %,d floats per batch", spec.activationFixedFloats()),
            bytes(peak),
            batch));
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
