package dev.kiln.runtime.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gradient norms of one epoch, recorded with {@link TrainOptions#withGradientNorms()}: means over
 * the epoch's steps of L2 norms of the gradient before clipping.
 *
 * @param total mean of the norm over all trainable parameters (what norm clipping compares with
 *     its bound)
 * @param layers by layer name, in layer order, for every layer with trained parameters: mean of the
 *     norm over the layer's parameters, taken over the steps in which the layer was not frozen (NaN
 *     if it was frozen for the whole epoch)
 */
public record GradientNorms(double total, Map<String, Double> layers) {
  public GradientNorms {
    layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
  }
}
