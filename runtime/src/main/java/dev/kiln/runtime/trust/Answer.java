package dev.kiln.runtime.trust;

/**
 * A classifier's answer for one input together with its out-of-distribution warning.
 *
 * @param probabilities the outputs {@code predict} gives (calibrated when the model is)
 * @param predictedClass the class {@code predictClass} gives
 * @param score the value of the model's {@link OodDetector#score()} for this input
 * @param outOfDistribution whether the detector flags the input: the answer should not be trusted
 */
public record Answer(float[] probabilities, int predictedClass, double score, boolean outOfDistribution) {}
