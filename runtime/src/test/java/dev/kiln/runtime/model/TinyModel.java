package dev.kiln.runtime.model;

import java.util.List;

/**
 * A hand-written stand-in for a generated model: one dense layer {@code out} from an input of shape
 * {@code inputShape} to {@code outputs} units, softmax with cross-entropy, or linear with mean
 * squared error. Written the way the code generator writes models (arena offsets scale with the
 * capacity), with plain loops.
 */
class TinyModel extends CompiledModel {
  private final int in;
  private final int outs;
  private final boolean exposesLayers;

  TinyModel(int[] inputShape, int outputs, LossKind loss, boolean exposesLayers) {
    this(inputShape, outputs, loss, exposesLayers, GradientClipSpec.NONE);
  }

  /** With declared gradient clipping, as {@code @Network(clipNorm, clipValue)} gives it. */
  TinyModel(int[] inputShape, int outputs, LossKind loss, boolean exposesLayers, GradientClipSpec clipping) {
    super(spec(inputShape, outputs, loss, clipping), 3);
    this.in = spec().inputs();
    this.outs = outputs;
    this.exposesLayers = exposesLayers;
  }

  /** A softmax classifier of images of shape [1, 2, 2] into 3 classes, exposing its layers. */
  static TinyModel classifier() {
    return new TinyModel(new int[] {1, 2, 2}, 3, LossKind.SOFTMAX_CROSS_ENTROPY, true);
  }

  private static ModelSpec spec(int[] inputShape, int outputs, LossKind loss, GradientClipSpec clipping) {
    int in = 1;
    for (int d : inputShape) {
      in *= d;
    }
    List<ParamSpec> params =
        List.of(
            new ParamSpec("out.kernel", new int[] {in, outputs}, 0, in * outputs, Initializer.XAVIER_UNIFORM, in, outputs),
            new ParamSpec("out.bias", new int[] {outputs}, in * outputs, outputs, Initializer.ZEROS, in, outputs));
    boolean softmax = loss == LossKind.SOFTMAX_CROSS_ENTROPY;
    return new ModelSpec(
        "Tiny",
        "input" + java.util.Arrays.toString(inputShape) + " -> out=Dense(" + outputs + ")",
        "tiny" + in + "x" + outputs + loss,
        in,
        outputs,
        loss,
        new OptimizerSpec("SGD", 0.1f, 0, false, 0.9f, 0.999f, 1e-8f, 0),
        4,
        3,
        List.of(
            new LayerSpec("input", "Input", inputShape, "", List.of()),
            new LayerSpec("out", "Dense", new int[] {outputs}, softmax ? "SOFTMAX" : "LINEAR", params)),
        in * outputs + outputs,
        in + 2 * outputs,
        inputShape,
        0,
        0,
        clipping);
  }

  private int outOffset() {
    return capacity * in;
  }

  private int gradOffset() {
    return capacity * (in + outs);
  }

  @Override
  protected void forward(int n, boolean training) {
    int out = outOffset();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < outs; j++) {
        float z = params[in * outs + j];
        for (int k = 0; k < in; k++) {
          z += activations[i * in + k] * params[k * outs + j];
        }
        activations[out + i * outs + j] = z;
      }
      if (spec().loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < outs; j++) {
          max = Math.max(max, activations[out + i * outs + j]);
        }
        float sum = 0;
        for (int j = 0; j < outs; j++) {
          float e = (float) Math.exp(activations[out + i * outs + j] - max);
          activations[out + i * outs + j] = e;
          sum += e;
        }
        for (int j = 0; j < outs; j++) {
          activations[out + i * outs + j] /= sum;
        }
      }
    }
  }

  @Override
  protected double computeLoss(int n, boolean backward) {
    int out = outOffset();
    int grad = gradOffset();
    boolean softmax = spec().loss() == LossKind.SOFTMAX_CROSS_ENTROPY;
    double loss = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < outs; j++) {
        float y = activations[out + i * outs + j];
        float dz;
        if (softmax) {
          boolean hot = labels[i] == j;
          if (hot) {
            loss -= Math.log(Math.max(y, 1e-12f));
          }
          dz = y - (hot ? 1 : 0);
        } else {
          float d = y - targets[i * outs + j];
          loss += d * d;
          dz = 2 * d;
        }
        activations[grad + i * outs + j] = dz / n;
      }
    }
    if (backward) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < outs; j++) {
          float dz = activations[grad + i * outs + j];
          grads[in * outs + j] += dz;
          for (int k = 0; k < in; k++) {
            grads[k * outs + j] += activations[i * in + k] * dz;
          }
        }
      }
    }
    return loss;
  }

  @Override
  protected int outputOffset() {
    return outOffset();
  }

  @Override
  protected int layerOutputOffset(int layerIndex) {
    if (!exposesLayers) {
      return super.layerOutputOffset(layerIndex);
    }
    return layerIndex == 0 ? 0 : outOffset();
  }
}
