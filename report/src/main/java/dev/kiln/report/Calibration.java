package dev.kiln.report;

import dev.kiln.runtime.trust.ReliabilityBins;
import java.util.ArrayList;
import java.util.List;

/**
 * How well a classifier's confidence matches its accuracy: equal-width bins of the predicted class's
 * probability and the expected calibration error
 * {@code ECE = Σ_b (n_b / n) · |accuracy_b − meanConfidence_b|} (Guo et al., 2017). A perfectly
 * calibrated model has ECE 0; one that is 95% confident and 80% right has ECE near 0.15.
 *
 * @param bins the equal-width bins covering [0, 1], empty ones included
 * @param expectedCalibrationError the ECE, in [0, 1]
 */
public record Calibration(List<CalibrationBin> bins, double expectedCalibrationError) {
  public Calibration {
    bins = List.copyOf(bins);
  }

  /** The bins of the runtime's {@link ReliabilityBins}, with their edges. */
  public static Calibration of(ReliabilityBins r) {
    int bins = r.bins();
    List<CalibrationBin> result = new ArrayList<>(bins);
    for (int b = 0; b < bins; b++) {
      result.add(
          new CalibrationBin(
              (double) b / bins, (double) (b + 1) / bins, r.counts()[b], r.meanConfidence()[b], r.accuracy()[b]));
    }
    return new Calibration(result, r.expectedCalibrationError());
  }

  /** The bins that hold at least one sample. */
  public List<CalibrationBin> nonEmptyBins() {
    return bins.stream().filter(b -> !b.isEmpty()).toList();
  }
}
