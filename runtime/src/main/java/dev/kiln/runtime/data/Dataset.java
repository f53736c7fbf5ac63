package dev.kiln.runtime.data;

import dev.kiln.runtime.kernels.SplitMix64;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable in-memory table: {@code rows × cols} float features stored row-major, plus either
 * class labels (classification) or {@code rows × targetCols} float targets (regression).
 *
 * <p>The factories validate shapes, finiteness and label ranges once, so training code can trust
 * the arrays. {@link #features()}, {@link #labels()} and {@link #targets()} return the backing
 * arrays without copying, because the training loop reads them every step; callers must not
 * mutate them. The factories likewise take ownership of the arrays they are given.
 *
 * <p>Each row is one sample of shape {@link #sampleShape()}: {@code [cols]} for a table, {@code
 * [C, H, W]} for images, stored flattened row-major (the last dimension varies fastest). The
 * factories make flat rows; {@link #withSampleShape} gives them their shape, which derived data
 * sets (subsets, splits, normalized copies) keep.
 *
 * <p>A classification data set holds {@link #labelsPerRow()} labels per row: one for a label per
 * sample, or one per time step for a sequence output (a language model predicts the next token at
 * every step), stored row-major so row {@code r}'s label at position {@code j} is {@code
 * labels()[r * labelsPerRow() + j]}. Data sets made by {@link #sequenceClassification} may hold
 * {@link #IGNORED_LABEL} (-1) for positions the loss skips, such as padding (PyTorch's {@code
 * ignore_index}).
 */
public final class Dataset {
  private final String name;
  private final float[] x;
  private final int rows;
  private final int cols;
  /** A label that marks a position the loss and metrics skip (padding); see {@link #sequenceClassification}. */
  public static final int IGNORED_LABEL = dev.kiln.runtime.kernels.Losses.IGNORED;

  private final int[] labels;   // null for regression; rows * labelsPerRow, row-major
  private final int labelsPerRow; // 1, or steps for per-step labels; 0 for regression
  private final int classes;    // 0 for regression
  private final float[] targets; // null for classification
  private final int targetCols;  // 0 for classification
  private final int[] sampleShape; // product == cols

  private Dataset(String name, float[] x, int rows, int cols,
          int[] labels, int labelsPerRow, int classes, float[] targets, int targetCols, int[] sampleShape) {
    this.name = name;
    this.x = x;
    this.rows = rows;
    this.cols = cols;
    this.labels = labels;
    this.labelsPerRow = labelsPerRow;
    this.classes = classes;
    this.targets = targets;
    this.targetCols = targetCols;
    this.sampleShape = sampleShape;
  }

  /**
   * A classification data set.
   *
   * @param x       features, row-major, length {@code rows * cols}, all finite
   * @param labels  one class per row, each in {@code [0, classes)}
   * @throws IllegalArgumentException naming the expected and actual length, or the row (and
   *                                  column) of a non-finite feature or out-of-range label
   */
  public static Dataset classification(String name, float[] x, int rows, int cols, int[] labels, int classes) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    checkFeatures(name, x, rows, cols);
    if (classes < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': classes must be >= 1, got " + classes);
    }
    if (labels.length != rows) {
      throw new IllegalArgumentException("dataset '" + name + "': labels length must equal rows: expected "
          + rows + ", got " + labels.length);
    }
    for (int r = 0; r < rows; r++) {
      if (labels[r] < 0 || labels[r] >= classes) {
        throw new IllegalArgumentException("dataset '" + name + "': label at row " + r + " is " + labels[r]
            + ", outside [0, " + classes + ")");
      }
    }
    return new Dataset(name, x, rows, cols, labels, 1, classes, null, 0, new int[] {cols});
  }

  /**
   * A classification data set with {@code labelsPerRow} labels per row, e.g. one per time step of a
   * sequence model's output. A label is either in {@code [0, classes)} or {@link #IGNORED_LABEL}
   * (-1), which marks a position (such as padding) that the loss and metrics skip.
   *
   * <pre>{@code
   * // 2 rows of 3 token ids; the labels are the next token at every step, the last one unknown
   * Dataset lm = Dataset.sequenceClassification("lm", new float[] {5, 7, 2, 4, 4, 9}, 2, 3,
   *     new int[] {7, 2, 3, 4, 9, -1}, 3, 10);
   * }</pre>
   *
   * @param x            features (e.g. token ids), row-major, length {@code rows * cols}, all finite
   * @param labels       row-major, length {@code rows * labelsPerRow}: row {@code r}'s label at
   *                     position {@code j} is {@code labels[r * labelsPerRow + j]}
   * @param labelsPerRow labels per row, {@code >= 1}
   * @throws IllegalArgumentException naming the expected and actual length, the row and column of a
   *                                  non-finite feature, or the row and position of a label outside
   *                                  {@code [0, classes)} that is not -1
   */
  public static Dataset sequenceClassification(String name, float[] x, int rows, int cols, int[] labels,
      int labelsPerRow, int classes) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
    checkFeatures(name, x, rows, cols);
    if (classes < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': classes must be >= 1, got " + classes);
    }
    if (labelsPerRow < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': labelsPerRow must be >= 1, got " + labelsPerRow);
    }
    long expected = (long) rows * labelsPerRow;
    if (labels.length != expected) {
      throw new IllegalArgumentException("dataset '" + name + "': labels length must be rows * labelsPerRow = "
          + rows + " * " + labelsPerRow + ": expected " + expected + ", got " + labels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      int l = labels[i];
      if (l != IGNORED_LABEL && (l < 0 || l >= classes)) {
        throw new IllegalArgumentException("dataset '" + name + "': label at row " + (i / labelsPerRow)
            + ", position " + (i % labelsPerRow) + " is " + l + ", outside [0, " + classes + ")"
            + " and not " + IGNORED_LABEL + " (ignored)");
      }
    }
    return new Dataset(name, x, rows, cols, labels, labelsPerRow, classes, null, 0, new int[] {cols});
  }

  /**
   * A regression data set.
   *
   * @param x          features, row-major, length {@code rows * cols}, all finite
   * @param targets    row-major, length {@code rows * targetCols}, all finite
   * @throws IllegalArgumentException naming the expected and actual length, or the row and
   *                                  column of a non-finite value
   */
  public static Dataset regression(String name, float[] x, int rows, int cols, float[] targets, int targetCols) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(targets, "targets");
    checkFeatures(name, x, rows, cols);
    if (targetCols < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': targetCols must be >= 1, got " + targetCols);
    }
    long expected = (long) rows * targetCols;
    if (targets.length != expected) {
      throw new IllegalArgumentException("dataset '" + name + "': targets length must be rows * targetCols = "
          + rows + " * " + targetCols + ": expected " + expected + ", got " + targets.length);
    }
    checkFinite(name, "target", targets, targetCols);
    return new Dataset(name, x, rows, cols, null, 0, 0, targets, targetCols, new int[] {cols});
  }

  private static void checkFeatures(String name, float[] x, int rows, int cols) {
    Objects.requireNonNull(x, "x");
    if (rows < 0) {
      throw new IllegalArgumentException("dataset '" + name + "': rows must be >= 0, got " + rows);
    }
    if (cols < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': cols must be >= 1, got " + cols);
    }
    long expected = (long) rows * cols;
    if (x.length != expected) {
      throw new IllegalArgumentException("dataset '" + name + "': features length must be rows * cols = "
          + rows + " * " + cols + ": expected " + expected + ", got " + x.length);
    }
    checkFinite(name, "feature", x, cols);
  }

  private static void checkFinite(String name, String what, float[] a, int width) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        throw new IllegalArgumentException("dataset '" + name + "': " + what + " at row " + (i / width)
            + ", column " + (i % width) + " is " + a[i]);
      }
    }
  }

  public String name() {
    return name;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  /** The backing row-major features, {@code rows * cols} long. Do not mutate. */
  public float[] features() {
    return x;
  }

  public boolean isClassification() {
    return labels != null;
  }

  /**
   * The backing labels, {@link #labelsPerRow()} per row, row-major. Do not mutate.
   *
   * @throws IllegalStateException for regression
   */
  public int[] labels() {
    requireClassification("labels");
    return labels;
  }

  /**
   * Labels per row: 1 for a label per sample, more for per-step labels (see
   * {@link #sequenceClassification}).
   *
   * @throws IllegalStateException for regression
   */
  public int labelsPerRow() {
    requireClassification("labels");
    return labelsPerRow;
  }

  /**
   * The label of one row.
   *
   * @throws IllegalStateException for regression, or if rows have several labels (use {@link #label(int, int)})
   */
  public int label(int row) {
    requireClassification("labels");
    if (labelsPerRow != 1) {
      throw new IllegalStateException("dataset '" + name + "' has " + labelsPerRow
          + " labels per row; use label(row, position)");
    }
    Objects.checkIndex(row, rows);
    return labels[row];
  }

  /** Row {@code row}'s label at {@code position}, possibly {@link #IGNORED_LABEL}. @throws IllegalStateException for regression */
  public int label(int row, int position) {
    requireClassification("labels");
    Objects.checkIndex(row, rows);
    Objects.checkIndex(position, labelsPerRow);
    return labels[row * labelsPerRow + position];
  }

  /** Number of classes; labels lie in {@code [0, classes)}. @throws IllegalStateException for regression */
  public int classes() {
    requireClassification("classes");
    return classes;
  }

  /** The backing row-major targets, {@code rows * targetCols} long. Do not mutate. @throws IllegalStateException for classification */
  public float[] targets() {
    requireRegression("targets");
    return targets;
  }

  /** Targets per row. @throws IllegalStateException for classification */
  public int targetCols() {
    requireRegression("targetCols");
    return targetCols;
  }

  private void requireClassification(String what) {
    if (labels == null) {
      throw new IllegalStateException("dataset '" + name + "' is a regression data set; it has no " + what);
    }
  }

  /** For operations that treat a row's label as its class: one label per row, none ignored. */
  private void requireOneLabelPerRow(String operation) {
    if (labelsPerRow != 1) {
      throw new IllegalStateException("dataset '" + name + "': " + operation + " needs one label per row, but it has "
          + labelsPerRow);
    }
    for (int r = 0; r < rows; r++) {
      if (labels[r] == IGNORED_LABEL) {
        throw new IllegalStateException("dataset '" + name + "': " + operation + " needs a class for every row,"
            + " but row " + r + " has the ignored label " + IGNORED_LABEL);
      }
    }
  }

  private void requireRegression(String what) {
    if (targets == null) {
      throw new IllegalStateException("dataset '" + name + "' is a classification data set; it has no " + what);
    }
  }

  /** A copy of row {@code i}'s features. */
  public float[] row(int i) {
    Objects.checkIndex(i, rows);
    return Arrays.copyOfRange(x, i * cols, (i + 1) * cols);
  }

  /** The rows at {@code indices}, in that order (repeats allowed), copied into a new data set of the same name. */
  public Dataset subset(int[] indices) {
    Objects.requireNonNull(indices, "indices");
    int n = indices.length;
    float[] sx = new float[Math.multiplyExact(n, cols)];
    int lpr = labelsPerRow;
    int[] sl = labels == null ? null : new int[Math.multiplyExact(n, lpr)];
    float[] st = targets == null ? null : new float[Math.multiplyExact(n, targetCols)];
    for (int k = 0; k < n; k++) {
      int r = indices[k];
      if (r < 0 || r >= rows) {
        throw new IndexOutOfBoundsException("dataset '" + name + "': subset index " + k + " is row " + r
            + ", outside [0, " + rows + ")");
      }
      System.arraycopy(x, r * cols, sx, k * cols, cols);
      if (sl != null) {
        System.arraycopy(labels, r * lpr, sl, k * lpr, lpr);
      } else {
        System.arraycopy(targets, r * targetCols, st, k * targetCols, targetCols);
      }
    }
    return new Dataset(name, sx, n, cols, sl, labelsPerRow, classes, st, targetCols, sampleShape);
  }

  /** Rows {@code [from, to)}, copied into a new data set of the same name. */
  public Dataset subset(int from, int to) {
    Objects.checkFromToIndex(from, to, rows);
    return new Dataset(name,
        Arrays.copyOfRange(x, from * cols, to * cols), to - from, cols,
        labels == null ? null : Arrays.copyOfRange(labels, from * labelsPerRow, to * labelsPerRow), labelsPerRow,
        classes,
        targets == null ? null : Arrays.copyOfRange(targets, from * targetCols, to * targetCols), targetCols,
        sampleShape);
  }

  /**
   * The rows whose label is one of {@code classes}, in their original order, relabelled by
   * position: a row of class {@code classes[i]} gets label {@code i}, and the result has
   * {@code classes.length} classes. For example {@code selectClasses(5, 6, 7, 8, 9)} turns the
   * last five classes of a ten-class set into a five-class set labelled 0 to 4.
   *
   * @throws IllegalStateException for a regression data set, or one with per-step or ignored labels
   * @throws IllegalArgumentException if {@code classes} is empty, repeats a class or names one
   *                                  outside {@code [0, classes())}
   */
  public Dataset selectClasses(int... classes) {
    Objects.requireNonNull(classes, "classes");
    requireClassification("classes to select");
    requireOneLabelPerRow("selectClasses");
    if (classes.length == 0) {
      throw new IllegalArgumentException("dataset '" + name + "': select at least one class");
    }
    int[] newLabel = new int[this.classes];
    Arrays.fill(newLabel, -1);
    for (int i = 0; i < classes.length; i++) {
      int c = classes[i];
      if (c < 0 || c >= this.classes) {
        throw new IllegalArgumentException("dataset '" + name + "': class " + c + " is outside [0, "
            + this.classes + ")");
      }
      if (newLabel[c] >= 0) {
        throw new IllegalArgumentException("dataset '" + name + "': class " + c + " is selected twice in "
            + Arrays.toString(classes));
      }
      newLabel[c] = i;
    }
    int n = 0;
    for (int label : labels) {
      if (newLabel[label] >= 0) {
        n++;
      }
    }
    float[] sx = new float[Math.multiplyExact(n, cols)];
    int[] sl = new int[n];
    int k = 0;
    for (int r = 0; r < rows; r++) {
      int l = newLabel[labels[r]];
      if (l >= 0) {
        System.arraycopy(x, r * cols, sx, k * cols, cols);
        sl[k++] = l;
      }
    }
    return new Dataset(name, sx, n, cols, sl, 1, classes.length, null, 0, sampleShape);
  }

  /**
   * {@code perClass} rows of every class, chosen at random with {@code seed}, then shuffled so the
   * classes are mixed: a small balanced training set (few-shot learning). The result depends only
   * on the data and the seed.
   *
   * @throws IllegalStateException for a regression data set, or one with per-step or ignored labels
   * @throws IllegalArgumentException if {@code perClass < 1} or a class has fewer rows, naming it
   */
  public Dataset samplePerClass(int perClass, long seed) {
    requireClassification("classes to sample");
    requireOneLabelPerRow("samplePerClass");
    if (perClass < 1) {
      throw new IllegalArgumentException("dataset '" + name + "': perClass must be >= 1, got " + perClass);
    }
    int[] count = new int[classes];
    for (int label : labels) {
      count[label]++;
    }
    int[][] byClass = new int[classes][];
    for (int c = 0; c < classes; c++) {
      if (count[c] < perClass) {
        throw new IllegalArgumentException("dataset '" + name + "': class " + c + " has " + count[c]
            + " rows, fewer than the " + perClass + " per class requested");
      }
      byClass[c] = new int[count[c]];
    }
    int[] pos = new int[classes];
    for (int r = 0; r < rows; r++) {
      byClass[labels[r]][pos[labels[r]]++] = r;
    }
    SplitMix64 rng = new SplitMix64(SplitMix64.derive(seed, 0xFE57_5A3FL));
    int[] chosen = new int[Math.multiplyExact(perClass, classes)];
    for (int c = 0; c < classes; c++) {
      rng.shuffle(byClass[c], 0, byClass[c].length);
      System.arraycopy(byClass[c], 0, chosen, c * perClass, perClass);
    }
    rng.shuffle(chosen, 0, chosen.length);
    return subset(chosen);
  }

  /**
   * The shape of one sample, the batch excluded: {@code [cols]} unless {@link #withSampleShape}
   * gave another; its product is {@link #cols()}. A copy.
   */
  public int[] sampleShape() {
    return sampleShape.clone();
  }

  /**
   * The same data (arrays shared, not copied) whose samples have shape {@code shape}, e.g.
   * {@code withSampleShape(1, 28, 28)} for grey images stored as 784 floats per row, row-major.
   *
   * @throws IllegalArgumentException if a dimension is below 1 or the product is not {@link #cols()}
   */
  public Dataset withSampleShape(int... shape) {
    Objects.requireNonNull(shape, "shape");
    long size = 1;
    for (int d : shape) {
      if (d < 1) {
        throw new IllegalArgumentException("dataset '" + name + "': sample shape " + Arrays.toString(shape)
            + " has a dimension below 1");
      }
      size *= d;
    }
    if (shape.length == 0 || size != cols) {
      throw new IllegalArgumentException("dataset '" + name + "': sample shape " + Arrays.toString(shape)
          + " holds " + (shape.length == 0 ? 0 : size) + " floats, but each row has " + cols);
    }
    return new Dataset(name, x, rows, cols, labels, labelsPerRow, classes, targets, targetCols, shape.clone());
  }

  /** The same data (arrays shared, not copied) under another name. */
  public Dataset withName(String newName) {
    Objects.requireNonNull(newName, "name");
    return new Dataset(newName, x, rows, cols, labels, labelsPerRow, classes, targets, targetCols, sampleShape);
  }

  /** The same labels or targets with other features; used by normalizers. Skips re-validation of labels. */
  Dataset withFeatures(float[] newX) {
    if (newX.length != x.length) {
      throw new IllegalArgumentException("features length: expected " + x.length + ", got " + newX.length);
    }
    checkFinite(name, "feature", newX, cols);
    return new Dataset(name, newX, rows, cols, labels, labelsPerRow, classes, targets, targetCols, sampleShape);
  }

  /** The same features with other regression targets; used by {@link TargetStandardizer}. */
  Dataset withTargets(float[] newTargets) {
    if (targets == null || newTargets.length != targets.length) {
      throw new IllegalArgumentException("targets length: expected " + (targets == null ? 0 : targets.length)
          + ", got " + newTargets.length);
    }
    checkFinite(name, "target", newTargets, targetCols);
    return new Dataset(name, x, rows, cols, null, 0, 0, newTargets, targetCols, sampleShape);
  }

  /**
   * Splits into train, validation and test parts of about {@code trainFraction},
   * {@code validationFraction} and the remaining rows. Rows are shuffled with {@code seed};
   * classification data is stratified: each class is split in the same proportions (rounded per
   * class), so every part keeps the class balance. The result depends only on the data and the
   * seed. Each part is shuffled, so classes are not grouped, and named {@code name + "/train"} etc.
   * Rows whose label is {@link #IGNORED_LABEL} form one more group, split in the same proportions. Data
   * with several labels per row has no single class per row and is split like regression data: by
   * rows, unstratified.
   *
   * @param trainFraction      in (0, 1]
   * @param validationFraction in [0, 1), with {@code trainFraction + validationFraction <= 1}
   */
  public Split split(long seed, double trainFraction, double validationFraction) {
    checkFractions(trainFraction, validationFraction);
    int[][] parts = new int[3][];
    int[] fill = new int[3];
    parts[0] = new int[rows];
    parts[1] = new int[rows];
    parts[2] = new int[rows];
    SplitMix64 rng = new SplitMix64(SplitMix64.derive(seed, 0x5EED_5917L));
    if (labels != null && labelsPerRow == 1) {
      // Group g < classes holds class g; group classes holds the ignored rows, split last so data
      // without ignored labels splits exactly as before they existed.
      int groups = classes + 1;
      int[] perClass = new int[groups];
      for (int label : labels) {
        perClass[group(label)]++;
      }
      int[][] byClass = new int[groups][];
      for (int c = 0; c < groups; c++) {
        byClass[c] = new int[perClass[c]];
      }
      int[] pos = new int[groups];
      for (int r = 0; r < rows; r++) {
        int g = group(labels[r]);
        byClass[g][pos[g]++] = r;
      }
      for (int c = 0; c < groups; c++) {
        distribute(byClass[c], rng, trainFraction, validationFraction, parts, fill);
      }
    } else {
      int[] all = new int[rows];
      for (int r = 0; r < rows; r++) {
        all[r] = r;
      }
      distribute(all, rng, trainFraction, validationFraction, parts, fill);
    }
    String[] suffix = {"/train", "/validation", "/test"};
    Dataset[] out = new Dataset[3];
    for (int p = 0; p < 3; p++) {
      int[] idx = Arrays.copyOf(parts[p], fill[p]);
      rng.shuffle(idx, 0, idx.length); // mix the per-class blocks
      out[p] = subset(idx).withName(name + suffix[p]);
    }
    return new Split(out[0], out[1], out[2]);
  }

  private int group(int label) {
    return label == IGNORED_LABEL ? classes : label;
  }

  /**
   * {@link #split(long, double, double)} with no validation part: the returned {@link Split}'s
   * {@code validation()} has zero rows (and {@link Split#hasValidation()} is false).
   */
  public Split trainTestSplit(long seed, double trainFraction) {
    return split(seed, trainFraction, 0.0);
  }

  private static void distribute(int[] group, SplitMix64 rng, double trainFraction, double validationFraction,
      int[][] parts, int[] fill) {
    int n = group.length;
    rng.shuffle(group, 0, n);
    int nTrain = (int) Math.min(n, Math.round(n * trainFraction));
    int nVal = (int) Math.min(n - nTrain, Math.round(n * validationFraction));
    int[] counts = {nTrain, nVal, n - nTrain - nVal};
    int k = 0;
    for (int p = 0; p < 3; p++) {
      System.arraycopy(group, k, parts[p], fill[p], counts[p]);
      fill[p] += counts[p];
      k += counts[p];
    }
  }

  private static void checkFractions(double trainFraction, double validationFraction) {
    if (!(trainFraction > 0 && trainFraction <= 1)) {
      throw new IllegalArgumentException("trainFraction must be in (0, 1], got " + trainFraction);
    }
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
    }
    // Small tolerance so 0.7 + 0.3 (= 1.0000000000000002 in binary) is accepted.
    if (trainFraction + validationFraction > 1 + 1e-9) {
      throw new IllegalArgumentException("trainFraction + validationFraction must be <= 1, got "
          + trainFraction + " + " + validationFraction + " = " + (trainFraction + validationFraction));
    }
  }

  @Override
  public String toString() {
    return "Dataset[" + name + ": " + rows + " x "
        + (sampleShape.length == 1 ? Integer.toString(cols) : Arrays.toString(sampleShape))
        + (labels == null ? ", " + targetCols + " targets]"
            : labelsPerRow == 1 ? ", " + classes + " classes]"
            : ", " + classes + " classes, " + labelsPerRow + " labels per row]");
  }
}
