package dev.kiln.samples;

import dev.kiln.dsl.Dense;
import dev.kiln.dsl.GRU;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.SimpleRNN;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.SplitMix64;
import dev.kiln.runtime.model.CompiledModel;
import dev.kiln.runtime.train.TrainOptions;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Vanishing gradients, seen rather than read about: the adding problem (Hochreiter and Schmidhuber
 * 1997). Each step holds a random number in [0, 1) and a marker; exactly two steps are marked, one in
 * the first half and one in the second, and the target is the sum of their numbers. Always answering
 * 1 (the mean) gives a mean squared error of 1/6 ≈ 0.167; solving it means carrying the first marked
 * number across up to the whole sequence.
 *
 * <p>A SimpleRNN, an LSTM and a GRU of the same width train side by side at {@value #SHORT} and
 * {@value #LONG} steps; the sample prints each one's test MSE and, before training, the size of the
 * gradient of the loss reaching each step's number (central differences on the inputs: exact
 * gradients would need input gradients, which come with the trust toolkit; the differences resolve
 * about 1e-6 of the loss gradient, below which the curve is noise). Through the SimpleRNN it
 * shrinks geometrically from the last step back to the first; through the LSTM's and GRU's gated,
 * additive paths much less. The curves are drawn to {@code target/reports/LongMemory/gradients.png}.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=LongMemory package}; argument: epochs.
 */
public final class LongMemory {
  /** The short sequences. */
  public static final int SHORT = 50;

  /** The long sequences. */
  public static final int LONG = 100;

  /** Width of every network. */
  public static final int UNITS = 32;

  /** Default number of epochs. */
  public static final int EPOCHS = 20;

  /** Below this, central differences of the float32 loss are noise. */
  static final double FLOOR = 1e-6;

  private LongMemory() {}

  // One network per cell and length: the input shape is part of the compiled class.

  @Network(inputShape = {SHORT, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingRnn50Model")
  static class Rnn50 {
    @SimpleRNN(units = UNITS) Layer rnn;
    @Dense(units = 1) Layer sum;
  }

  @Network(inputShape = {SHORT, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingLstm50Model")
  static class Lstm50 {
    @LSTM(units = UNITS) Layer lstm;
    @Dense(units = 1) Layer sum;
  }

  @Network(inputShape = {SHORT, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingGru50Model")
  static class Gru50 {
    @GRU(units = UNITS) Layer gru;
    @Dense(units = 1) Layer sum;
  }

  @Network(inputShape = {LONG, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingRnn100Model")
  static class Rnn100 {
    @SimpleRNN(units = UNITS) Layer rnn;
    @Dense(units = 1) Layer sum;
  }

  @Network(inputShape = {LONG, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingLstm100Model")
  static class Lstm100 {
    @LSTM(units = UNITS) Layer lstm;
    @Dense(units = 1) Layer sum;
  }

  @Network(inputShape = {LONG, 2}, loss = Loss.MEAN_SQUARED_ERROR, optimizer = Optimizer.ADAM, learningRate = 2e-3,
      batchSize = 32, seed = 9, clipNorm = 1, name = "AddingGru100Model")
  static class Gru100 {
    @GRU(units = UNITS) Layer gru;
    @Dense(units = 1) Layer sum;
  }

  /** {@code rows} adding-problem sequences of {@code steps} steps, features (number, marker) per step. */
  public static Dataset adding(String name, int rows, int steps, long seed) {
    SplitMix64 rng = new SplitMix64(seed);
    float[] x = new float[rows * steps * 2];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      int first = rng.nextInt(steps / 2);
      int second = steps / 2 + rng.nextInt(steps / 2);
      for (int t = 0; t < steps; t++) {
        x[(i * steps + t) * 2] = rng.nextFloat();
      }
      x[(i * steps + first) * 2 + 1] = 1;
      x[(i * steps + second) * 2 + 1] = 1;
      y[i] = x[(i * steps + first) * 2] + x[(i * steps + second) * 2];
    }
    return Dataset.regression(name, x, rows, steps * 2, y, 1).withSampleShape(steps, 2);
  }

  /**
   * |∂L/∂(number at step t)| for every step, the mean loss over {@code data}, by central differences
   * (each step's numbers of every row moved together by ±h).
   */
  public static double[] gradientPerStep(CompiledModel model, Dataset data, int steps) {
    double h = 1e-2;
    double[] g = new double[steps];
    for (int t = 0; t < steps; t++) {
      float[] plus = data.features().clone();
      float[] minus = data.features().clone();
      for (int i = 0; i < data.rows(); i++) {
        plus[(i * steps + t) * 2] += (float) h;
        minus[(i * steps + t) * 2] -= (float) h;
      }
      double lp = model.evaluate(with(data, plus, steps)).loss();
      double lm = model.evaluate(with(data, minus, steps)).loss();
      g[t] = Math.abs(lp - lm) / (2 * h);
    }
    return g;
  }

  private static Dataset with(Dataset data, float[] x, int steps) {
    return Dataset.regression(data.name(), x, data.rows(), data.cols(), data.targets(), 1).withSampleShape(steps, 2);
  }

  /** One cell at one length: its gradient per step before training and its test MSE after. */
  public record Result(String cell, int steps, double[] gradient, double testMse, double seconds) {}

  static Result run(String cell, CompiledModel model, int steps, int epochs) {
    Dataset train = adding("adding/train", 8000, steps, 1);
    Dataset test = adding("adding/test", 1000, steps, 2);
    double[] gradient = gradientPerStep(model, adding("adding/probe", 256, steps, 3), steps);
    long t0 = System.nanoTime();
    model.train(train, TrainOptions.epochs(epochs).quiet());
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(cell, steps, gradient, model.evaluate(test).loss(), seconds);
  }

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    List<Result> results = new ArrayList<>();
    results.add(run("SimpleRNN", new AddingRnn50Model(), SHORT, epochs));
    results.add(run("LSTM", new AddingLstm50Model(), SHORT, epochs));
    results.add(run("GRU", new AddingGru50Model(), SHORT, epochs));
    results.add(run("SimpleRNN", new AddingRnn100Model(), LONG, epochs));
    results.add(run("LSTM", new AddingLstm100Model(), LONG, epochs));
    results.add(run("GRU", new AddingGru100Model(), LONG, epochs));

    System.out.printf("adding problem, %d units, %d epochs of 8000 sequences; always answering 1 gives MSE 0.167%n",
        UNITS, epochs);
    System.out.println("gradient reaching the number at step t, before training (|dL/dx_t|; the last step is the latest):");
    for (Result r : results) {
      int n = r.steps();
      int reach = 0;
      while (reach < n && r.gradient()[n - 1 - reach] >= 1e-4 * r.gradient()[n - 1]) {
        reach++;
      }
      System.out.printf("  %-9s %3d steps: last step %.1e; above 1e-4 of it for the last %d steps; first step %s%n",
          r.cell(), n, r.gradient()[n - 1], reach, r.gradient()[0] < FLOOR ? "below 1e-6 (unresolved)"
              : String.format("%.1e", r.gradient()[0]));
    }
    for (Result r : results) {
      System.out.printf("%s, %d steps: test MSE %.4f (%.1f s of training)%n", r.cell(), r.steps(), r.testMse(), r.seconds());
    }
    Path dir = Path.of("target", "reports", "LongMemory");
    Files.createDirectories(dir);
    XYChart chart = new XYChartBuilder().width(900).height(500)
        .title("Adding problem: gradient reaching each step before training (floor 1e-6: what central differences resolve)")
        .xAxisTitle("step")
        .yAxisTitle("|dL/dx_t|").build();
    chart.getStyler().setYAxisLogarithmic(true);
    Color[] colors = {new Color(0xd62728), new Color(0x1f77b4), new Color(0x2ca02c)};
    for (int k = 0; k < results.size(); k++) {
      Result r = results.get(k);
      double[] xs = new double[r.steps()];
      double[] ys = new double[r.steps()];
      for (int t = 0; t < r.steps(); t++) {
        xs[t] = t;
        ys[t] = Math.max(r.gradient()[t], FLOOR);
      }
      var series = chart.addSeries(r.cell() + " " + r.steps() + " steps", xs, ys);
      series.setMarker(SeriesMarkers.NONE);
      series.setLineColor(colors[k % 3]);
      if (r.steps() == SHORT) {
        series.setLineStyle(new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER,
            10f, new float[] {6f, 4f}, 0f));
      }
    }
    Path png = dir.resolve("gradients.png");
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.println("gradient picture written to " + png.toAbsolutePath());
  }
}
