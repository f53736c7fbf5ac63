package dev.kiln.runtime.trust;

/**
 * A score of how much an input looks like the training data, computed from the network's logits z
 * (Hendrycks and Gimpel, 2017; Liu et al., 2020). Each has its own direction; {@link #outlierScore}
 * turns either into "higher means more out of distribution".
 */
public enum OodScore {
  /**
   * The maximum softmax probability {@code max_c softmax(z / T)_c} (for a sigmoid head max(p, 1 − p)
   * with p = σ(z / T)), T being the model's calibration temperature when the score is fitted. In
   * [1 / classes, 1]; higher means more in distribution.
   */
  MAX_SOFTMAX_PROBABILITY,
  /**
   * The energy {@code E(x) = −T_e · logsumexp(z / T_e)} (for a sigmoid head, over the logits {0, z}:
   * {@code −T_e · softplus(z / T_e)}); T_e = 1 unless chosen. Lower means more in distribution.
   */
  ENERGY;

  /** The score of one sample's {@code width} logits at temperature {@code temperature}. */
  public double value(float[] z, int off, int width, Head head, double temperature) {
    if (this == ENERGY) {
      return head == Head.SIGMOID
          ? -temperature * Head.softplus(z[off] / temperature)
          : -temperature * Head.logSumExp(z, off, width, 1 / temperature);
    }
    if (head == Head.SIGMOID) {
      double p = Head.sigmoid(z[off] / temperature);
      return Math.max(p, 1 - p);
    }
    double lse = Head.logSumExp(z, off, width, 1 / temperature);
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < width; j++) {
      max = Math.max(max, z[off + j] / temperature);
    }
    return Math.exp(max - lse);
  }

  /** {@code value} oriented so that higher means more out of distribution: −MSP, or the energy. */
  public double outlierScore(double value) {
    return this == ENERGY ? value : -value;
  }

  /** The scores of {@code rows} samples of {@code width} logits each. */
  public double[] values(float[] logits, int rows, int width, Head head, double temperature) {
    CalibrationMetrics.requireTemperature(temperature);
    if (logits.length < (long) rows * width) {
      throw new IllegalArgumentException(
          "logits hold " + logits.length + " values, expected " + rows + " samples x " + width);
    }
    double[] v = new double[rows];
    for (int i = 0; i < rows; i++) {
      v[i] = value(logits, i * width, width, head, temperature);
    }
    return v;
  }

  /** A short lower-case name, as saved in weight files: {@code msp} or {@code energy}. */
  public String key() {
    return this == ENERGY ? "energy" : "msp";
  }

  /**
   * The score of that {@link #key()}.
   *
   * @throws IllegalArgumentException listing the keys if there is none such
   */
  public static OodScore ofKey(String key) {
    for (OodScore s : values()) {
      if (s.key().equals(key)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown out-of-distribution score '" + key + "'; known: msp, energy");
  }
}
