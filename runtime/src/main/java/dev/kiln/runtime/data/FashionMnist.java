package dev.kiln.runtime.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28×28 grey images of clothing, 60000 train and
 * 10000 test, 10 classes. Loaded from the IDX files of Debian's {@code dataset-fashion-mnist}
 * package; pixels are scaled to [0, 1], giving 784 features per row: flat vectors from
 * {@link #train()} and {@link #test()}, images of shape {@code [1, 28, 28]} (one channel, row-major)
 * from {@link #trainImages()} and {@link #testImages()}.
 */
public final class FashionMnist {
  /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
  public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** The label names, by label. */
  public static final List<String> CLASS_NAMES = List.of(
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  public static final int CLASSES = 10;
  public static final int HEIGHT = 28;
  public static final int WIDTH = 28;

  private static final String INSTALL_HINT =
      "install it with `apt-get install dataset-fashion-mnist` (files go to " + DEFAULT_DIR + ")";

  private FashionMnist() {
  }

  /** The 60000 training images from {@link #DEFAULT_DIR}. */
  public static Dataset train() throws DataException {
    return train(DEFAULT_DIR);
  }

  /** The 10000 test images from {@link #DEFAULT_DIR}. */
  public static Dataset test() throws DataException {
    return test(DEFAULT_DIR);
  }

  /** The training images from {@code dir} (holding {@code train-images-idx3-ubyte[.gz]} and labels). */
  public static Dataset train(Path dir) throws DataException {
    return load(dir, "train", "fashion-mnist/train", false);
  }

  /** The test images from {@code dir} (holding {@code t10k-images-idx3-ubyte[.gz]} and labels). */
  public static Dataset test(Path dir) throws DataException {
    return load(dir, "t10k", "fashion-mnist/test", false);
  }

  /** The 60000 training images from {@link #DEFAULT_DIR}, each of shape {@code [1, 28, 28]}. */
  public static Dataset trainImages() throws DataException {
    return trainImages(DEFAULT_DIR);
  }

  /** The 10000 test images from {@link #DEFAULT_DIR}, each of shape {@code [1, 28, 28]}. */
  public static Dataset testImages() throws DataException {
    return testImages(DEFAULT_DIR);
  }

  /** The training images from {@code dir}, each of shape {@code [1, 28, 28]}. */
  public static Dataset trainImages(Path dir) throws DataException {
    return load(dir, "train", "fashion-mnist/train", true);
  }

  /** The test images from {@code dir}, each of shape {@code [1, 28, 28]}. */
  public static Dataset testImages(Path dir) throws DataException {
    return load(dir, "t10k", "fashion-mnist/test", true);
  }

  private static Dataset load(Path dir, String prefix, String name, boolean images) throws DataException {
    if (!Files.isDirectory(dir)) {
      throw new DataException("Fashion-MNIST directory " + dir + " not found; " + INSTALL_HINT
          + ", or pass the directory that holds " + prefix + "-images-idx3-ubyte.gz");
    }
    Path imagesFile = locate(dir, prefix + "-images-idx3-ubyte");
    Path labels = locate(dir, prefix + "-labels-idx1-ubyte");
    Dataset d = images
        ? Idx.images(imagesFile, labels, CLASSES, 1f / 255f, name)
        : Idx.classification(imagesFile, labels, CLASSES, 1f / 255f, name);
    if (d.cols() != HEIGHT * WIDTH || images && !Arrays.equals(d.sampleShape(), new int[] {1, HEIGHT, WIDTH})) {
      throw new DataException(imagesFile + ": expected " + HEIGHT + "x" + WIDTH + " images, got "
          + (images ? "images of shape " + Arrays.toString(d.sampleShape()) : d.cols() + " pixels per image"));
    }
    return d;
  }

  /** The gzip file as shipped, or an already uncompressed copy. */
  private static Path locate(Path dir, String base) throws DataException {
    Path gz = dir.resolve(base + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    Path plain = dir.resolve(base);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    throw new DataException("Fashion-MNIST file " + gz + " not found; " + INSTALL_HINT);
  }
}
