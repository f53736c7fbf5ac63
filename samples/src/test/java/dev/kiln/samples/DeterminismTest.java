package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Parallelism;
import dev.kiln.runtime.train.TrainOptions;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Same seed and thread count → bitwise the same weights after training. */
class DeterminismTest {
  private final int threads = Parallelism.threads();

  @AfterEach
  void restoreThreads() {
    Parallelism.setThreads(threads);
  }

  private static float[] trainOneEpoch(long seed) {
    Dataset d = SampleData.breastCancer();
    BreastCancerModel m = new BreastCancerModel(seed);
    m.train(d, TrainOptions.epochs(1).quiet());
    return m.parameters();
  }

  @Test
  void sameSeedGivesBitwiseIdenticalWeightsAfterAnEpoch() {
    assertArrayEquals(trainOneEpoch(11), trainOneEpoch(11));
  }

  /**
   * A recurrent network, trained twice in one JVM: the first run starts in the interpreter and C1,
   * the second runs C2's code, so the kernels' results must not depend on which compiled them.
   */
  @Test
  void recurrentTrainingIsBitwiseRepeatableAcrossJitTiers() {
    float[] x = new float[64 * 30 * 2];
    float[] y = new float[64];
    dev.kiln.runtime.kernels.SplitMix64 r = new dev.kiln.runtime.kernels.SplitMix64(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextFloat();
    }
    Dataset d = Dataset.regression("seq", x, 64, 60, y, 1);
    float[][] weights = new float[3][];
    for (int k = 0; k < 3; k++) {
      TinyLstmModel m = new TinyLstmModel();
      m.train(d, TrainOptions.epochs(3).withBatchSize(16).quiet());
      weights[k] = m.parameters();
    }
    assertArrayEquals(weights[0], weights[1]);
    assertArrayEquals(weights[1], weights[2]);
  }

  @dev.kiln.dsl.Network(inputShape = {30, 2}, loss = dev.kiln.dsl.Loss.MEAN_SQUARED_ERROR, seed = 3)
  static class TinyLstm {
    @dev.kiln.dsl.LSTM(units = 19, returnSequences = true) dev.kiln.dsl.Layer lstm;
    @dev.kiln.dsl.GRU(units = 17) dev.kiln.dsl.Layer gru;
    @dev.kiln.dsl.Dense(units = 1) dev.kiln.dsl.Layer out;
  }

  @Test
  void differentSeedsGiveDifferentWeights() {
    assertFalse(Arrays.equals(trainOneEpoch(11), trainOneEpoch(12)));
  }

  @Test
  void fashionSizedStepsAreDeterministicForEachThreadCount() {
    // Big enough that the kernels split work across threads.
    Dataset d = SampleData.digits();
    for (int t : new int[] {1, 2}) {
      Parallelism.setThreads(t);
      DigitsModel a = new DigitsModel(4);
      DigitsModel b = new DigitsModel(4);
      a.train(d, TrainOptions.epochs(1).withBatchSize(512).quiet());
      b.train(d, TrainOptions.epochs(1).withBatchSize(512).quiet());
      assertArrayEquals(a.parameters(), b.parameters(), "threads=" + t);
    }
  }

  @Test
  void threadTuningSwitchesNeverChangeTheWeights() {
    // 113 steps of 16: the tuner (turned on for these tests in samples/pom.xml) runs its first trials,
    // switching between one and two threads; the kernels' results do not depend on the count, so
    // neither do the weights.
    assertEquals("true", System.getProperty("kiln.threadTuning"), "the tuner must be on for this test");
    Dataset d = SampleData.digits();
    Parallelism.setThreads(1);
    DigitsModel single = new DigitsModel(4);
    single.train(d, TrainOptions.epochs(1).withBatchSize(16).quiet());
    Parallelism.setThreads(2);
    DigitsModel tuned = new DigitsModel(4);
    tuned.train(d, TrainOptions.epochs(1).withBatchSize(16).quiet());
    assertArrayEquals(single.parameters(), tuned.parameters());
  }
}
