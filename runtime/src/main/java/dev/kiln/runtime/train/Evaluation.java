package dev.kiln.runtime.train;

/**
 * Result of evaluating a model on a data set.
 *
 * @param samples number of rows evaluated
 * @param loss mean loss
 * @param accuracy fraction of correct predictions (NaN for regression)
 * @param confusion {@code confusion[actual][predicted]} counts (empty for regression)
 * @param regression MSE, MAE and R² per output and averaged (null for classification)
 */
public record Evaluation(
    int samples, double loss, double accuracy, int[][] confusion, RegressionMetrics regression) {

  /** A classification result (no regression metrics). */
  public Evaluation(int samples, double loss, double accuracy, int[][] confusion) {
    this(samples, loss, accuracy, confusion, null);
  }

  /** Mean squared error averaged over outputs, in the targets' units squared; NaN for classification. */
  public double mse() {
    return regression == null ? Double.NaN : regression.mse();
  }

  /** Mean absolute error averaged over outputs; NaN for classification. */
  public double mae() {
    return regression == null ? Double.NaN : regression.mae();
  }

  /** R² averaged over outputs; NaN for classification or constant targets. */
  public double r2() {
    return regression == null ? Double.NaN : regression.r2();
  }

  /** The confusion matrix as an aligned text table. */
  public String confusionTable() {
    if (confusion.length == 0) {
      return "";
    }
    int width = 5;
    for (int[] row : confusion) {
      for (int v : row) {
        width = Math.max(width, Integer.toString(v).length() + 1);
      }
    }
    StringBuilder s = new StringBuilder();
    s.append(String.format("%-" + (width + 6) + "s", "actual\\pred"));
    for (int j = 0; j < confusion.length; j++) {
      s.append(String.format("%" + width + "d", j));
    }
    s.append('\n');
    for (int i = 0; i < confusion.length; i++) {
      s.append(String.format("%-" + (width + 6) + "d", i));
      for (int v : confusion[i]) {
        s.append(String.format("%" + width + "d", v));
      }
      s.append('\n');
    }
    return s.toString();
  }

  @Override
  public String toString() {
    if (regression != null && samples > 0) {
      return String.format(
          "test loss: %.4f, MSE: %.6g, MAE: %.6g, R²: %.4f (%d samples)", loss, mse(), mae(), r2(), samples);
    }
    return Double.isNaN(accuracy)
        ? String.format("test loss: %.4f (%d samples)", loss, samples)
        : String.format("test loss: %.4f, test accuracy: %.4f (%d samples)", loss, accuracy, samples);
  }
}
