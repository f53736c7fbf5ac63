package dev.kiln.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetSampleShapeTest {
  @TempDir
  Path dir;

  private static Dataset images() {
    float[] x = new float[10 * 12];
    int[] y = new int[10];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 5;
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 2;
    }
    return Dataset.classification("imgs", x, 10, 12, y, 2);
  }

  @Test
  void rowsAreFlatVectorsUnlessShaped() {
    Dataset flat = images();
    assertArrayEquals(new int[] {12}, flat.sampleShape());
    Dataset shaped = flat.withSampleShape(3, 2, 2);
    assertArrayEquals(new int[] {3, 2, 2}, shaped.sampleShape());
    assertSame(flat.features(), shaped.features());
    assertEquals("Dataset[imgs: 10 x [3, 2, 2], 2 classes]", shaped.toString());
    assertEquals("Dataset[imgs: 10 x 12, 2 classes]", flat.toString());
    shaped.sampleShape()[0] = 7; // a copy
    assertArrayEquals(new int[] {3, 2, 2}, shaped.sampleShape());
  }

  @Test
  void derivedDataSetsKeepTheShape() {
    Dataset shaped = images().withSampleShape(1, 3, 4);
    int[] shape = {1, 3, 4};
    assertArrayEquals(shape, shaped.subset(new int[] {3, 1}).sampleShape());
    assertArrayEquals(shape, shaped.subset(2, 5).sampleShape());
    assertArrayEquals(shape, shaped.selectClasses(1).sampleShape());
    assertArrayEquals(shape, shaped.withName("other").sampleShape());
    assertArrayEquals(shape, shaped.trainTestSplit(1, 0.5).train().sampleShape());
    assertArrayEquals(shape, Standardizer.fit(shaped).transform(shaped).sampleShape());
  }

  @Test
  void aShapeMustHoldTheRow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> images().withSampleShape(1, 3, 3));
    assertEquals("dataset 'imgs': sample shape [1, 3, 3] holds 9 floats, but each row has 12", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> images().withSampleShape(0, 12));
    assertThrows(IllegalArgumentException.class, () -> images().withSampleShape());
  }

  @Test
  void idxImagesKeepTheirDimensions() throws IOException {
    Path img = IdxFiles.write(dir, "img", IdxFiles.images(3, 4, 5));
    Path lab = IdxFiles.write(dir, "lab", IdxFiles.labels(0, 1, 2));
    assertArrayEquals(new int[] {1, 4, 5}, Idx.images(img, lab, 3, 1f, "small").sampleShape());
    assertArrayEquals(new int[] {20}, Idx.classification(img, lab, 3, 1f, "small").sampleShape());
  }

  @Test
  void fashionMnistGivesImagesOrRows() throws IOException {
    Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxFiles.gzip(IdxFiles.images(3, 28, 28)));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(9, 0, 4));
    Dataset images = FashionMnist.testImages(dir);
    assertArrayEquals(new int[] {1, 28, 28}, images.sampleShape());
    Dataset rows = FashionMnist.test(dir);
    assertArrayEquals(new int[] {784}, rows.sampleShape());
    assertArrayEquals(rows.features(), images.features());
  }
}
