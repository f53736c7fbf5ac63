package dev.kiln.runtime.trust;

/**
 * What a temperature-scaling fit did, measured on the data it was fitted on.
 *
 * @param temperature the fitted temperature T
 * @param before ECE, NLL and Brier score of the uncalibrated probabilities (T = 1)
 * @param after the same at T
 */
public record CalibrationResult(double temperature, CalibrationMetrics before, CalibrationMetrics after) {
  /** A small table: T, then ECE, NLL and Brier score before and after. */
  @Override
  public String toString() {
    return String.format(
        "temperature %.4f%n%-8s %10s %10s%n%-8s %10.4f %10.4f%n%-8s %10.4f %10.4f%n%-8s %10.4f %10.4f%n",
        temperature, "", "before", "after",
        "ECE", before.expectedCalibrationError(), after.expectedCalibrationError(),
        "NLL", before.negativeLogLikelihood(), after.negativeLogLikelihood(),
        "Brier", before.brier(), after.brier());
  }
}
