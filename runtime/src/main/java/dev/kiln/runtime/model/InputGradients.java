package dev.kiln.runtime.model;

import dev.kiln.runtime.kernels.Losses;

/**
 * Gradients with respect to the network input ({@link Differentiable}), through the generated
 * input-gradient pass: per chunk of at most the batch capacity, the inference forward, a seed of the
 * output's gradient (the per-sample loss gradient from the fused head, or the caller's seed at the
 * logits), then {@link CompiledModel#inputGradient}. Arguments are checked as {@link Prediction}
 * checks them; once the capacity suffices nothing is allocated.
 */
final class InputGradients {
  private final CompiledModel model;
  private final ModelSpec spec;
  /** {@link ModelSpec#labelsPerSample()} and {@link ModelSpec#tokenInput()}, read once: they are computed on each call. */
  private final int labelsPerSample;
  private final boolean tokenInput;
  private final java.util.List<String> statefulLayers;

  InputGradients(CompiledModel model) {
    this.model = model;
    this.spec = model.spec();
    this.labelsPerSample = spec.labelsPerSample();
    this.tokenInput = spec.tokenInput();
    this.statefulLayers = spec.layers().stream().filter(CarriedStates::stateful).map(LayerSpec::name).toList();
  }

  /** Where the seed of a chunk comes from. */
  private enum Seed {
    LABELS,
    TARGETS,
    LOGITS
  }

  double lossGradient(float[] x, int[] labels, int rows, float[] gradient) {
    if (!spec.loss().isClassification()) {
      throw new UnsupportedOperationException(
          spec.network() + " is a regression network (mean squared error): pass float targets to lossGradient");
    }
    requireOneLabelPerSample();
    checkArguments(x, rows, gradient);
    if (labels.length < rows) {
      throw new IllegalArgumentException("labels hold " + labels.length + " values, expected " + rows + " (one per row)");
    }
    int classes = spec.loss() == LossKind.BINARY_CROSS_ENTROPY ? 2 : spec.outputs();
    for (int i = 0; i < rows; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(
            "label " + labels[i] + " of row " + i + " is outside [0, " + classes + ") for " + spec.network());
      }
    }
    return run(x, rows, gradient, Seed.LABELS, labels, null);
  }

  double lossGradient(float[] x, float[] targets, int rows, float[] gradient) {
    if (spec.loss() != LossKind.MEAN_SQUARED_ERROR) {
      throw new UnsupportedOperationException(
          spec.network() + " is a classification network (" + spec.loss() + "): pass int labels to lossGradient");
    }
    checkArguments(x, rows, gradient);
    long needed = (long) rows * spec.outputs();
    if (targets.length < needed) {
      throw new IllegalArgumentException(
          "targets hold " + targets.length + " floats, expected " + rows + " rows x " + spec.outputs() + " outputs");
    }
    checkFinite("target", targets, (int) needed, spec.outputs());
    return run(x, rows, gradient, Seed.TARGETS, null, targets);
  }

  void logitGradient(float[] x, int rows, float[] seed, float[] gradient) {
    checkArguments(x, rows, gradient);
    long needed = (long) rows * spec.outputs();
    if (seed.length < needed) {
      throw new IllegalArgumentException(
          "seed holds " + seed.length + " floats, expected " + rows + " rows x " + spec.outputs() + " outputs");
    }
    checkFinite("seed", seed, (int) needed, spec.outputs());
    run(x, rows, gradient, Seed.LOGITS, null, seed);
  }

  private double run(float[] x, int rows, float[] gradient, Seed kind, int[] labels, float[] values) {
    int in = spec.inputs();
    int outs = spec.outputs();
    int chunk = Math.max(model.capacity, Math.min(rows, 1024));
    model.ensureCapacity(chunk);
    double loss = 0;
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      model.loadInput(x, start * in, n);
      model.forwardKeepingLayerOutputs(n); // the backward reads the convolutions' whole outputs
      float[] a = model.activations;
      int g = model.outputGradientOffset();
      switch (kind) {
        case LABELS -> {
          if (spec.loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
            loss += Losses.softmaxCrossEntropy(n, outs, a, model.logitsOffset(), labels, start, null, 0, a, g, 1f);
          } else {
            for (int i = 0; i < n; i++) {
              model.targets[i] = labels[start + i];
            }
            loss += Losses.sigmoidBinaryCrossEntropy(n, a, model.logitsOffset(), model.targets, 0, null, 0, a, g, 1f);
          }
        }
        case TARGETS -> loss += Losses.meanSquaredError(n, outs, a, model.outputOffset(), values, start * outs, a, g, 1f);
        case LOGITS -> System.arraycopy(values, start * outs, a, g, n * outs);
      }
      model.inputGradient(n);
      System.arraycopy(a, model.inputGradientOffset(), gradient, start * in, n * in);
    }
    return loss;
  }

  private void checkArguments(float[] x, int rows, float[] gradient) {
    if (tokenInput) {
      throw new UnsupportedOperationException(
          spec.network() + " reads token ids, which are not differentiable: input gradients need a float input "
              + "(take gradients with respect to an embedding's output instead)");
    }
    if (!statefulLayers.isEmpty()) {
      throw new UnsupportedOperationException(
          spec.network() + " has stateful recurrent layers " + statefulLayers + ", whose carried state every "
              + "inference pass would advance: input gradients are not supported for stateful networks");
    }
    if (rows < 0) {
      throw new IllegalArgumentException("rows is " + rows + ", must be at least 0");
    }
    int in = spec.inputs();
    long needed = (long) rows * in;
    if (x.length < needed) {
      throw new IllegalArgumentException(
          "input holds " + x.length + " floats, expected " + rows + " rows x " + in + " features = " + needed);
    }
    if (gradient.length < needed) {
      throw new IllegalArgumentException(
          "gradient holds " + gradient.length + " floats, expected " + rows + " rows x " + in + " features = " + needed);
    }
    Prediction.checkFinite(spec, x, (int) needed, false);
  }

  private void requireOneLabelPerSample() {
    if (labelsPerSample != 1) {
      throw new UnsupportedOperationException(
          spec.network() + " takes " + labelsPerSample + " labels per sample (a loss at every step); "
              + "lossGradient takes one label per row: use logitGradient with a seed per step");
    }
  }

  private void checkFinite(String what, float[] values, int length, int perRow) {
    int i = FiniteInputs.firstNonFinite(values, length);
    if (i >= 0) {
      throw new IllegalArgumentException(
          what + " of row " + i / perRow + ", column " + i % perRow + " is " + values[i] + "; " + spec.network()
              + " needs finite values");
    }
  }
}
