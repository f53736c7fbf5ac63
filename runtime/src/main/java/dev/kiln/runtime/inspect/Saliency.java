package dev.kiln.runtime.inspect;

import dev.kiln.runtime.model.Differentiable;
import java.util.Objects;

/**
 * Gradient attributions of one class score per sample (see {@link AttributionTarget}): the
 * saliency map {@code |∂ score / ∂ x|} (Simonyan et al. 2014) and gradient × input
 * {@code x ⊙ ∂ score / ∂ x} (Shrikumar et al. 2016), one backward pass for the whole batch.
 * Arrays are row-major, {@code rows * model.inputs()} floats.
 */
public final class Saliency {
  private Saliency() {}

  /** {@code ∂ score / ∂ x} of class {@code classes[i]} of each row {@code i}, on {@code target}. */
  public static float[] gradient(Differentiable model, float[] x, int rows, int[] classes, AttributionTarget target) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(target, "target");
    int width = model.inputs();
    int outs = model.outputs();
    if (x.length < (long) rows * width || classes.length < rows) {
      throw new IllegalArgumentException("need " + rows + " rows of " + width + " inputs and " + rows
          + " classes, got " + x.length + " floats and " + classes.length + " classes");
    }
    float[] logits = new float[rows * outs];
    float[] seed = new float[rows * outs];
    model.logits(x, rows, logits);
    for (int i = 0; i < rows; i++) {
      AttributionTarget.checkClass(model, i, classes[i]);
      target.score(model, logits, i, classes[i], seed);
    }
    float[] gradient = new float[rows * width];
    model.logitGradient(x, rows, seed, gradient);
    return gradient;
  }

  /** The saliency map: {@code |∂ logit / ∂ x|} of class {@code classes[i]} of each row. */
  public static float[] saliency(Differentiable model, float[] x, int rows, int[] classes) {
    float[] g = gradient(model, x, rows, classes, AttributionTarget.LOGIT);
    for (int k = 0; k < g.length; k++) {
      g[k] = Math.abs(g[k]);
    }
    return g;
  }

  /** Gradient × input: {@code x ⊙ ∂ logit / ∂ x} of class {@code classes[i]} of each row. */
  public static float[] gradientTimesInput(Differentiable model, float[] x, int rows, int[] classes) {
    float[] g = gradient(model, x, rows, classes, AttributionTarget.LOGIT);
    for (int k = 0; k < g.length; k++) {
      g[k] *= x[k];
    }
    return g;
  }
}
