package dev.kiln.runtime.train;

/**
 * Result of evaluating a model on a data set.
 *
 * @param samples number of rows evaluated
 * @param loss mean loss
 * @param accuracy fraction of correct predictions (NaN for regression)
 * @param confusion {@code confusion[actual][predicted]} counts (empty for regression)
 */
public record Evaluation(int samples, double loss, double accuracy, int[][] confusion) {

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
    return Double.isNaN(accuracy)
        ? String.format("test loss: %.4f (%d samples)", loss, samples)
        : String.format("test loss: %.4f, test accuracy: %.4f (%d samples)", loss, accuracy, samples);
  }
}
