package dev.kiln.runtime.train;

/**
 * Listens to a {@code train} call. Every method has a no-op default; override what you need. All
 * methods receive the same live {@link TrainingContext}, which is updated in place (read it during
 * the call, do not keep values from it).
 *
 * <p>Order of calls: {@code onTrainBegin}, then per epoch {@code onEpochBegin}, per batch
 * {@code onBatchBegin} / {@code onBatchEnd}, {@code onEpochEnd} (after validation, with the epoch
 * already in {@link TrainingContext#history()}), and finally {@code onTrainEnd}. Callbacks are called
 * in list order, except that those whose {@link #writesCheckpoints()} is true come after all others
 * at every event, so a checkpoint holds the other callbacks' state after the same epoch.
 *
 * <p>A callback that throws stops training at once with that exception: later callbacks are not
 * called for that event and {@code onTrainEnd} is not called. The weights stay as they were when it
 * threw; checkpoints already written are complete files.
 *
 * <p>Per-batch methods run on the training thread between steps: keep them cheap and, to keep the
 * training step allocation-free, do not allocate in them.
 */
public interface Callback {
  /** Before the first epoch (and, when resuming, before the callback's state is restored). */
  default void onTrainBegin(TrainingContext context) {}

  /** After the last epoch, or after training was stopped by a request or by {@link StopOnNaN}. */
  default void onTrainEnd(TrainingContext context) {}

  /** Before the epoch's first batch; {@link TrainingContext#epoch()} is the new epoch. */
  default void onEpochBegin(TrainingContext context) {}

  /** After the epoch's metrics and validation are in {@link TrainingContext#history()}. */
  default void onEpochEnd(TrainingContext context) {}

  /** Before a training step; {@link TrainingContext#batch()} is its 0-based index in the epoch. */
  default void onBatchBegin(TrainingContext context) {}

  /** After a training step; the running metrics include this batch. */
  default void onBatchEnd(TrainingContext context) {}

  /**
   * A short name under which this callback's state is kept in checkpoints, or null (the default)
   * for a callback without state. Several callbacks with the same key in one run are told apart by
   * their order.
   */
  default String stateKey() {
    return null;
  }

  /** Writes the state that an exact resume needs (called when a checkpoint is saved). */
  default void saveState(CallbackState state) {}

  /** Restores what {@link #saveState} wrote, when training resumes from a checkpoint. */
  default void restoreState(CallbackState state) {}

  /** True for callbacks that save checkpoints; see the class comment for what it changes. */
  default boolean writesCheckpoints() {
    return false;
  }
}
