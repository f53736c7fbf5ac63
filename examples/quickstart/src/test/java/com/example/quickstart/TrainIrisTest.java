package com.example.quickstart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.quickstart.TrainIris.Trained;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Backend;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainIrisTest {
  private static final Path CSV = Path.of("data/iris.csv"); // surefire runs in the project directory

  @Test
  void readsEveryFlowerOfTheCsv() throws Exception {
    Dataset flowers = TrainIris.read(CSV);
    assertEquals(150, flowers.rows());
    assertEquals(4, flowers.cols());
    assertEquals(3, flowers.classes());
    assertArrayEquals(new float[] {5.1f, 3.5f, 1.4f, 0.2f}, flowers.row(0)); // line 2 of the file
    assertEquals(0, flowers.label(0));
    assertEquals(2, flowers.label(149));
  }

  @Test
  void learnsTheSpeciesOfHeldOutFlowers() throws Exception {
    Trained trained = TrainIris.trainAndTest(TrainIris.read(CSV), TrainOptions.epochs(TrainIris.EPOCHS).quiet());
    assertEquals(21, trained.test().samples()); // 7 of each species
    assertTrue(trained.test().accuracy() >= 0.9, "test accuracy " + trained.test().accuracy());

    float[] setosa = {5.0f, 3.4f, 1.5f, 0.2f};
    trained.scale().transformRow(setosa, setosa);
    assertEquals(0, trained.model().predictClass(setosa));
  }

  @Test
  void runsOnTheVectorApi() {
    // Fails if surefire's argLine lacks --add-modules jdk.incubator.vector (Kiln would fall back
    // to its scalar kernels: same results, slower).
    assertTrue(Backend.vectorized(), "jdk.incubator.vector is not in the test JVM");
  }
}
