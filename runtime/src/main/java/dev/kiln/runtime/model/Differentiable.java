package dev.kiln.runtime.model;

/**
 * A network seen as a differentiable function of its input: what the trust tools (adversarial
 * attacks, attributions, out-of-distribution scores, calibration) need, and nothing else, so that
 * they work on any compiled network and can be tested on small analytic models.
 *
 * <p>Everything here runs the network in inference mode: dropout is off and batch normalization
 * uses its running statistics, so each gradient is the gradient of the very function
 * {@link #predict} computes. Arrays are row-major, {@code rows} samples of {@link #inputs()} floats
 * (or {@link #outputs()} floats); none of these methods changes the weights.
 */
public interface Differentiable {
  /** Floats per input sample. */
  int inputs();

  /** Floats per output sample: class probabilities, one sigmoid probability, or regression outputs. */
  int outputs();

  /** The loss the network was declared with, which also says which head turns logits into outputs. */
  LossKind loss();

  /** The network's outputs, as {@link Model#predict(float[], int, float[])}. */
  void predict(float[] x, int rows, float[] out);

  /**
   * The pre-head outputs: the logits z of a softmax head (outputs softmax(z)) or of a sigmoid head
   * (output σ(z)); the outputs themselves for a regression network.
   */
  void logits(float[] x, int rows, float[] out);

  /**
   * For each sample, the gradient of that sample's own loss against its label with respect to its
   * input, written row-major to {@code gradient} ({@code rows * inputs()} floats): row i holds
   * ∂ loss(x_i, label_i) / ∂ x_i, not divided by the number of rows. For classification networks
   * (softmax or binary cross-entropy; binary labels are 0 or 1).
   *
   * @return the sum over the rows of the per-sample losses
   * @throws IllegalArgumentException naming the row if a label is outside the classes, or if an
   *     array is too short
   */
  double lossGradient(float[] x, int[] labels, int rows, float[] gradient);

  /**
   * For a regression network (mean squared error): row i of {@code gradient} is the gradient of
   * sample i's own loss, the mean over the outputs of {@code (output - target)²}, with respect to
   * its input; {@code targets} holds {@code rows * outputs()} floats.
   *
   * @return the sum over the rows of the per-sample losses
   * @throws IllegalArgumentException if an array is too short or a target is not finite
   */
  double lossGradient(float[] x, float[] targets, int rows, float[] gradient);

  /**
   * The vector-Jacobian product at the logits: row i of {@code gradient} is
   * {@code Σ_j seed[i, j] · ∂ z_ij / ∂ x_i} where z are the {@link #logits}; {@code seed} holds
   * {@code rows * outputs()} floats. A one-hot seed gives the gradient of one logit (saliency);
   * other scores follow by the chain rule.
   */
  void logitGradient(float[] x, int rows, float[] seed, float[] gradient);
}
