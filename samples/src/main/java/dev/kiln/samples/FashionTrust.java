package dev.kiln.samples;

import dev.kiln.report.CalibrationSection;
import dev.kiln.report.FigureSection;
import dev.kiln.report.OutOfDistributionSection;
import dev.kiln.report.TrainingReport;
import dev.kiln.report.TrustPictures;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.FashionMnist;
import dev.kiln.runtime.data.Split;
import dev.kiln.runtime.inspect.AdversarialTraining;
import dev.kiln.runtime.inspect.Attribution;
import dev.kiln.runtime.inspect.IntegratedGradients;
import dev.kiln.runtime.inspect.Pgd;
import dev.kiln.runtime.inspect.RobustAccuracy;
import dev.kiln.runtime.inspect.Saliency;
import dev.kiln.runtime.train.Accuracy;
import dev.kiln.runtime.train.GradientHealth;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.trust.CalibrationResult;
import dev.kiln.runtime.trust.OodEvaluation;
import dev.kiln.runtime.trust.OodScore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Can the FashionCnn network be trusted? Trains {@link FashionCnn}'s network ({@code FashionCnnModel},
 * same architecture and initial weights) twice on the Fashion-MNIST split of {@link FashionCnn}:
 * normally, and adversarially (in every batch of 128, 64 rows replaced by PGD-3 L∞ examples at
 * ε = 0.1, step 2.5 ε / 3, random start, range [0, 1], made against the current weights). For both
 * it prints, in lines of the form {@code clean accuracy (standard): 0.9xxx}:
 *
 * <ul>
 *   <li>clean accuracy on the 10000 test images;
 *   <li>robust accuracy against PGD-10 L∞ (random start, step 2.5 ε / 10, range [0, 1]) at
 *       ε = 0.025, 0.05, 0.075, 0.1 and 0.15 on a fixed seeded subset of 2000 test images;
 *   <li>the temperature fitted on the 5000 validation images, and ECE (15 bins), NLL and Brier score
 *       of the test images before and after temperature scaling;
 *   <li>the AUROC of flagging the 1797 8x8 digits (scaled from 0..16 to [0, 1] and upscaled
 *       bilinearly to 28x28) as out of distribution against the test images, by energy and by the
 *       maximum softmax probability, and the fractions the fitted energy threshold flags;
 *   <li>the completeness error of integrated gradients (1024 Gauss-Legendre steps, black baseline).
 * </ul>
 *
 * <p>Two reports: {@code samples/target/reports/FashionTrust/report.html} for the normally trained
 * network and {@code .../FashionTrustAdversarial/report.html} for the adversarially trained one. Each
 * has its training curves with per-layer gradient norms, update ratios and gradient health, its
 * calibration (reliability before/after) and out-of-distribution (histograms, ROC) sections, and the
 * same comparison sections: robust accuracy against ε of both networks on one chart, grids of
 * adversarial examples with original and perturbed predictions, and saliency and integrated
 * gradients heat maps over four test images.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=FashionTrust package}. Arguments
 * ({@code -Dsample.args}): the epochs of each training (default {@value #EPOCHS}), or {@code quick}
 * (1 epoch on 6000 training images, robust accuracy on 500 test images), then the Fashion-MNIST
 * directory.
 */
public final class FashionTrust {
  /** Default epochs of each of the two trainings. */
  public static final int EPOCHS = 5;

  /** ε of the PGD examples of adversarial training. */
  public static final float TRAIN_EPSILON = 0.1f;

  /** PGD steps of adversarial training (fewer than the evaluation's 10, to keep training affordable). */
  public static final int TRAIN_STEPS = 3;

  /** The part of each batch replaced by adversarial examples. */
  public static final double ADVERSARIAL_FRACTION = 0.5;

  /** PGD steps of the robust-accuracy evaluation. */
  public static final int EVAL_STEPS = 10;

  /** The radii of the robust-accuracy curve. */
  static final double[] EPSILONS = {0, 0.025, 0.05, 0.075, 0.1, 0.15};

  /** Test images the robust accuracy is measured on (a seeded subset). */
  public static final int ROBUST_SAMPLES = 2000;

  private static final long SEED = 12;
  private static final int EXAMPLES = 8;
  private static final int EXPLAINED = 4;
  private static final int IG_STEPS = 1024;
  private static final int[] SHAPE = {1, 28, 28};

  private FashionTrust() {}

  /**
   * What to run.
   *
   * @param epochs epochs of each training
   * @param dataDir the Fashion-MNIST directory
   * @param trainRows training images used (0: all 55000)
   * @param evalRows validation and test images used (0: all 5000 and 10000)
   * @param robustSamples test images of the robust-accuracy evaluation (a seeded subset)
   * @param reports the directory that receives the two reports
   */
  record Config(int epochs, Path dataDir, int trainRows, int evalRows, int robustSamples, Path reports) {}

  /** The figures of one trained network. */
  record Figures(
      String name, double trainingSeconds, double cleanAccuracy, RobustAccuracy robust, CalibrationResult calibration,
      CalibrationSection testCalibration, OodEvaluation energy, OodEvaluation msp, double maxCompletenessError) {}

  public static void main(String[] args) throws Exception {
    boolean quick = args.length > 0 && args[0].equals("quick");
    int epochs = quick ? 1 : args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    Path dir = args.length > 1 ? Path.of(args[1]) : FashionMnist.DEFAULT_DIR;
    run(new Config(epochs, dir, quick ? 6000 : 0, 0, quick ? 500 : ROBUST_SAMPLES, Path.of("target", "reports")),
        System.out);
  }

  /** Trains both networks, prints their figures to {@code out} and writes the two reports. */
  static List<Figures> run(Config c, PrintStream out) throws Exception {
    // Created first so an unwritable directory fails before minutes of loading and training.
    TrainingReport standardReport = TrainingReport.to(c.reports().resolve("FashionTrust"))
        .title("Fashion-MNIST CNN: can it be trusted? (standard training)").classNames(FashionMlp.CLASSES);
    TrainingReport adversarialReport = TrainingReport.to(c.reports().resolve("FashionTrustAdversarial"))
        .title("Fashion-MNIST CNN: can it be trusted? (adversarial training)").classNames(FashionMlp.CLASSES);
    Split split = FashionCnn.fashionSplit(c.dataDir());
    Dataset train = limit(split.train(), c.trainRows());
    Dataset validation = limit(split.validation(), c.evalRows());
    Dataset test = limit(split.test(), c.evalRows());
    Dataset robustSet = seededSubset(test, Math.min(c.robustSamples(), test.rows()), SEED);
    Dataset digits = upscaledDigits();
    out.printf("fashion-mnist: %d train, %d validation, %d test images; robust accuracy on %d test images; "
        + "out of distribution: %d digits upscaled to 28x28%n", train.rows(), validation.rows(), test.rows(),
        robustSet.rows(), digits.rows());

    Pgd trainAttack = Pgd.linf(TRAIN_EPSILON).steps(TRAIN_STEPS).randomStart(SEED).range(0, 1);
    Pgd evalAttack = Pgd.linf(0.1f).steps(EVAL_STEPS).randomStart(SEED + 1).range(0, 1);
    out.println("adversarial training: " + trainAttack + ", fraction " + ADVERSARIAL_FRACTION + " of each batch");
    out.println("robust accuracy: " + evalAttack.name() + ", random start, step 2.5 ε / " + EVAL_STEPS
        + ", range [0, 1], ε in " + Arrays.toString(EPSILONS));

    TrainOptions base = TrainOptions.epochs(c.epochs()).withValidation(validation).withGradientNorms()
        .withCallbacks(new GradientHealth()).withOutput(out);
    FashionCnnModel standard = new FashionCnnModel();
    Trained standardRun = train("standard", standard, train, base, out);
    TrainOptions adversarialOptions =
        base.withAdversarialTraining(new AdversarialTraining(trainAttack, ADVERSARIAL_FRACTION));
    FashionCnnModel adversarial = new FashionCnnModel();
    Trained adversarialRun = train("adversarial", adversarial, train, adversarialOptions, out);

    FigureSection robustness = FigureSection.titled("Adversarial robustness (both networks)");
    FigureSection explanations = FigureSection.titled("Explanations (both networks)");
    Map<String, RobustAccuracy> curves = new LinkedHashMap<>();
    List<Figures> figures = new ArrayList<>();
    List<String[]> completeness = new ArrayList<>();
    figures.add(inspect("standard", standard, standardRun.seconds(), test, validation, robustSet, digits, evalAttack,
        robustness, explanations, curves, completeness, standardReport, out));
    figures.add(inspect("adversarial", adversarial, adversarialRun.seconds(), test, validation, robustSet, digits,
        evalAttack, robustness, explanations, curves, completeness, adversarialReport, out));

    robustness.text(String.format(Locale.ROOT,
        "Robust accuracy: the fraction of %d test images (a seeded subset) classified correctly both as they are "
            + "and after %s with a random start (step 2.5 ε / %d, pixels kept in [0, 1]). The adversarially "
            + "trained network saw, in every batch, %d %% of its rows replaced by %s. Each network has its own "
            + "report: FashionTrust (standard training) and FashionTrustAdversarial.",
        robustSet.rows(), evalAttack.name(), EVAL_STEPS, Math.round(100 * ADVERSARIAL_FRACTION), trainAttack));
    robustness.chart("robust-accuracy", TrustPictures.robustAccuracyCurve(curves),
        "Robust accuracy against ε of both networks.");
    List<String[]> rows = new ArrayList<>();
    for (int e = 0; e < EPSILONS.length; e++) {
      rows.add(new String[] {
        String.format(Locale.ROOT, "%.3f", EPSILONS[e]), f4(figures.get(0).robust().robustAccuracy(e)),
        f4(figures.get(1).robust().robustAccuracy(e))});
    }
    robustness.table("robust-accuracy-table", new String[] {"ε", "standard", "adversarial"}, rows);
    explanations.table("completeness", new String[] {"network", "image", "class", "f(x) - f(baseline)",
      "Σ attributions", "completeness error"}, completeness);

    for (int m = 0; m < 2; m++) {
      TrainingReport report = m == 0 ? standardReport : adversarialReport;
      FashionCnnModel model = m == 0 ? standard : adversarial;
      Figures f = figures.get(m);
      report.section(f.testCalibration()).section(OutOfDistributionSection.of(f.energy(), f.msp()))
          .section(robustness).section(explanations);
      out.println("report written to " + report.write(model, (m == 0 ? standardRun : adversarialRun).history(),
          m == 0 ? base : adversarialOptions, train, test));
    }
    out.println("summary (standard / adversarial):");
    for (Figures f : figures) {
      out.printf(Locale.ROOT, "  %s: training %.1f s, clean %.4f, robust at 0.05 %.4f, at 0.1 %.4f, ECE %.4f -> %.4f, "
              + "AUROC energy %.4f, MSP %.4f%n", f.name(), f.trainingSeconds(), f.cleanAccuracy(),
          f.robust().accuracyAt(0.05), f.robust().accuracyAt(0.1),
          f.testCalibration().before().expectedCalibrationError(),
          f.testCalibration().after().expectedCalibrationError(), f.energy().auroc(), f.msp().auroc());
    }
    return figures;
  }

  private record Trained(History history, double seconds) {}

  private static Trained train(String name, FashionCnnModel model, Dataset train, TrainOptions options,
      PrintStream out) {
    out.println("training (" + name + "):");
    long t0 = System.nanoTime();
    History h = model.train(train, options);
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.printf(Locale.ROOT, "training time (%s): %.1f s%n", name, seconds);
    return new Trained(h, seconds);
  }

  /** Measures one trained network, adds its pictures to the shared sections, and returns its figures. */
  private static Figures inspect(String name, FashionCnnModel model, double seconds, Dataset test,
      Dataset validation, Dataset robustSet, Dataset digits, Pgd attack, FigureSection robustness,
      FigureSection explanations, Map<String, RobustAccuracy> curves, List<String[]> completeness,
      TrainingReport report, PrintStream out) {
    double clean = model.evaluate(test).accuracy();
    out.printf(Locale.ROOT, "clean accuracy (%s): %.4f%n", name, clean);

    // Attacks and explanations before calibration: they read the logits, which T does not change.
    long t0 = System.nanoTime();
    RobustAccuracy robust = RobustAccuracy.evaluate(model, robustSet, attack, EPSILONS);
    out.printf(Locale.ROOT, "robust accuracy evaluation (%s): %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
    out.printf(Locale.ROOT, "clean accuracy on the robust subset (%s): %.4f%n", name, robust.cleanAccuracy());
    for (int e = 1; e < EPSILONS.length; e++) {
      out.printf(Locale.ROOT, "robust accuracy at eps=%s (%s): %.4f%n", (float) EPSILONS[e], name,
          robust.robustAccuracy(e));
    }
    curves.put(name + " training", robust);

    int n = Math.min(EXAMPLES, robustSet.rows());
    float[] x = Arrays.copyOf(robustSet.features(), n * 784);
    int[] labels = Arrays.copyOf(robustSet.labels(), n);
    float[] perturbed = attack.perturb(model, x, labels, n);
    robustness.image("adversarial-examples-" + name, TrustPictures.adversarialExamples(x, perturbed, n, SHAPE,
            classNames(model, x, n), classNames(model, perturbed, n), 3),
        String.format(Locale.ROOT, "Network with %s training: %d test images (true classes: %s), their %s examples "
            + "at ε = %s and the changes.", name, n, trueNames(labels), attack.name(), attack.epsilon()));

    int k = Math.min(EXPLAINED, robustSet.rows());
    float[] images = Arrays.copyOf(robustSet.features(), k * 784);
    int[] predicted = predictedClasses(model, images, k);
    float[] saliency = Saliency.saliency(model, images, k, predicted);
    float[] ig = new float[k * 784];
    String[] captions = new String[k];
    String[] igCaptions = new String[k];
    double worst = 0;
    IntegratedGradients integrated = IntegratedGradients.steps(IG_STEPS);
    for (int i = 0; i < k; i++) {
      Attribution a = integrated.explain(model, Arrays.copyOfRange(images, i * 784, (i + 1) * 784), predicted[i]);
      System.arraycopy(a.values(), 0, ig, i * 784, 784);
      worst = Math.max(worst, a.completenessError());
      String cls = FashionMlp.CLASSES.get(predicted[i]);
      captions[i] = "saliency of " + cls;
      igCaptions[i] = String.format(Locale.ROOT, "IG of %s (error %.2g)", cls, a.completenessError());
      completeness.add(new String[] {name, Integer.toString(i), cls, f4(a.score() - a.baselineScore()),
        f4(a.sum()), String.format(Locale.ROOT, "%.2e", a.completenessError())});
    }
    out.printf(Locale.ROOT, "integrated gradients completeness error, largest of %d images (%s): %.2e%n", k, name,
        worst);
    explanations.image("saliency-" + name, TrustPictures.attributionHeatMaps(images, saliency, k, SHAPE, captions, 3),
        "Network with " + name + " training: saliency |∂ logit / ∂ x| of the predicted class (red: large).");
    explanations.image("integrated-gradients-" + name,
        TrustPictures.attributionHeatMaps(images, ig, k, SHAPE, igCaptions, 3),
        String.format(Locale.ROOT, "Network with %s training: integrated gradients of the predicted class's logit "
            + "(%d Gauss-Legendre steps from a black image; red raises the logit, blue lowers it); the largest "
            + "completeness error |Σ attributions − (f(x) − f(0))| / |f(x) − f(0)| is %.2e.", name, IG_STEPS, worst));

    CalibrationResult calibration = model.calibrate(validation);
    CalibrationSection testCalibration = CalibrationSection.of(model, test);
    out.printf(Locale.ROOT, "temperature (%s): %.4f (fitted on %d validation images)%n", name,
        calibration.temperature(), validation.rows());
    out.printf(Locale.ROOT, "ECE before temperature scaling (%s): %.4f%n", name,
        testCalibration.before().expectedCalibrationError());
    out.printf(Locale.ROOT, "ECE after temperature scaling (%s): %.4f%n", name,
        testCalibration.after().expectedCalibrationError());
    out.printf(Locale.ROOT, "NLL before/after temperature scaling (%s): %.4f / %.4f%n", name,
        testCalibration.before().negativeLogLikelihood(), testCalibration.after().negativeLogLikelihood());
    out.printf(Locale.ROOT, "Brier before/after temperature scaling (%s): %.4f / %.4f%n", name,
        testCalibration.before().brier(), testCalibration.after().brier());

    model.fitOutOfDistribution(validation);
    OodEvaluation energy = model.evaluateOutOfDistribution(test, digits, OodScore.ENERGY);
    OodEvaluation msp = model.evaluateOutOfDistribution(test, digits, OodScore.MAX_SOFTMAX_PROBABILITY);
    out.printf(Locale.ROOT, "OOD AUROC energy (%s): %.4f%n", name, energy.auroc());
    out.printf(Locale.ROOT, "OOD AUROC MSP (%s): %.4f%n", name, msp.auroc());
    out.printf(Locale.ROOT, "energy threshold flags (%s): %.4f of the digits, %.4f of the test images%n", name,
        energy.outFlaggedFraction(), energy.inFlaggedFraction());
    return new Figures(name, seconds, clean, robust, calibration, testCalibration, energy, msp, worst);
  }

  /**
   * The 1797 8x8 digits as Fashion-MNIST-like images: pixel counts 0..16 scaled to [0, 1] and
   * upscaled to 28x28 bilinearly (half-pixel centres, edges clamped, as PyTorch's
   * {@code interpolate(mode="bilinear", align_corners=False)}).
   */
  static Dataset upscaledDigits() {
    Dataset d = SampleData.digits();
    int rows = d.rows();
    float[] src = d.features();
    float[] x = new float[rows * 784];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < 28; i++) {
        double sy = Math.max((i + 0.5) * 8 / 28 - 0.5, 0);
        int y0 = Math.min((int) sy, 7);
        int y1 = Math.min(y0 + 1, 7);
        double wy = sy - y0;
        for (int j = 0; j < 28; j++) {
          double sx = Math.max((j + 0.5) * 8 / 28 - 0.5, 0);
          int x0 = Math.min((int) sx, 7);
          int x1 = Math.min(x0 + 1, 7);
          double wx = sx - x0;
          int o = r * 64;
          double v = (1 - wy) * ((1 - wx) * src[o + y0 * 8 + x0] + wx * src[o + y0 * 8 + x1])
              + wy * ((1 - wx) * src[o + y1 * 8 + x0] + wx * src[o + y1 * 8 + x1]);
          x[r * 784 + i * 28 + j] = (float) Math.min(Math.max(v / 16, 0), 1);
        }
      }
    }
    return Dataset.classification("digits 8x8 upscaled to 28x28", x, rows, 784, d.labels(), 10)
        .withSampleShape(SHAPE);
  }

  /** {@code k} rows of {@code data} chosen by a seeded shuffle, in their original order. */
  static Dataset seededSubset(Dataset data, int k, long seed) {
    int[] idx = new int[data.rows()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < k; i++) {
      int j = i + r.nextInt(idx.length - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int[] chosen = Arrays.copyOf(idx, k);
    Arrays.sort(chosen);
    return data.subset(chosen).withName(data.name() + " (" + k + " seeded)");
  }

  private static Dataset limit(Dataset d, int rows) {
    return rows > 0 && rows < d.rows() ? d.subset(0, rows).withName(d.name() + " (first " + rows + ")") : d;
  }

  private static int[] predictedClasses(FashionCnnModel model, float[] x, int rows) {
    float[] p = new float[rows * 10];
    model.predict(x, rows, p);
    int[] c = new int[rows];
    for (int i = 0; i < rows; i++) {
      c[i] = Accuracy.predictedClass(p, i * 10, 10);
    }
    return c;
  }

  private static String[] classNames(FashionCnnModel model, float[] x, int rows) {
    int[] c = predictedClasses(model, x, rows);
    String[] names = new String[rows];
    for (int i = 0; i < rows; i++) {
      names[i] = FashionMlp.CLASSES.get(c[i]);
    }
    return names;
  }

  private static String trueNames(int[] labels) {
    List<String> names = new ArrayList<>();
    for (int l : labels) {
      names.add(FashionMlp.CLASSES.get(l));
    }
    return String.join(", ", names);
  }

  private static String f4(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }
}
