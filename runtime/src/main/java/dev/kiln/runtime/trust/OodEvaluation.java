package dev.kiln.runtime.trust;

import java.util.Objects;

/**
 * How well a score separates an in-distribution set from a named out-of-distribution set.
 *
 * @param inDistribution the in-distribution set's name
 * @param outOfDistribution the out-of-distribution set's name
 * @param score the score
 * @param temperature the temperature it was computed at
 * @param inScores each in-distribution sample's score value
 * @param outScores each out-of-distribution sample's score value
 * @param auroc AUROC of flagging the out-of-distribution samples ({@link Auroc}, out-of-distribution
 *     samples as positives, ranked by {@link OodScore#outlierScore}); 0.5 is chance
 * @param detector the model's fitted rule when it uses this score, else null
 */
public record OodEvaluation(
    String inDistribution,
    String outOfDistribution,
    OodScore score,
    double temperature,
    double[] inScores,
    double[] outScores,
    double auroc,
    OodDetector detector) {

  /** Checks for nulls. */
  public OodEvaluation {
    Objects.requireNonNull(inDistribution, "inDistribution");
    Objects.requireNonNull(outOfDistribution, "outOfDistribution");
    Objects.requireNonNull(score, "score");
    Objects.requireNonNull(inScores, "inScores");
    Objects.requireNonNull(outScores, "outScores");
  }

  /** Evaluates {@code score} values of the two sets. */
  public static OodEvaluation of(
      String inName, String outName, OodScore score, double temperature, double[] in, double[] out,
      OodDetector detector) {
    double[] inOutlier = new double[in.length];
    double[] outOutlier = new double[out.length];
    for (int i = 0; i < in.length; i++) {
      inOutlier[i] = score.outlierScore(in[i]);
    }
    for (int i = 0; i < out.length; i++) {
      outOutlier[i] = score.outlierScore(out[i]);
    }
    return new OodEvaluation(
        inName, outName, score, temperature, in, out, Auroc.of(outOutlier, inOutlier), detector);
  }

  /** Fraction of the in-distribution samples the detector flags (false alarms); NaN without one. */
  public double inFlaggedFraction() {
    return detector == null ? Double.NaN : detector.flaggedFraction(inScores);
  }

  /** Fraction of the out-of-distribution samples the detector flags; NaN without one. */
  public double outFlaggedFraction() {
    return detector == null ? Double.NaN : detector.flaggedFraction(outScores);
  }

  @Override
  public String toString() {
    return String.format(
        "%s vs %s, %s: AUROC %.4f%s", inDistribution, outOfDistribution, score.key(), auroc,
        detector == null
            ? ""
            : String.format(
                ", at threshold %.4f: %.1f%% of %s flagged, %.1f%% of %s flagged",
                detector.threshold(), 100 * outFlaggedFraction(), outOfDistribution,
                100 * inFlaggedFraction(), inDistribution));
  }
}
