package dev.kiln.runtime.model;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.trust.CalibrationMetrics;
import dev.kiln.runtime.trust.CalibrationResult;
import dev.kiln.runtime.trust.Head;
import dev.kiln.runtime.trust.OodDetector;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import dev.kiln.runtime.trust.ReliabilityBins;
import dev.kiln.runtime.trust.TemperatureScaling;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's calibration temperature and out-of-distribution rule, how they are fitted, and how
 * they are saved in the metadata of weight files and checkpoints ({@value #META_TEMPERATURE};
 * {@value #META_OOD_SCORE}, {@value #META_OOD_TEMPERATURE}, {@value #META_OOD_THRESHOLD},
 * {@value #META_OOD_ACCEPT_RATE}, all written as Java's shortest round-tripping decimal). Files
 * without these entries (written before calibration existed, or by another tool) load as T = 1 and
 * no rule. Training never reads either: the loss uses the fused head on the raw logits.
 */
final class ModelTrust {
  static final String META_TEMPERATURE = "kiln.calibration.temperature";
  static final String META_OOD_SCORE = "kiln.ood.score";
  static final String META_OOD_TEMPERATURE = "kiln.ood.temperature";
  static final String META_OOD_THRESHOLD = "kiln.ood.threshold";
  static final String META_OOD_ACCEPT_RATE = "kiln.ood.accept_rate";

  /** What is saved: the temperature (1 when not calibrated) and the rule (null when none). */
  record Settings(double temperature, OodDetector detector) {
    static final Settings NONE = new Settings(1, null);

    /** Adds the non-default entries to {@code meta}. */
    void writeTo(Map<String, String> meta) {
      if (temperature != 1) {
        meta.put(META_TEMPERATURE, Double.toString(temperature));
      }
      if (detector != null) {
        meta.put(META_OOD_SCORE, detector.score().key());
        meta.put(META_OOD_TEMPERATURE, Double.toString(detector.temperature()));
        meta.put(META_OOD_THRESHOLD, Double.toString(detector.threshold()));
        meta.put(META_OOD_ACCEPT_RATE, Double.toString(detector.acceptRate()));
      }
    }

    /**
     * Reads the entries of {@code meta}; missing ones give the defaults.
     *
     * @throws IllegalArgumentException naming the file and the entry if one is malformed
     */
    static Settings readFrom(Path file, Map<String, String> meta) {
      double t = number(file, meta, META_TEMPERATURE, "1");
      if (!(t > 0) || Double.isInfinite(t)) {
        throw new IllegalArgumentException(
            file + ": metadata " + META_TEMPERATURE + " must be a finite number > 0, got " + t);
      }
      if (!meta.containsKey(META_OOD_SCORE)) {
        return new Settings(t, null);
      }
      try {
        OodDetector d =
            new OodDetector(
                OodScore.ofKey(meta.get(META_OOD_SCORE)),
                number(file, meta, META_OOD_TEMPERATURE, null),
                number(file, meta, META_OOD_THRESHOLD, null),
                number(file, meta, META_OOD_ACCEPT_RATE, null));
        return new Settings(t, d);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": out-of-distribution metadata: " + e.getMessage(), e);
      }
    }

    private static double number(Path file, Map<String, String> meta, String key, String fallback) {
      String text = meta.getOrDefault(key, fallback);
      if (text == null) {
        throw new IllegalArgumentException(file + ": metadata " + key + " is missing");
      }
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + ": metadata " + key + " is not a number: '" + text + "'", e);
      }
    }
  }

  private final CompiledModel model;
  private final ModelSpec spec;
  private Settings settings = Settings.NONE;

  /** The trust state of {@code model}, created in its constructor after its spec is set. */
  ModelTrust(CompiledModel model) {
    this.model = model;
    this.spec = java.util.Objects.requireNonNull(model.spec(), "spec");
  }

  Settings settings() {
    return settings;
  }

  void set(Settings s) {
    settings = s;
  }

  double temperature() {
    return settings.temperature();
  }

  OodDetector detector() {
    return settings.detector();
  }

  /** Whether predictions must be recomputed from the logits at a temperature other than 1. */
  boolean scales() {
    return settings.temperature() != 1;
  }

  /** The head of a classifier. */
  Head head() {
    return switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> Head.SOFTMAX;
      case BINARY_CROSS_ENTROPY -> Head.SIGMOID;
      case MEAN_SQUARED_ERROR -> throw new UnsupportedOperationException(
          spec.network() + " is a regression network (mean squared error): it has no class "
              + "probabilities to calibrate or to score");
    };
  }

  /** The head, for a network that predicts one class per sample. */
  private Head classifierHead(String what) {
    Head head = head();
    if (spec.labelsPerSample() != 1) {
      throw new UnsupportedOperationException(
          what + " needs one class per sample, but " + spec.network() + " predicts one at each of "
              + spec.labelsPerSample() + " steps");
    }
    return head;
  }

  /** The logits of every row of {@code data}, checked against the network; refuses an empty set. */
  private float[] logits(Dataset data, String role) {
    DataCompatibility.check(spec, data, role);
    if (data.rows() == 0) {
      throw new IllegalArgumentException(role + " '" + data.name() + "' has no rows");
    }
    float[] z = new float[Math.multiplyExact(data.rows(), spec.outputs())];
    model.logits(data.features(), data.rows(), z);
    return z;
  }

  CalibrationResult calibrate(Dataset validation, int bins) {
    Head head = classifierHead("calibration");
    float[] z = logits(validation, "validation data");
    int[] labels = validation.labels();
    TemperatureScaling.Fit fit = TemperatureScaling.fit(z, spec.outputs(), labels, head);
    CalibrationResult result =
        new CalibrationResult(
            fit.temperature(),
            CalibrationMetrics.of(z, spec.outputs(), labels, head, 1, bins),
            CalibrationMetrics.of(z, spec.outputs(), labels, head, fit.temperature(), bins));
    settings = new Settings(fit.temperature(), settings.detector());
    return result;
  }

  /** ECE, NLL and Brier score on {@code data} at temperature {@code t}. */
  CalibrationMetrics metrics(Dataset data, double t) {
    Head head = classifierHead("calibration metrics");
    return CalibrationMetrics.of(
        logits(data, "data"), spec.outputs(), data.labels(), head, t, ReliabilityBins.DEFAULT_BINS);
  }

  /** Mean NLL of the calibrated probabilities of every row of {@code data}. */
  double calibratedLoss(Dataset data) {
    Head head = classifierHead("calibrated evaluation");
    float[] z = logits(data, "evaluation data");
    return TemperatureScaling.meanNegativeLogLikelihood(z, spec.outputs(), data.labels(), head, temperature());
  }

  /** The temperature a score is computed at unless a rule says otherwise: T for MSP, 1 for energy. */
  double defaultTemperature(OodScore score) {
    return score == OodScore.MAX_SOFTMAX_PROBABILITY ? temperature() : 1;
  }

  OodDetector fitOutOfDistribution(Dataset validation, OodScore score, double temperature, double acceptRate) {
    Head head = classifierHead("an out-of-distribution rule");
    float[] z = logits(validation, "in-distribution validation data");
    double[] values = score.values(z, validation.rows(), spec.outputs(), head, temperature);
    OodDetector d = OodDetector.fit(values, score, temperature, acceptRate);
    settings = new Settings(settings.temperature(), d);
    return d;
  }

  void resetOutOfDistribution() {
    settings = new Settings(settings.temperature(), null);
  }

  OodEvaluation evaluateOutOfDistribution(Dataset in, Dataset out, OodScore score) {
    Head head = classifierHead("an out-of-distribution evaluation");
    OodDetector d = detector() != null && detector().score() == score ? detector() : null;
    double t = d != null ? d.temperature() : defaultTemperature(score);
    float[] zIn = logits(in, "in-distribution data");
    // The out-of-distribution set has no labels the network knows: only its features are checked.
    if (out.cols() != spec.inputs()) {
      throw new IllegalArgumentException(
          "out-of-distribution data '" + out.name() + "' has " + out.cols() + " features per row, but "
              + spec.network() + " expects " + spec.inputs());
    }
    if (out.rows() == 0) {
      throw new IllegalArgumentException("out-of-distribution data '" + out.name() + "' has no rows");
    }
    float[] zOut = new float[Math.multiplyExact(out.rows(), spec.outputs())];
    model.logits(out.features(), out.rows(), zOut);
    int w = spec.outputs();
    return OodEvaluation.of(
        in.name(), out.name(), score, t,
        score.values(zIn, in.rows(), w, head, t), score.values(zOut, out.rows(), w, head, t), d);
  }
}
