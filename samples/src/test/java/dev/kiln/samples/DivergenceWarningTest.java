package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingDivergedException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A learning rate far too high is pointed out in the progress output during the first epoch,
 * not discovered from a useless model after the last one; a healthy run prints no warning.
 */
class DivergenceWarningTest {
  private static final Dataset TRAIN = SampleData.digits().subset(0, 1200);

  private static String train(dev.kiln.runtime.model.Model model, int epochs) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TrainOptions options =
        TrainOptions.epochs(epochs).withOutput(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      model.train(TRAIN, options);
    } catch (TrainingDivergedException e) {
      // Some rates end in NaN after the warning; what matters here is that the warning came first.
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void adamWithLearningRate1e3IsWarnedAboutInTheFirstEpoch() {
    String out = train(new AdamTooFastModel(), 3);
    List<String> lines = out.lines().toList();
    int warning = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("warning: ")) {
        warning = i;
        break;
      }
    }
    assertTrue(warning >= 0, out);
    System.out.println(lines.get(warning));
    assertTrue(lines.get(warning).contains("in epoch 1, batch ") && lines.get(warning).contains("learning rate (1.00e+03)"),
        lines.get(warning));
    // It comes before the first epoch's summary line.
    assertTrue(lines.subList(0, warning).stream().noneMatch(l -> l.startsWith("epoch 1/")), out);
  }

  @Test
  void aHealthyRunPrintsNoWarning() {
    String out = train(new DigitsModel(), 5);
    assertFalse(out.contains("warning"), out);
    assertTrue(out.contains("epoch 5/5"), out);
  }
}
