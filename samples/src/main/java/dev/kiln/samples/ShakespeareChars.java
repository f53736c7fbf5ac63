package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.TextStreams;
import dev.kiln.runtime.data.TokenSampler;
import dev.kiln.runtime.data.Vocabulary;
import dev.kiln.runtime.model.SequenceGenerator;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.LearningRateSchedule;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A character-level language model on tiny Shakespeare (1.1 M characters, 65 distinct; see
 * data/PROVENANCE.md): an embedding, an LSTM returning its state at every step, and a softmax over
 * the next character at every step, trained with truncated back-propagation through time on windows
 * of {@value #STEPS} characters. The first 90 % of the text trains, the last 10 % validates; the
 * sample prints the validation loss in nats per character and 300 characters it writes itself,
 * sampled with temperature and top-k from a seed, deterministic for a given sampling seed.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=ShakespeareChars package}; arguments: epochs, then
 * the seed text.
 */
@Network(inputShape = {ShakespeareChars.STEPS}, inputType = InputType.TOKENS, loss = Loss.SOFTMAX_CROSS_ENTROPY,
    optimizer = Optimizer.ADAM, learningRate = 3e-3, batchSize = 64, seed = 5, clipNorm = 5)
public class ShakespeareChars {
  /** Characters per training window (the truncation length of back-propagation through time). */
  public static final int STEPS = 100;

  /** Distinct characters of tiny Shakespeare. */
  public static final int VOCABULARY = 65;

  @Embedding(vocabulary = VOCABULARY, dim = 32)
  Layer embedding;

  @LSTM(units = 256, returnSequences = true)
  Layer lstm;

  @Dense(units = VOCABULARY, activation = Activation.SOFTMAX)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 10;

  /** The whole text. */
  public static String text() {
    try (InputStream in = ShakespeareChars.class.getResourceAsStream("data/tinyshakespeare.txt")) {
      if (in == null) {
        throw new IllegalStateException("resource dev/kiln/samples/data/tinyshakespeare.txt is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code count} characters written by the model after {@code seed} (a newline when empty), with
   * carried state ({@link SequenceGenerator}): the seed is fed once, then each sampled character is
   * fed back as one more step of the LSTM from the state the previous ones left, as char-rnn
   * generation is written in PyTorch. Each character costs one step, not a {@value #STEPS}-step
   * window, and the model remembers beyond the window it was trained on.
   */
  public static String generate(ShakespeareCharsModel model, Vocabulary vocabulary, String seed, int count,
      float temperature, int topK, long samplingSeed) {
    int[] context = seed.isEmpty() ? new int[] {vocabulary.id("\n")} : vocabulary.characterIds(seed);
    SequenceGenerator generator = model.generator();
    int[] written = generator.generate(context, count, new TokenSampler(samplingSeed), temperature, topK);
    return vocabulary.characters(written, 0, count);
  }

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    String seed = args.length > 1 ? args[1] : "ROMEO:\n";
    String text = text();
    Vocabulary vocabulary = Vocabulary.ofCharacters(text);
    if (vocabulary.size() != VOCABULARY) {
      throw new IllegalStateException("the text has " + vocabulary.size() + " distinct characters, the network " + VOCABULARY);
    }
    int[] ids = vocabulary.characterIds(text);
    int split = ids.length * 9 / 10;
    Dataset train = TextStreams.windows("shakespeare/train", Arrays.copyOfRange(ids, 0, split), VOCABULARY, STEPS, STEPS);
    Dataset validation = TextStreams.windows("shakespeare/validation", Arrays.copyOfRange(ids, split, ids.length),
        VOCABULARY, STEPS, STEPS);
    System.out.printf("tiny shakespeare: %,d characters (%d distinct); %,d training and %,d validation windows of %d%n",
        ids.length, vocabulary.size(), train.rows(), validation.rows(), STEPS);

    TrainingReport report = TrainingReport.to(Path.of("target", "reports", "ShakespeareChars"))
        .title("ShakespeareChars: a character-level LSTM language model");
    ShakespeareCharsModel model = new ShakespeareCharsModel();
    System.out.print(model.summary());
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation)
        .withCallbacks(LearningRateSchedule.cosine(100, 2e-4));
    long start = System.nanoTime();
    History history = model.train(train, options);
    System.out.printf("training took %.1f s%n", (System.nanoTime() - start) / 1e9);
    Evaluation result = model.evaluate(validation);
    model.save(Path.of("target", "shakespeare-chars.safetensors"));
    vocabulary.save(Path.of("target", "shakespeare-vocabulary.json"));
    long t0 = System.nanoTime();
    String sample = generate(model, vocabulary, seed, 300, 0.8f, 10, 1);
    System.out.printf("300 characters after %s (temperature 0.8, top-10, %.1f s):%n%s%s%n%n", quoted(seed),
        (System.nanoTime() - t0) / 1e9, seed, sample);
    System.out.printf("validation accuracy (next character): %.4f%n", result.accuracy());
    System.out.printf("validation loss: %.4f nats per character (%.3f bits)%n", result.loss(), result.loss() / Math.log(2));
    System.out.println("report written to " + report.write(model, history, options, train, validation));
  }

  private static String quoted(String s) {
    return "\"" + s.replace("\n", "\\n") + "\"";
  }
}
