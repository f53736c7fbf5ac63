package dev.kiln.runtime.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Warns when gradients vanish or explode, or when updates stall or are too large, from the gradient
 * norms and update-to-weight ratios recorded in the history ({@link GradientNorms}). As a callback it
 * prints each epoch's warnings as they appear (a network given this callback records the norms even
 * without {@link TrainOptions#withGradientNorms()}); {@link #check} gives them for any history, e.g.
 * for a report.
 *
 * <p>The rules, each with a bound that the constructor takes:
 *
 * <ul>
 *   <li><b>vanishing gradient</b>: a layer's mean gradient norm is below {@code vanishingRatio}
 *       (default 1e-4) times the largest layer's of the same epoch, or below 1e-10: the layers
 *       before it learn little or nothing (a SimpleRNN over long sequences, a deep sigmoid stack);
 *   <li><b>exploding gradient</b>: the total norm exceeds {@code explodingGrowth} (default 100)
 *       times the smallest total of the earlier epochs: the loss is about to diverge (clip the norm,
 *       or lower the learning rate);
 *   <li><b>stalled updates</b>: a layer's mean update-to-weight ratio is below {@code minUpdateRatio}
 *       (default 1e-6): its weights barely move;
 *   <li><b>large updates</b>: a layer's mean update-to-weight ratio is above {@code maxUpdateRatio}
 *       (default 0.1): each step changes its weights by a tenth or more, far above the 1e-3 that
 *       training usually runs at.
 * </ul>
 *
 * <p>The callback keeps no state of its own: its warnings follow from the history, which
 * checkpoints keep.
 */
public final class GradientHealth implements Callback {
  /** What a warning is about. */
  public enum Kind {
    VANISHING_GRADIENT,
    EXPLODING_GRADIENT,
    STALLED_UPDATES,
    LARGE_UPDATES
  }

  /**
   * One warning.
   *
   * @param epoch the 1-based epoch
   * @param layer the layer, or null for the whole network (an exploding total)
   * @param kind what went wrong
   * @param value the measured value
   * @param bound the bound it crossed
   * @param message a sentence for people: what, where and what to try
   */
  public record Warning(int epoch, String layer, Kind kind, double value, double bound, String message) {}

  private static final double ABSOLUTE_VANISHING = 1e-10;

  private final double vanishingRatio;
  private final double explodingGrowth;
  private final double minUpdateRatio;
  private final double maxUpdateRatio;
  private final PrintStream out;
  private final List<Warning> warnings = new ArrayList<>();

  /** The default bounds, printing to standard output. */
  public GradientHealth() {
    this(System.out);
  }

  /** The default bounds, printing to {@code out}, or only collecting the warnings if it is null. */
  public GradientHealth(PrintStream out) {
    this(1e-4, 100, 1e-6, 0.1, out);
  }

  /**
   * @param vanishingRatio a layer's norm below this fraction of the epoch's largest layer norm vanishes
   * @param explodingGrowth a total norm above this multiple of the smallest earlier total explodes
   * @param minUpdateRatio update-to-weight ratios below this stall
   * @param maxUpdateRatio update-to-weight ratios above this are too large
   * @param out where the callback prints warnings, or null to only collect them
   */
  public GradientHealth(
      double vanishingRatio, double explodingGrowth, double minUpdateRatio, double maxUpdateRatio, PrintStream out) {
    if (!(vanishingRatio > 0 && vanishingRatio < 1)) {
      throw new IllegalArgumentException("vanishingRatio must be in (0, 1), got " + vanishingRatio);
    }
    if (!(explodingGrowth > 1)) {
      throw new IllegalArgumentException("explodingGrowth must be > 1, got " + explodingGrowth);
    }
    if (!(minUpdateRatio > 0 && minUpdateRatio < maxUpdateRatio)) {
      throw new IllegalArgumentException(
          "need 0 < minUpdateRatio < maxUpdateRatio, got " + minUpdateRatio + " and " + maxUpdateRatio);
    }
    this.vanishingRatio = vanishingRatio;
    this.explodingGrowth = explodingGrowth;
    this.minUpdateRatio = minUpdateRatio;
    this.maxUpdateRatio = maxUpdateRatio;
    this.out = out;
  }

  /** The warnings printed by this callback so far (in its latest run). */
  public List<Warning> warnings() {
    return List.copyOf(warnings);
  }

  @Override
  public void onTrainBegin(TrainingContext context) {
    warnings.clear();
  }

  @Override
  public void onEpochEnd(TrainingContext context) {
    History h = context.history();
    if (h.last().gradientNorms() == null) {
      throw new IllegalStateException(
          "GradientHealth found no gradient norms in epoch " + h.last().epoch()
              + "; train with TrainOptions.withGradientNorms()");
    }
    List<Warning> epoch = check(h, h.size() - 1);
    warnings.addAll(epoch);
    if (out != null) {
      for (Warning w : epoch) {
        out.println("warning: " + w.message());
      }
    }
  }

  /** Every warning of {@code history}, epoch by epoch (epochs without gradient norms give none). */
  public List<Warning> check(History history) {
    List<Warning> all = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      all.addAll(check(history, i));
    }
    return all;
  }

  private List<Warning> check(History history, int index) {
    List<EpochStats> epochs = history.epochs();
    EpochStats e = epochs.get(index);
    GradientNorms g = e.gradientNorms();
    List<Warning> found = new ArrayList<>();
    if (g == null) {
      return found;
    }
    int epoch = e.epoch();
    double largest = 0;
    String largestLayer = null;
    for (Map.Entry<String, Double> l : g.layers().entrySet()) {
      if (l.getValue() > largest) {
        largest = l.getValue();
        largestLayer = l.getKey();
      }
    }
    for (Map.Entry<String, Double> l : g.layers().entrySet()) {
      double v = l.getValue();
      if (Double.isNaN(v)) {
        continue; // frozen all epoch
      }
      if (v < ABSOLUTE_VANISHING) {
        found.add(new Warning(epoch, l.getKey(), Kind.VANISHING_GRADIENT, v, ABSOLUTE_VANISHING,
            String.format("epoch %d: the gradient of layer '%s' vanished (norm %.3g < %.3g); it no longer learns",
                epoch, l.getKey(), v, ABSOLUTE_VANISHING)));
      } else if (largest > 0 && v < vanishingRatio * largest) {
        found.add(new Warning(epoch, l.getKey(), Kind.VANISHING_GRADIENT, v / largest, vanishingRatio,
            String.format("epoch %d: the gradient of layer '%s' is vanishing: norm %.3g is %.3g of layer '%s''s %.3g "
                + "(bound %.3g); try a gated recurrent layer (LSTM, GRU), ReLU-like activations or batch normalization",
                epoch, l.getKey(), v, v / largest, largestLayer, largest, vanishingRatio)));
      }
    }
    double smallestBefore = Double.POSITIVE_INFINITY;
    for (int i = 0; i < index; i++) {
      GradientNorms earlier = epochs.get(i).gradientNorms();
      if (earlier != null && earlier.total() > 0) {
        smallestBefore = Math.min(smallestBefore, earlier.total());
      }
    }
    if (Double.isFinite(smallestBefore) && g.total() > explodingGrowth * smallestBefore) {
      double growth = g.total() / smallestBefore;
      found.add(new Warning(epoch, null, Kind.EXPLODING_GRADIENT, growth, explodingGrowth,
          String.format("epoch %d: the gradient is exploding: total norm %.3g is %.3g times the smallest earlier "
              + "one (bound %.3g); clip it (@Network(clipNorm = ...) or TrainOptions.withGradientClipNorm) or lower "
              + "the learning rate", epoch, g.total(), growth, explodingGrowth)));
    }
    for (Map.Entry<String, Double> l : g.updateRatios().entrySet()) {
      double r = l.getValue();
      if (Double.isNaN(r)) {
        continue;
      }
      if (r < minUpdateRatio) {
        found.add(new Warning(epoch, l.getKey(), Kind.STALLED_UPDATES, r, minUpdateRatio,
            String.format("epoch %d: updates of layer '%s' are %.3g of its weights (bound %.3g): it barely moves; "
                + "raise the learning rate or look for a vanishing gradient", epoch, l.getKey(), r, minUpdateRatio)));
      } else if (r > maxUpdateRatio) {
        found.add(new Warning(epoch, l.getKey(), Kind.LARGE_UPDATES, r, maxUpdateRatio,
            String.format("epoch %d: updates of layer '%s' are %.3g of its weights (bound %.3g); lower the "
                + "learning rate", epoch, l.getKey(), r, maxUpdateRatio)));
      }
    }
    return found;
  }

  /** The bounds, for reports. */
  @Override
  public String toString() {
    return "GradientHealth[vanishingRatio=" + vanishingRatio + ", explodingGrowth=" + explodingGrowth
        + ", minUpdateRatio=" + minUpdateRatio + ", maxUpdateRatio=" + maxUpdateRatio + "]";
  }

}
