package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
  @TempDir
  Path dir;

  @Test
  void missingDirectoryNamesPathAndInstallCommand() {
    Path missing = dir.resolve("no-such-dir");
    var e = assertThrows(DataException.class, () -> FashionMnist.train(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
  }

  @Test
  void missingFileNamesPathAndInstallCommand() throws IOException {
    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxFiles.gzip(IdxFiles.images(2, 28, 28)));
    var e = assertThrows(DataException.class, () -> FashionMnist.train(dir));
    assertTrue(e.getMessage().contains(dir.resolve("train-labels-idx1-ubyte.gz").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
  }

  @Test
  void loadsFilesFromAnyDirectoryAndCountMismatchFails() throws IOException {
    Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxFiles.gzip(IdxFiles.images(3, 28, 28)));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(9, 0, 4)); // uncompressed copy
    Dataset d = FashionMnist.test(dir);
    assertEquals(3, d.rows());
    assertEquals(784, d.cols());
    assertEquals(10, d.classes());
    assertEquals(9, d.label(0));

    Files.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxFiles.gzip(IdxFiles.images(3, 28, 28)));
    Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), IdxFiles.gzip(IdxFiles.labels(1, 2)));
    var e = assertThrows(DataException.class, () -> FashionMnist.train(dir));
    assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("2 labels"), e.getMessage());
  }

  @Test
  void installedDataSetHasExpectedShapeLabelsAndRange() throws IOException {
    assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
        "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
    Dataset train = FashionMnist.train();
    assertEquals(60000, train.rows());
    assertEquals(784, train.cols());
    checkLabelsAndRange(train);
    Dataset test = FashionMnist.test();
    assertEquals(10000, test.rows());
    assertEquals(784, test.cols());
    checkLabelsAndRange(test);
  }

  private static void checkLabelsAndRange(Dataset d) {
    assertEquals(10, d.classes());
    int[] perClass = new int[10];
    for (int label : d.labels()) {
      perClass[label]++; // an out-of-range label would throw here
    }
    for (int c = 0; c < 10; c++) {
      assertEquals(d.rows() / 10, perClass[c], "Fashion-MNIST classes are balanced; class " + c);
    }
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (float v : d.features()) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assertEquals(0f, min);
    assertEquals(1f, max);
  }
}
