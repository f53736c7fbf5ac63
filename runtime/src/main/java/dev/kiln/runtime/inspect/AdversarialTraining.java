package dev.kiln.runtime.inspect;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.Differentiable;
import dev.kiln.runtime.train.BatchPerturbation;
import java.util.Objects;

/**
 * Adversarial training as a training option (Madry et al. 2018): in every training batch, the first
 * {@code round(fraction · n)} of its {@code n} rows (rows come in shuffled order, so a random part of
 * the batch) are replaced by adversarial versions made by {@code attack} against the current weights,
 * in inference mode, before the training forward pass; labels are unchanged. {@code fraction = 1}
 * trains on adversarial examples only, as Madry et al.; {@code 0.5} mixes clean and adversarial
 * halves, as Goodfellow et al. 2015. Set it with
 * {@code TrainOptions.withAdversarialTraining(new AdversarialTraining(attack, fraction))}.
 *
 * <p>Random starts are drawn from a stream derived from the run's shuffle seed, the attack's seed,
 * the epoch and the row's position in the epoch, so two runs, and a run resumed from a checkpoint,
 * give the same bits. The training accuracy of the history is measured on the mixed batches.
 *
 * @param attack the attack (its ε, steps, step size, random start and input range)
 * @param fraction the part of each batch replaced, in (0, 1]
 */
public record AdversarialTraining(Pgd attack, double fraction) implements BatchPerturbation.Factory {
  public AdversarialTraining {
    Objects.requireNonNull(attack, "attack");
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("the adversarial fraction of each batch must be in (0, 1], got " + fraction);
    }
  }

  /** Rows of a batch of {@code n} that are replaced: {@code round(fraction · n)}. */
  public int adversarialRows(int n) {
    return (int) Math.round(fraction * n);
  }

  /**
   * The adversarial part of the batches of one {@code train} call.
   *
   * @throws UnsupportedOperationException if the network does not implement {@link Differentiable}
   * @throws IllegalArgumentException if it is not a classifier, or a training sample lies outside the
   *     attack's input range (naming its row and feature)
   */
  @Override
  public BatchPerturbation create(Object network, Dataset train, long runSeed) {
    if (!(network instanceof Differentiable model)) {
      throw new UnsupportedOperationException("adversarial training needs the gradient with respect to the input, and "
          + network.getClass().getSimpleName() + " does not implement Differentiable; regenerate it with a newer Kiln");
    }
    if (!model.loss().isClassification()) {
      throw new IllegalArgumentException("adversarial training needs a classifier; the network's loss is " + model.loss());
    }
    attack.range().checkInside(train.features(), train.rows(), train.cols(), "training data '" + train.name() + "'");
    return new AdversarialExamples(this, model, runSeed);
  }
}
