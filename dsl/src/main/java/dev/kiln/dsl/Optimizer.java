package dev.kiln.dsl;

/** Optimizers, with PyTorch's update rules. */
public enum Optimizer {
  /** Stochastic gradient descent, optionally with (Nesterov) momentum. */
  SGD,
  /** Adam with bias correction; weightDecay is L2. */
  ADAM,
  /** Adam with decoupled weight decay. */
  ADAMW
}
