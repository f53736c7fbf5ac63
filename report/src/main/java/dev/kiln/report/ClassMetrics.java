package dev.kiln.report;

/**
 * Precision, recall and F1 of one class, or their macro / weighted average.
 *
 * <p>Precision is {@code tp / (tp + fp)}, recall {@code tp / (tp + fn)}, F1 their harmonic mean. As in
 * scikit-learn, a ratio whose denominator is zero (a class never predicted, or never present) is 0.
 *
 * @param name the class's name, or "macro avg" / "weighted avg"
 * @param precision in [0, 1]
 * @param recall in [0, 1]
 * @param f1 in [0, 1]
 * @param support samples whose true label is this class (for averages: all samples)
 */
public record ClassMetrics(String name, double precision, double recall, double f1, int support) {}
