package dev.kiln.runtime.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics of one training epoch. Accuracies are NaN for regression; validation values are NaN when
 * no validation set was given.
 *
 * @param epoch 1-based epoch number
 * @param loss mean training loss over the epoch's samples
 * @param accuracy training accuracy (measured in training mode, i.e. with dropout)
 * @param validationLoss mean validation loss
 * @param validationAccuracy validation accuracy
 * @param seconds wall time of the epoch's training steps (validation excluded)
 * @param samplesPerSecond training throughput
 * @param metrics the values of {@link TrainOptions#metrics()} by name: {@code name} for training,
 *     {@code val_name} for validation (when validation data was given); empty without extra metrics
 * @param gradientNorms the epoch's gradient norms, or null when they were not recorded (see
 *     {@link TrainOptions#withGradientNorms()})
 */
public record EpochStats(
    int epoch,
    double loss,
    double accuracy,
    double validationLoss,
    double validationAccuracy,
    double seconds,
    double samplesPerSecond,
    Map<String, Double> metrics,
    GradientNorms gradientNorms) {

  public EpochStats {
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** An epoch without gradient norms. */
  public EpochStats(
      int epoch,
      double loss,
      double accuracy,
      double validationLoss,
      double validationAccuracy,
      double seconds,
      double samplesPerSecond,
      Map<String, Double> metrics) {
    this(epoch, loss, accuracy, validationLoss, validationAccuracy, seconds, samplesPerSecond, metrics, null);
  }

  /** An epoch without extra metrics. */
  public EpochStats(
      int epoch,
      double loss,
      double accuracy,
      double validationLoss,
      double validationAccuracy,
      double seconds,
      double samplesPerSecond) {
    this(epoch, loss, accuracy, validationLoss, validationAccuracy, seconds, samplesPerSecond, Map.of());
  }

  /** The metric names {@link #metric} accepts. */
  public static final List<String> METRICS =
      List.of("loss", "accuracy", "val_loss", "val_accuracy");

  /**
   * The canonical name of a metric: {@code loss}, {@code accuracy}, {@code val_loss} or
   * {@code val_accuracy}; {@code acc} and {@code val_acc} are accepted for the accuracies.
   *
   * @throws IllegalArgumentException naming the accepted names if {@code name} is none of them
   */
  public static String canonicalMetric(String name) {
    return switch (name) {
      case "loss", "val_loss", "accuracy", "val_accuracy" -> name;
      case "acc" -> "accuracy";
      case "val_acc" -> "val_accuracy";
      case null, default ->
          throw new IllegalArgumentException(
              "unknown metric '" + name + "'; use one of " + String.join(", ", METRICS));
    };
  }

  /**
   * A metric by name: one of {@link #METRICS} (see {@link #canonicalMetric}) or of {@link #metrics()}.
   *
   * @throws IllegalArgumentException if there is no metric of that name
   */
  public double metric(String name) {
    Double extra = name == null ? null : metrics.get(name);
    if (extra != null) {
      return extra;
    }
    return switch (canonicalMetric(name)) {
      case "loss" -> loss;
      case "accuracy" -> accuracy;
      case "val_loss" -> validationLoss;
      default -> validationAccuracy;
    };
  }

  /** One human-readable line, as printed during training. */
  public String format(int epochs) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("epoch %d/%d  loss %.4f", epoch, epochs, loss));
    if (!Double.isNaN(accuracy)) {
      s.append(String.format("  acc %.4f", accuracy));
    }
    if (!Double.isNaN(validationLoss)) {
      s.append(String.format("  val_loss %.4f", validationLoss));
    }
    if (!Double.isNaN(validationAccuracy)) {
      s.append(String.format("  val_acc %.4f", validationAccuracy));
    }
    for (Map.Entry<String, Double> m : metrics.entrySet()) {
      s.append(String.format("  %s %.4f", m.getKey(), m.getValue()));
    }
    s.append(String.format("  %.2fs  %.0f samples/s", seconds, samplesPerSecond));
    return s.toString();
  }
}
