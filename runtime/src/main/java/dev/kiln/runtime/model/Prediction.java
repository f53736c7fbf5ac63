package dev.kiln.runtime.model;

import dev.kiln.runtime.train.Accuracy;
import dev.kiln.runtime.trust.Answer;
import dev.kiln.runtime.trust.OodDetector;
import java.util.Arrays;
import java.util.List;

/**
 * Inference on raw float samples (each the input tensor flattened row-major): outputs, classes and
 * single layers' outputs. Refuses samples of the wrong size and non-finite inputs, which would
 * silently give NaN outputs.
 */
final class Prediction {
  private final CompiledModel model;
  private final ModelSpec spec;

  Prediction(CompiledModel model) {
    this.model = model;
    this.spec = model.spec();
  }

  /** The outputs of one sample: calibrated when the model has a temperature, else the network's own. */
  float[] predict(float[] sample) {
    return predict(sample, model.trust().scales());
  }

  private float[] predict(float[] sample, boolean calibrated) {
    checkSample(sample, -1);
    checkFinite(spec, sample, sample.length, true);
    model.inferInPlace(sample, 0, 1);
    int outs = spec.outputs();
    if (calibrated) {
      float[] p = new float[outs];
      calibrate(model.activations, model.logitsOffset(), 1, p, 0);
      return p;
    }
    int out = model.outputOffset();
    return Arrays.copyOfRange(model.activations, out, out + outs);
  }

  /**
   * One forward pass for one sample: its outputs as {@link #predict(float[])} gives them, its class
   * as {@link #predictClass} gives it, and the value of {@code detector}'s score from its logits.
   */
  Answer answer(float[] sample, OodDetector detector) {
    if (!spec.loss().isClassification()) {
      model.trust().head(); // refuses with the reason
    }
    model.logitsOffset(); // refuses before running anything if the model cannot answer
    float[] p = predict(sample, model.trust().scales()); // leaves the forward pass in the arena
    int outs = spec.outputs();
    int cls = Accuracy.predictedClass(model.activations, model.outputOffset(), outs);
    double score =
        detector.score().value(model.activations, model.logitsOffset(), outs, model.trust().head(), detector.temperature());
    return new Answer(p, cls, score, detector.flags(score));
  }

  /**
   * Writes head(z / T) of {@code n} samples whose logits start at {@code z[zOff]} to
   * {@code out[outOff]}, each output row split into {@code labelsPerSample} groups of classes.
   */
  private void calibrate(float[] z, int zOff, int n, float[] out, int outOff) {
    int steps = spec.labelsPerSample();
    int width = spec.outputs() / steps;
    double t = model.trust().temperature();
    var head = model.trust().head();
    for (int r = 0; r < n * steps; r++) {
      head.probabilities(z, zOff + r * width, width, t, out, outOff + r * width);
    }
  }

  float[][] predict(float[][] samples) {
    int in = spec.inputs();
    float[] x = new float[Math.multiplyExact(samples.length, in)];
    for (int i = 0; i < samples.length; i++) {
      checkSample(samples[i], i);
      System.arraycopy(samples[i], 0, x, i * in, in);
    }
    float[] out = new float[samples.length * spec.outputs()];
    predict(x, samples.length, out);
    float[][] result = new float[samples.length][];
    for (int i = 0; i < samples.length; i++) {
      result[i] = Arrays.copyOfRange(out, i * spec.outputs(), (i + 1) * spec.outputs());
    }
    return result;
  }

  void predict(float[] x, int rows, float[] out) {
    run(x, rows, out, false);
  }

  void logits(float[] x, int rows, float[] out) {
    model.logitsOffset(); // refuses before running anything if the model cannot answer
    run(x, rows, out, true);
  }

  /** Inference on {@code rows} samples, copying the outputs (or the logits) of each chunk to {@code out}. */
  private void run(float[] x, int rows, float[] out, boolean logits) {
    int in = spec.inputs();
    int outs = spec.outputs();
    if (x.length < (long) rows * in) {
      throw new IllegalArgumentException(
          "input holds " + x.length + " floats, expected " + rows + " rows x " + in + " features = "
              + (long) rows * in);
    }
    if (out.length < (long) rows * outs) {
      throw new IllegalArgumentException(
          "output holds " + out.length + " floats, expected " + rows + " rows x " + outs + " outputs");
    }
    int chunk = Math.max(model.capacity, Math.min(rows, 1024));
    model.ensureCapacity(chunk);
    checkFinite(spec, x, rows * in, false);
    for (int start = 0; start < rows; start += chunk) {
      int n = Math.min(chunk, rows - start);
      model.inferInPlace(x, start * in, n);
      if (!logits && model.trust().scales()) {
        calibrate(model.activations, model.logitsOffset(), n, out, start * outs);
      } else {
        int from = logits ? model.logitsOffset() : model.outputOffset();
        System.arraycopy(model.activations, from, out, start * outs, n * outs);
      }
    }
  }

  int predictClass(float[] sample) {
    if (!spec.loss().isClassification()) {
      throw new UnsupportedOperationException(
          spec.network() + " is a regression network (mean squared error); use predict");
    }
    // The raw outputs: dividing the logits by T > 0 changes no class.
    return Accuracy.predictedClass(predict(sample, false), 0, spec.outputs());
  }

  float[] layerOutput(String layer, float[] sample) {
    int index = layerIndex(layer);
    checkSample(sample, -1);
    checkFinite(spec, sample, sample.length, true);
    int size = spec.layers().get(index).outputSize();
    model.layerOutputOffset(index); // refuses before running anything if the model cannot answer
    model.loadInput(sample, 0, 1);
    model.forwardKeepingLayerOutputs(1);
    int off = model.layerOutputOffset(index);
    return Arrays.copyOfRange(model.activations, off, off + size);
  }

  private int layerIndex(String layer) {
    List<LayerSpec> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i).name().equals(layer)) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        spec.network() + " has no layer '" + layer + "'; its layers are "
            + layers.stream().map(LayerSpec::name).toList());
  }

  /** Refuses NaN and infinite inputs (see {@link FiniteInputs}), naming the sample and feature. */
  static void checkFinite(ModelSpec spec, float[] x, int length, boolean single) {
    int i = FiniteInputs.firstNonFinite(x, length);
    if (i >= 0) {
      int in = spec.inputs();
      throw new IllegalArgumentException(
          (single ? "sample" : "sample " + i / in) + ", feature " + i % in + " is " + x[i] + "; "
              + spec.network() + " needs finite inputs (a missing value, or a failed normalization?)");
    }
  }

  private void checkSample(float[] sample, int index) {
    if (sample.length != spec.inputs()) {
      throw new IllegalArgumentException(
          (index < 0 ? "sample" : "sample " + index) + " has " + sample.length + " features, but "
              + spec.network() + " expects " + spec.inputs());
    }
  }
}
