package dev.kiln.runtime.model;

/**
 * A {@link TinyModel} softmax classifier that is also {@link Differentiable}, with the input
 * gradients written by hand ({@code ∂ z / ∂ x = W}), computed the way a generated model would: through
 * its own arenas (input tensor, labels, outputs), which adversarial training must therefore not rely
 * on across an attack. Allocates nothing.
 */
final class DifferentiableTinyModel extends TinyModel implements Differentiable {
  DifferentiableTinyModel(int inputs, int classes) {
    super(new int[] {inputs}, classes, LossKind.SOFTMAX_CROSS_ENTROPY, true);
  }

  @Override
  public int inputs() {
    return spec().inputs();
  }

  @Override
  public int outputs() {
    return spec().outputs();
  }

  @Override
  public LossKind loss() {
    return spec().loss();
  }

  @Override
  public void logits(float[] x, int rows, float[] out) {
    int in = inputs();
    int k = outputs();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < k; j++) {
        float z = params[in * k + j];
        for (int c = 0; c < in; c++) {
          z += x[i * in + c] * params[c * k + j];
        }
        out[i * k + j] = z;
      }
    }
  }

  @Override
  public double lossGradient(float[] x, int[] rowLabels, int rows, float[] gradient) {
    ensureCapacity(rows);
    loadInput(x, 0, rows);
    System.arraycopy(rowLabels, 0, labels, 0, rows);
    forward(rows, false);
    int in = inputs();
    int k = outputs();
    int out = outputOffset();
    double loss = 0;
    for (int i = 0; i < rows; i++) {
      loss -= Math.log(Math.max(activations[out + i * k + labels[i]], 1e-12f));
      for (int c = 0; c < in; c++) {
        float g = 0;
        for (int j = 0; j < k; j++) {
          g += params[c * k + j] * (activations[out + i * k + j] - (j == labels[i] ? 1 : 0));
        }
        gradient[i * in + c] = g;
      }
    }
    return loss;
  }

  @Override
  public void logitGradient(float[] x, int rows, float[] seed, float[] gradient) {
    int in = inputs();
    int k = outputs();
    for (int i = 0; i < rows; i++) {
      for (int c = 0; c < in; c++) {
        float g = 0;
        for (int j = 0; j < k; j++) {
          g += params[c * k + j] * seed[i * k + j];
        }
        gradient[i * in + c] = g;
      }
    }
  }
}
