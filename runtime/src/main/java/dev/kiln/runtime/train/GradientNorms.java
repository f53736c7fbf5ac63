package dev.kiln.runtime.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gradient health of one epoch, recorded with {@link TrainOptions#withGradientNorms()}: means over
 * the epoch's steps of L2 norms of the gradient before clipping, and of each layer's
 * update-to-weight ratio.
 *
 * @param total mean of the norm over all trainable parameters (what norm clipping compares with
 *     its bound)
 * @param layers by layer name, in layer order, for every layer with trained parameters: mean of the
 *     norm over the layer's parameters, taken over the steps in which the layer was not frozen (NaN
 *     if it was frozen for the whole epoch)
 * @param updateRatios by layer name, in layer order: mean over the same steps of
 *     {@code ‖w_after − w_before‖ / ‖w_before‖} over the layer's trained parameters, the size of one
 *     optimizer update relative to the weights (around 1e-3 is healthy; far below, the layer hardly
 *     learns; far above, it is unstable); empty for histories written before ratios were recorded
 */
public record GradientNorms(double total, Map<String, Double> layers, Map<String, Double> updateRatios) {
  public GradientNorms {
    layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
    updateRatios = Collections.unmodifiableMap(new LinkedHashMap<>(updateRatios));
  }

  /** Norms without update ratios (as checkpoints written before ratios existed hold them). */
  public GradientNorms(double total, Map<String, Double> layers) {
    this(total, layers, Map.of());
  }
}
