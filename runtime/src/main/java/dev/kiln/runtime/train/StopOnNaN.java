package dev.kiln.runtime.train;

/**
 * Turns a diverging run into a normal stop. Without it, a NaN or infinite training loss (or weight)
 * makes {@code train} throw {@link TrainingDivergedException}; with it, {@code train} returns the
 * history of the finished epochs instead, after calling {@code onTrainEnd}, and
 * {@link TrainingContext#divergence()} holds what happened. Either way the weights are first
 * restored to the end of the last finished epoch (or to their values before training), and the
 * unfinished epoch is not in the history. The optimizer's state and the dropout stream are those
 * of the diverged step, so {@code saveCheckpoint} refuses to write one then; resume from the last
 * checkpoint a {@link ModelCheckpoint} wrote instead.
 */
public final class StopOnNaN implements Callback {}
