package dev.kiln.runtime.kernels;

/**
 * Batch normalization over {@code x[n, c, hw]} per channel (hw = 1 after a dense layer, H·W after a
 * convolution), with PyTorch's semantics.
 *
 * <p>Saved-state contract: training forward saves, per channel, the batch mean and
 * {@code 1/sqrt(var + eps)}; backward recomputes {@code xhat = (x - mean)·invStd} from x and those two
 * instead of keeping an extra tensor. Channels are independent and each is reduced by one task in a
 * fixed order (per-plane lanewise float sums added in sample order in double), so results do not
 * depend on the thread count.
 */
public final class BatchNormKernels {
  private BatchNormKernels() {}

  /**
   * Training forward: normalizes with the biased batch variance, saves the mean and inverse standard
   * deviation per channel, and updates the running statistics in place:
   * {@code running = (1 - momentum)·running + momentum·batch}, the running variance taking the unbiased
   * batch variance ({@code ·N/(N-1)}, N = n·hw). {@code y = gamma·xhat + beta}.
   *
   * @param x input [n, c, hw]
   * @param gamma scale [c]
   * @param beta shift [c]
   * @param runMean running mean [c], updated in place
   * @param runVar running variance [c], updated in place
   * @param saveMean receives the batch mean [c]
   * @param saveInvStd receives {@code 1/sqrt(biased batch variance + eps)} [c]
   * @param y output [n, c, hw]; may be x itself
   * @throws IllegalArgumentException when a channel has fewer than 2 values (n·hw &lt; 2), as in PyTorch
   */
  public static void trainForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float momentum, float[] runMean, int rmOff, float[] runVar, int rvOff,
      float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] y, int yOff) {
    check(n, c, hw);
    if ((long) n * hw < 2) {
      throw new IllegalArgumentException("batch norm: training needs more than 1 value per channel, got n " + n
          + " x hw " + hw);
    }
    Checks.range("x", x, xOff, n * c, hw);
    Checks.range("gamma", gamma, gOff, 1, c);
    Checks.range("beta", beta, bOff, 1, c);
    Checks.range("runMean", runMean, rmOff, 1, c);
    Checks.range("runVar", runVar, rvOff, 1, c);
    Checks.range("saveMean", saveMean, smOff, 1, c);
    Checks.range("saveInvStd", saveInvStd, siOff, 1, c);
    Checks.range("y", y, yOff, n * c, hw);
    if (Backend.VECTOR) {
      VectorBatchNormKernels.trainForward(n, c, hw, x, xOff, gamma, gOff, beta, bOff, eps, momentum,
          runMean, rmOff, runVar, rvOff, saveMean, smOff, saveInvStd, siOff, y, yOff);
    } else {
      ScalarBatchNormKernels.trainForward(n, c, hw, x, xOff, gamma, gOff, beta, bOff, eps, momentum,
          runMean, rmOff, runVar, rvOff, saveMean, smOff, saveInvStd, siOff, y, yOff);
    }
  }

  /**
   * Evaluation forward: {@code y = gamma·(x - runMean)/sqrt(runVar + eps) + beta}.
   *
   * @param x input [n, c, hw]
   * @param y output [n, c, hw]; may be x itself
   */
  public static void evalForward(int n, int c, int hw, float[] x, int xOff, float[] gamma, int gOff, float[] beta,
      int bOff, float eps, float[] runMean, int rmOff, float[] runVar, int rvOff, float[] y, int yOff) {
    check(n, c, hw);
    Checks.range("x", x, xOff, n * c, hw);
    Checks.range("gamma", gamma, gOff, 1, c);
    Checks.range("beta", beta, bOff, 1, c);
    Checks.range("runMean", runMean, rmOff, 1, c);
    Checks.range("runVar", runVar, rvOff, 1, c);
    Checks.range("y", y, yOff, n * c, hw);
    if (Backend.VECTOR) {
      VectorBatchNormKernels.evalForward(n, c, hw, x, xOff, gamma, gOff, beta, bOff, eps, runMean, rmOff,
          runVar, rvOff, y, yOff);
    } else {
      ScalarBatchNormKernels.evalForward(n, c, hw, x, xOff, gamma, gOff, beta, bOff, eps, runMean, rmOff,
          runVar, rvOff, y, yOff);
    }
  }

  /**
   * Training backward: {@code dx = (accumulate ? dx : 0) + gamma·invStd·(dy - mean(dy) - xhat·mean(dy·xhat))},
   * {@code dgamma += Σ dy·xhat}, {@code dbeta += Σ dy}, xhat recomputed from x and the saved statistics.
   *
   * @param x the forward input [n, c, hw]
   * @param dy gradient of the output [n, c, hw]
   * @param saveMean the mean {@link #trainForward} saved
   * @param saveInvStd the inverse standard deviation {@link #trainForward} saved
   * @param dx input gradient [n, c, hw], or null when the input needs none (batch normalization of
   *     the network input)
   */
  public static void backward(int n, int c, int hw, float[] x, int xOff, float[] dy, int dyOff, float[] gamma,
      int gOff, float[] saveMean, int smOff, float[] saveInvStd, int siOff, float[] dx, int dxOff,
      boolean accumulate, float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
    check(n, c, hw);
    Checks.range("x", x, xOff, n * c, hw);
    Checks.range("dy", dy, dyOff, n * c, hw);
    Checks.range("gamma", gamma, gOff, 1, c);
    Checks.range("saveMean", saveMean, smOff, 1, c);
    Checks.range("saveInvStd", saveInvStd, siOff, 1, c);
    Checks.optionalRange("dx", dx, dxOff, n * c, hw);
    Checks.range("dgamma", dgamma, dgOff, 1, c);
    Checks.range("dbeta", dbeta, dbOff, 1, c);
    if (Backend.VECTOR) {
      VectorBatchNormKernels.backward(n, c, hw, x, xOff, dy, dyOff, gamma, gOff, saveMean, smOff, saveInvStd, siOff,
          dx, dxOff, accumulate, dgamma, dgOff, dbeta, dbOff);
    } else {
      ScalarBatchNormKernels.backward(n, c, hw, x, xOff, dy, dyOff, gamma, gOff, saveMean, smOff, saveInvStd, siOff,
          dx, dxOff, accumulate, dgamma, dgOff, dbeta, dbOff);
    }
  }

  /**
   * Inference backward, the derivative of {@link #evalForward} with respect to its input:
   * {@code dx = (accumulate ? dx : 0) + dy·gamma/sqrt(runVar + eps)}, an affine map per channel (the
   * running statistics are constants); no parameter gradients.
   *
   * @param dy gradient of the output [n, c, hw]
   * @param dx input gradient [n, c, hw]
   */
  public static void evalBackward(int n, int c, int hw, float[] dy, int dyOff, float[] gamma, int gOff, float eps,
      float[] runVar, int rvOff, float[] dx, int dxOff, boolean accumulate) {
    check(n, c, hw);
    Checks.range("dy", dy, dyOff, n * c, hw);
    Checks.range("gamma", gamma, gOff, 1, c);
    Checks.range("runVar", runVar, rvOff, 1, c);
    Checks.range("dx", dx, dxOff, n * c, hw);
    // A scaled copy per channel row: C2 vectorizes the loop, so both backends share it.
    ScalarBatchNormKernels.evalBackward(n, c, hw, dy, dyOff, gamma, gOff, eps, runVar, rvOff, dx, dxOff, accumulate);
  }

  private static void check(int n, int c, int hw) {
    Checks.dims(n, c, hw);
    if ((long) n * c * hw > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("batch norm: n·c·hw exceeds 2^31");
    }
  }
}
