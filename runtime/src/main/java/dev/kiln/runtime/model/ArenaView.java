package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainableNetwork;
import dev.kiln.runtime.train.TrainingRun;

/**
 * A {@link CompiledModel}'s arenas as the training loop, the training step and the evaluator see
 * them: the loaded batch, the forward pass and the loss, the parameter and gradient arenas, and the
 * carried recurrent states. Allocates nothing per call (the training step goes through it).
 */
final class ArenaView implements TrainableNetwork {
  private final CompiledModel model;

  ArenaView(CompiledModel model) {
    this.model = model;
  }

  @Override
  public String name() {
    return model.spec().network();
  }

  @Override
  public int outputs() {
    return model.spec().outputs();
  }

  @Override
  public int labelsPerSample() {
    return model.labelsPerSample();
  }

  @Override
  public int classes() {
    return switch (model.spec().loss()) {
      case SOFTMAX_CROSS_ENTROPY -> model.spec().outputs() / model.labelsPerSample();
      case BINARY_CROSS_ENTROPY -> 2;
      case MEAN_SQUARED_ERROR -> 0;
    };
  }

  @Override
  public int capacity() {
    return model.capacity;
  }

  @Override
  public void ensureCapacity(int n) {
    model.ensureCapacity(n);
  }

  @Override
  public void loadBatch(Dataset data, int[] order, int start, int n) {
    model.loadBatch(data, order, start, n);
  }

  @Override
  public void loadInputs(float[] x, int n) {
    model.loadInput(x, 0, n);
  }

  @Override
  public void forward(int n, boolean training) {
    model.forward(n, training);
  }

  @Override
  public double loss(int n, boolean backward) {
    return model.computeLoss(n, backward);
  }

  @Override
  public float[] outputArena() {
    return model.activations;
  }

  @Override
  public int outputOffset() {
    return model.outputOffset();
  }

  @Override
  public int[] labels() {
    return model.labels;
  }

  @Override
  public float[] targets() {
    return model.targets;
  }

  @Override
  public float[] parameters() {
    return model.params;
  }

  @Override
  public float[] gradients() {
    return model.grads;
  }

  @Override
  public int[] trainableRanges() {
    return model.trainable().ranges();
  }

  @Override
  public void resetStates() {
    model.states().reset();
  }

  @Override
  public int carriedStateRows() {
    CarriedStates states = model.states();
    if (!states.any()) {
      return 0;
    }
    TrainingRun run = model.training().run();
    return states.rows() > 0 ? states.rows() : run != null ? run.context().batchSize() : model.spec().batchSize();
  }

  private float[] asideStates;
  private int asideRows;

  @Override
  public void setStatesAside() {
    asideRows = model.states().rows();
    asideStates = model.states().snapshot();
    model.states().reset();
  }

  @Override
  public void restoreStates() {
    model.states().restore(asideStates, asideRows);
    asideStates = null;
  }
}
