package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Embedding;
import dev.kiln.dsl.InputType;
import dev.kiln.dsl.LSTM;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.report.TrainingReport;
import dev.kiln.runtime.data.DataException;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.LabelledTexts;
import dev.kiln.runtime.data.SequenceEncoder;
import dev.kiln.runtime.data.Vocabulary;
import dev.kiln.runtime.train.EarlyStopping;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Sentence sentiment with a word embedding and a bidirectional LSTM, on the 3000 labelled review
 * sentences shipped with the samples (movies, products, restaurants; see data/PROVENANCE.md), split
 * 80/10/10 stratified. The vocabulary is fitted on the training sentences only (the
 * {@value #VOCABULARY} - 2 most frequent words, plus padding and unknown), each sentence is cut or
 * padded to {@value #LENGTH} words, and the LSTM's last state is read at each sentence's last real
 * word (padding is masked). Beside it the sample trains a bag-of-words baseline ({@link
 * SentimentBagOfWords}) on the same split and vocabulary, and prints both test accuracies.
 *
 * <p>Run: {@code mvn -q -DskipTests -Dsample=Sentiment package}.
 */
@Network(inputShape = {Sentiment.LENGTH}, inputType = InputType.TOKENS, loss = Loss.BINARY_CROSS_ENTROPY,
    optimizer = Optimizer.ADAM, learningRate = 2e-3, batchSize = 32, seed = 17, clipNorm = 5)
public class Sentiment {
  /** Words per sentence: longer ones are cut, shorter ones padded (id 0). */
  public static final int LENGTH = 40;

  /** Words seen fewer times in the training sentences are unknown ({@code <unk>}). */
  public static final int MIN_FREQUENCY = 2;

  /** Vocabulary size at most, padding and unknown-word ids included. */
  public static final int VOCABULARY = 2000;

  @Embedding(vocabulary = VOCABULARY, dim = 32, paddingIndex = Vocabulary.PAD)
  Layer embedding;

  @Dropout(rate = 0.4)
  Layer embeddingDropout;

  @LSTM(units = 32, bidirectional = true)
  Layer lstm;

  @Dropout(rate = 0.3)
  Layer dropout;

  @Dense(units = 1, activation = Activation.SIGMOID)
  Layer output;

  /** Default number of epochs. */
  public static final int EPOCHS = 15;

  /** The sentences, split 80/10/10 stratified by label with a fixed seed. */
  public static LabelledTexts.Parts sentences() {
    try (InputStream in = Sentiment.class.getResourceAsStream("data/sentiment_sentences.tsv")) {
      if (in == null) {
        throw new IllegalStateException("resource dev/kiln/samples/data/sentiment_sentences.tsv is missing");
      }
      return LabelledTexts.readTsv(in, "sentiment_sentences.tsv", "text", "label").split(17, 0.8, 0.1);
    } catch (DataException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : EPOCHS;
    LabelledTexts.Parts parts = sentences();
    SequenceEncoder encoder = SequenceEncoder.fit(parts.train().texts(), MIN_FREQUENCY, VOCABULARY, LENGTH);
    Dataset train = parts.train().encode(encoder, "sentiment/train");
    Dataset validation = parts.validation().encode(encoder, "sentiment/validation");
    Dataset test = parts.test().encode(encoder, "sentiment/test");
    System.out.printf("sentences: %d train, %d validation, %d test; vocabulary %d words (of the training part), %d per sentence%n",
        train.rows(), validation.rows(), test.rows(), encoder.vocabulary().size(), LENGTH);

    TrainingReport report = TrainingReport.to(Path.of("target", "reports", "Sentiment"))
        .title("Sentiment: word embedding + bidirectional LSTM on labelled review sentences");
    SentimentModel model = new SentimentModel();
    System.out.print(model.summary());
    // Small data overfits fast: keep the weights of the epoch with the best validation loss.
    EarlyStopping early = new EarlyStopping("val_loss", 4).restoringBestWeights();
    TrainOptions options = TrainOptions.epochs(epochs).withValidation(validation).withCallbacks(early);
    long start = System.nanoTime();
    History history = model.train(train, options);
    System.out.printf("training took %.1f s%n", (System.nanoTime() - start) / 1e9);
    Evaluation result = model.evaluate(test);
    System.out.print(result.confusionTable());
    Path weights = Path.of("target", "sentiment.safetensors");
    model.save(weights);
    encoder.vocabulary().save(Path.of("target", "sentiment-vocabulary.json"));

    // The baseline: the same vocabulary as a bag of words, one logistic unit after a hidden layer.
    Dataset bagTrain = SentimentBagOfWords.bagOfWords(train);
    Dataset bagValidation = SentimentBagOfWords.bagOfWords(validation);
    Dataset bagTest = SentimentBagOfWords.bagOfWords(test);
    SentimentBagOfWordsModel baseline = new SentimentBagOfWordsModel();
    baseline.train(bagTrain, TrainOptions.epochs(SentimentBagOfWords.EPOCHS).withValidation(bagValidation).quiet());
    Evaluation baselineResult = baseline.evaluate(bagTest);

    for (String sentence : new String[] {"The food was great and the staff were friendly.",
        "I would not recommend this phone to anyone.", "Not bad at all, actually."}) {
      float p = model.predict(encoder.encode(sentence))[0];
      System.out.printf("  %.3f positive  \"%s\"%n", p, sentence);
    }
    System.out.printf("bag-of-words baseline test accuracy: %.4f%n", baselineResult.accuracy());
    System.out.printf("test loss: %.4f%n", result.loss());
    System.out.printf("test accuracy: %.4f%n", result.accuracy());
    System.out.println("report written to " + report.write(model, history, options, train, test));
  }
}
