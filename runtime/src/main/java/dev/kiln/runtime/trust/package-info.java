/**
 * Can this classifier's answers be trusted? Calibration metrics (ECE, negative log-likelihood,
 * Brier score) and temperature scaling, out-of-distribution scores (maximum softmax probability,
 * energy), their AUROC against a named out-of-distribution set and a threshold chosen on
 * in-distribution validation data. All of it works on logits and labels in plain arrays; the
 * generated models use it through {@code Model.calibrate} and {@code Model.fitOutOfDistribution}.
 */
package dev.kiln.runtime.trust;
