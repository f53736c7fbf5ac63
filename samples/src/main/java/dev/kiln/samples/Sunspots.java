package dev.kiln.samples;

import dev.kiln.dsl.Dense;
import dev.kiln.dsl.GRU;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.SeriesScaler;
import dev.kiln.runtime.data.TimeSeriesSplit;
import dev.kiln.runtime.data.TimeSeriesWindows;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Forecasts the yearly mean sunspot number (1700-2008; see data/PROVENANCE.md) from the previous
 * {@value #LOOKBACK} years with a GRU. The last {@value #TEST_YEARS} years are the test span; the
 * standardization is fitted on the years before it. The sample prints the root-mean-squared error of
 * its one-year-ahead forecasts over the test span beside two baselines it computes on the same
 * years: persistence (next year = this year) and the solar cycle (next year = 11 years earlier);
 * then an {@value #HORIZON}-year forecast made by feeding its own predictions back.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=Sunspots package}.
 */
@Network(inputShape = {Sunspots.LOOKBACK, 1}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM,
    learningRate = 3e-3, batchSize = 16, seed = 3)
public class Sunspots {
  /** Years the forecast reads. */
  public static final int LOOKBACK = 20;

  /** The test span: the last years of the series. */
  public static final int TEST_YEARS = 40;

  /** Years of the fed-back forecast. */
  public static final int HORIZON = 11;

  @GRU(units = 32)
  Layer gru;

  @Dense(units = 1)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 150;

  /** The yearly sunspot numbers, 1700 first. */
  public static float[] series() {
    try (InputStream in = Sunspots.class.getResourceAsStream("data/sunspots.csv")) {
      if (in == null) {
        throw new IllegalStateException("resource dev/kiln/samples/data/sunspots.csv is missing");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<Float> values = new ArrayList<>();
      r.readLine(); // "YEAR","SUNACTIVITY"
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          values.add(Float.parseFloat(line.substring(line.indexOf(',') + 1).trim()));
        }
      }
      float[] series = new float[values.size()];
      for (int i = 0; i < series.length; i++) {
        series[i] = values.get(i);
      }
      return series;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    float[] series = series();
    TimeSeriesSplit split = TimeSeriesWindows.split("sunspots", series, LOOKBACK, 1, TEST_YEARS, SeriesScaler.Method.STANDARD);
    Dataset train = split.train();
    Dataset test = split.test();
    int first = split.testStart();
    System.out.printf("sunspots: %d years (1700-%d); %d training windows, test years %d-%d%n", series.length,
        1700 + series.length - 1, train.rows(), 1700 + first, 1700 + series.length - 1);

    TrainingReport report = TrainingReport.to(Path.of("target", "reports", "Sunspots"))
        .title("Sunspots: a GRU forecast of the yearly sunspot number");
    SunspotsModel model = new SunspotsModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).quiet();
    History history = model.train(train, options);

    SeriesScaler scaler = split.scaler();
    double model2 = 0;
    double persistence2 = 0;
    double cycle2 = 0;
    for (int j = 0; j < test.rows(); j++) {
      int year = first + j;
      double actual = series[year];
      double forecast = scaler.inverse(model.predict(test.row(j))[0]);
      model2 += (forecast - actual) * (forecast - actual);
      persistence2 += (series[year - 1] - actual) * (series[year - 1] - actual);
      cycle2 += (series[year - 11] - actual) * (series[year - 11] - actual);
    }
    int n = test.rows();
    // Feeding predictions back: from the first test year on, each forecast becomes the last input.
    float[] window = split.inputBefore(first);
    StringBuilder fed = new StringBuilder();
    double fed2 = 0;
    for (int k = 0; k < HORIZON; k++) {
      float next = model.predict(window)[0];
      System.arraycopy(window, 1, window, 0, LOOKBACK - 1);
      window[LOOKBACK - 1] = next;
      double forecast = scaler.inverse(next);
      double actual = series[first + k];
      fed2 += (forecast - actual) * (forecast - actual);
      fed.append(String.format("  %d: %6.1f (actual %6.1f)%n", 1700 + first + k, forecast, actual));
    }
    System.out.printf("%d-year forecast from %d, each prediction fed back as input:%n%s", HORIZON, 1700 + first, fed);
    System.out.printf("fed-back %d-year forecast RMSE: %.2f%n", HORIZON, Math.sqrt(fed2 / HORIZON));
    System.out.printf("persistence baseline RMSE (next year = this year): %.2f%n", Math.sqrt(persistence2 / n));
    System.out.printf("solar-cycle baseline RMSE (next year = 11 years earlier): %.2f%n", Math.sqrt(cycle2 / n));
    System.out.printf("test RMSE (one year ahead, %d-%d): %.2f%n", 1700 + first, 1700 + series.length - 1,
        Math.sqrt(model2 / n));
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
