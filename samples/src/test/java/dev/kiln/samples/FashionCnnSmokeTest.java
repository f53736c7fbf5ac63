package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A short run of the FashionCnn sample's network on real images: one epoch over 1024 of them (eight
 * Adam steps of 128) lowers the loss and lifts the accuracy on 1000 test images well above chance.
 * The full ten-epoch run is measured by hand (README, Samples); it takes minutes.
 */
class FashionCnnSmokeTest {

  @Test
  void oneShortEpochLowersTheLossAndBeatsChance() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    Dataset train = FashionMnist.train().subset(0, 1024);
    Dataset test = FashionMnist.test().subset(0, 1000);
    FashionCnnModel model = new FashionCnnModel();
    assertEquals(784, model.spec().inputs());
    Evaluation before = model.evaluate(test);
    History h = model.train(train, TrainOptions.epochs(1).quiet());
    Evaluation after = model.evaluate(test);
    assertEquals(1, h.size());
    assertTrue(after.loss() < 0.8 * before.loss(),
        "test loss " + before.loss() + " before, " + after.loss() + " after one epoch");
    assertTrue(after.accuracy() >= 0.4, "test accuracy after one short epoch " + after.accuracy() + " (chance: 0.1)");
  }
}
