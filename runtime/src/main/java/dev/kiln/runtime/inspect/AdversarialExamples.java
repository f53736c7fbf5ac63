package dev.kiln.runtime.inspect;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.EpochOrder;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.train.BatchPerturbation;
import java.util.Objects;

/**
 * The adversarial part of each training batch for the training step (see
 * {@link AdversarialTraining}): gathers the rows to attack into buffers of its own and attacks them
 * through the network's {@link Differentiable} view, which may use the network's arenas, so the step
 * loads the batch only afterwards. The buffers grow to the batch once; after that nothing is
 * allocated.
 */
final class AdversarialExamples implements BatchPerturbation {
  private final Pgd attack;
  private final AdversarialTraining option;
  private final Differentiable network;
  private final long runSeed;
  private long epochStream;
  private float[] x = new float[0];
  private float[] adversarial = new float[0];
  private float[] gradient = new float[0];
  private int[] labels = new int[0];

  /**
   * @param option the attack and the fraction of each batch
   * @param network the network being trained, as a differentiable function of its input
   * @param runSeed the run's shuffle seed (a checkpoint restores it), from which random starts derive
   */
  AdversarialExamples(AdversarialTraining option, Differentiable network, long runSeed) {
    this.option = Objects.requireNonNull(option, "option");
    this.attack = option.attack();
    this.network = Objects.requireNonNull(network, "network");
    this.runSeed = runSeed;
  }

  /** Derives the epoch's random-start stream. */
  @Override
  public void epochBegin(int epoch) {
    epochStream = SplitMix64.derive(SplitMix64.derive(runSeed, attack.seed()), epoch);
  }

  /**
   * Attacks the first rows of the batch {@code order[start, start + n)} with the current weights.
   *
   * @return the number of rows attacked, whose inputs {@link #inputs()} holds
   */
  @Override
  public int perturb(Dataset data, int[] order, int start, int n) {
    int k = option.adversarialRows(n);
    if (k == 0) {
      return 0;
    }
    int width = network.inputs();
    if (x.length < k * width) {
      x = new float[k * width];
      adversarial = new float[k * width];
      gradient = new float[k * width];
      labels = new int[k];
    }
    EpochOrder.gather(data, order, start, k, x, 0, labels, null);
    attack.perturb(network, x, labels, k, adversarial, gradient, epochStream, start);
    return k;
  }

  /** The adversarial inputs of the last {@link #attack}, row-major. */
  @Override
  public float[] inputs() {
    return adversarial;
  }
}
