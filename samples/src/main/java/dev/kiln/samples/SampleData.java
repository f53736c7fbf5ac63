package dev.kiln.samples;

import dev.kiln.runtime.data.CsvReader;
import dev.kiln.runtime.data.DataException;
import dev.kiln.runtime.data.Dataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The small real data sets shipped with the samples (see data/PROVENANCE.md). */
public final class SampleData {
  private SampleData() {}

  /** 1797 8x8 handwritten digits, pixel counts 0..16, labels 0..9. */
  public static Dataset digits() {
    return read("digits.csv.gz", CsvReader.builder().name("digits").classes(10).build());
  }

  /**
   * The {@link #digits()} as images: each sample of shape {@code [1, 8, 8]} (one grey channel,
   * row-major), for convolutional networks.
   */
  public static Dataset digitImages() {
    return digits().withSampleShape(1, 8, 8);
  }

  /**
   * The names of {@link #breastCancer()}'s 30 features, in column order: the mean, the standard
   * error and the worst (mean of the three largest) of ten measurements of the cell nuclei.
   */
  public static final List<String> BREAST_CANCER_FEATURES = breastCancerFeatures();

  private static List<String> breastCancerFeatures() {
    String[] measures = {"radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
      "concave points", "symmetry", "fractal dimension"};
    List<String> names = new ArrayList<>();
    for (String m : measures) {
      names.add("mean " + m);
    }
    for (String m : measures) {
      names.add(m + " error");
    }
    for (String m : measures) {
      names.add("worst " + m);
    }
    return List.copyOf(names);
  }

  /** 569 breast masses, 30 features, label 0 = malignant, 1 = benign. */
  public static Dataset breastCancer() {
    return read("breast_cancer.csv", CsvReader.builder().header(true).name("breast-cancer").classes(2).build());
  }

  private static Dataset read(String resource, CsvReader reader) {
    try (InputStream in = SampleData.class.getResourceAsStream("data/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("resource dev/kiln/samples/data/" + resource + " is missing from the class path");
      }
      return reader.read(in, resource);
    } catch (DataException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
