package com.example.quickstart;

import dev.kiln.runtime.data.CsvReader;
import dev.kiln.runtime.data.DataException;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.data.Standardizer;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a CSV file, trains {@link Iris} on it and prints its accuracy on held-out rows.
 *
 * <p>Run: {@code mvn -q compile -Prun}, or {@code mvn -q compile -Prun -Drun.args=path/to/file.csv}.
 */
public final class TrainIris {
  static final String[] SPECIES = {"setosa", "versicolor", "virginica"};
  static final int EPOCHS = 30;

  private TrainIris() {}

  /** The trained model, the scaling its inputs need and its result on the held-out test rows. */
  record Trained(IrisModel model, Standardizer scale, Evaluation test) {}

  public static void main(String[] args) throws IOException {
    Path csv = Path.of(args.length > 0 ? args[0] : "data/iris.csv");
    Dataset flowers = read(csv);
    System.out.println(flowers);

    Trained trained = trainAndTest(flowers, TrainOptions.epochs(EPOCHS));
    System.out.print(trained.test().confusionTable());
    System.out.printf("test accuracy: %.4f%n", trained.test().accuracy());

    float[] flower = {6.3f, 2.9f, 5.6f, 1.8f}; // a new flower: sepal and petal length and width, cm
    trained.scale().transformRow(flower, flower);
    System.out.println("6.3, 2.9, 5.6, 1.8 -> " + SPECIES[trained.model().predictClass(flower)]);
  }

  /**
   * Your own file: numbers separated by commas, one flower per line, the class label (0, 1, 2) in
   * the last column. This file's first line ({@code 150,4,setosa,versicolor,virginica}) is not a
   * data row, so it is skipped like a header. A malformed line fails with a {@link DataException}
   * naming the file, line and column.
   */
  static Dataset read(Path csv) throws DataException {
    return CsvReader.builder().header(true).classes(SPECIES.length).build().read(csv);
  }

  /**
   * Splits 70 / 15 / 15 (seeded, each species in the same proportions), standardizes with
   * statistics of the training rows only, trains with the validation rows and tests on the rest.
   */
  static Trained trainAndTest(Dataset flowers, TrainOptions options) {
    Split split = flowers.split(7, 0.7, 0.15);
    Standardizer scale = Standardizer.fit(split.train());
    IrisModel model = new IrisModel();
    model.train(scale.transform(split.train()), options.withValidation(scale.transform(split.validation())));
    return new Trained(model, scale, model.evaluate(scale.transform(split.test())));
  }
}
