package dev.kiln.processor;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.model.CompiledModel;

/** The gradient check shared by the tests of generated models. */
final class GradientChecks {
  private GradientChecks() {}

  /**
   * ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖) over all parameters, the numeric gradient from
   * central differences of the float32 loss with the same dropout masks.
   */
  static double relativeError(CompiledModel model, Dataset data, double h) {
    float[] analytic = new float[model.spec().parameterCount()];
    model.trainingLoss(data, 11, analytic);
    float[] p = model.parameters();
    double diff = 0;
    double na = 0;
    double nn = 0;
    for (int i = 0; i < p.length; i++) {
      float saved = p[i];
      p[i] = (float) (saved + h);
      model.setParameters(p);
      double plus = model.trainingLoss(data, 11, null);
      p[i] = (float) (saved - h);
      model.setParameters(p);
      double minus = model.trainingLoss(data, 11, null);
      p[i] = saved;
      model.setParameters(p);
      double numeric = (plus - minus) / (2 * h);
      diff += (analytic[i] - numeric) * (analytic[i] - numeric);
      na += analytic[i] * (double) analytic[i];
      nn += numeric * numeric;
    }
    return Math.sqrt(diff) / (Math.sqrt(na) + Math.sqrt(nn) + 1e-12);
  }
}
