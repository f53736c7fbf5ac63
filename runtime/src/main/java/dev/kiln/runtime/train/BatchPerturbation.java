package dev.kiln.runtime.train;

import dev.kiln.runtime.data.Dataset;

/**
 * Replaces the inputs of part of each training batch before the step trains on it, e.g. by
 * adversarial examples ({@code dev.kiln.runtime.inspect.AdversarialTraining}). Made once per
 * {@code train} call by its {@link Factory}; must not allocate per batch in steady state.
 */
public interface BatchPerturbation {
  /** Called at the start of every epoch (1-based), before its first batch. */
  void epochBegin(int epoch);

  /**
   * Computes replacement inputs for the first rows of the batch {@code order[start, start + n)}
   * with the current weights. It may use the network's arenas: the step loads the batch afterwards.
   *
   * @return the number of rows replaced, whose inputs {@link #inputs()} holds row-major
   */
  int perturb(Dataset data, int[] order, int start, int n);

  /** The replacement inputs of the last {@link #perturb}. */
  float[] inputs();

  /** Makes the perturbation of one {@code train} call. */
  interface Factory {
    /**
     * @param network the model being trained (a generated model)
     * @param train the training data
     * @param runSeed the run's shuffle seed (a checkpoint restores it), for seeded perturbations
     * @throws RuntimeException naming the problem if the network or data cannot be perturbed
     */
    BatchPerturbation create(Object network, Dataset train, long runSeed);
  }
}
