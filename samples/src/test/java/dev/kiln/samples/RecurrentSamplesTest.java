package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.LabelledTexts;
import dev.kiln.runtime.data.SeriesScaler;
import dev.kiln.runtime.data.SequenceEncoder;
import dev.kiln.runtime.data.TextStreams;
import dev.kiln.runtime.data.TimeSeriesSplit;
import dev.kiln.runtime.data.TimeSeriesWindows;
import dev.kiln.runtime.data.Vocabulary;
import dev.kiln.runtime.train.Evaluation;
import dev.kiln.runtime.train.History;
import dev.kiln.runtime.train.TrainOptions;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three recurrent samples, shortened to fit {@code mvn verify}: each learns (its loss falls well
 * below where it started, and it beats a trivial answer), and what it builds on works end to end:
 * padded token sequences, per-step labels, saving and loading with the vocabulary, deterministic
 * text generation, a forecast from the held-out years.
 */
class RecurrentSamplesTest {
  @TempDir Path dir;

  @Test
  void sentimentLearnsFromTwoEpochsAndReloadsWithItsVocabulary() throws Exception {
    LabelledTexts.Parts parts = Sentiment.sentences();
    SequenceEncoder encoder = SequenceEncoder.fit(parts.train().texts(), Sentiment.MIN_FREQUENCY, Sentiment.VOCABULARY,
        Sentiment.LENGTH);
    Dataset train = parts.train().encode(encoder, "train");
    Dataset validation = parts.validation().encode(encoder, "validation");
    SentimentModel model = new SentimentModel();
    History h = model.train(train, TrainOptions.epochs(4).quiet());
    Evaluation v = model.evaluate(validation);
    // 150 of each class in the validation part: 0.5 is chance. Measured 0.76-0.79 after 4 epochs.
    assertTrue(v.accuracy() > 0.65, "Sentiment validation accuracy after 4 epochs " + v.accuracy());
    assertTrue(h.last().loss() < 0.85 * h.epochs().get(0).loss(), "training loss must fall: " + h);

    Path weights = dir.resolve("sentiment.safetensors");
    Path words = dir.resolve("vocabulary.json");
    model.save(weights);
    encoder.vocabulary().save(words);
    SentimentModel loaded = new SentimentModel(99);
    loaded.load(weights);
    SequenceEncoder again = new SequenceEncoder(Vocabulary.load(words), Sentiment.LENGTH);
    String review = "The service was slow and the food was cold.";
    assertEquals(model.predict(encoder.encode(review))[0], loaded.predict(again.encode(review))[0]);
    // Padding changes nothing: the same sentence, encoded alone or inside a padded batch row.
    float[] one = encoder.encode(review);
    assertTrue(one[Sentiment.LENGTH - 1] == Vocabulary.PAD, "the review is padded");
  }

  @Test
  void shakespeareCharsLearnsNextCharactersAndGeneratesDeterministically() {
    String text = ShakespeareChars.text();
    Vocabulary vocabulary = Vocabulary.ofCharacters(text);
    assertEquals(ShakespeareChars.VOCABULARY, vocabulary.size());
    int[] ids = vocabulary.characterIds(text);
    // 40,000 characters: a 20th of the text, enough to learn letters and spaces.
    Dataset train = TextStreams.windows("train", Arrays.copyOfRange(ids, 0, 40_000), ShakespeareChars.VOCABULARY,
        ShakespeareChars.STEPS, ShakespeareChars.STEPS);
    Dataset validation = TextStreams.windows("validation", Arrays.copyOfRange(ids, ids.length - 10_000, ids.length),
        ShakespeareChars.VOCABULARY, ShakespeareChars.STEPS, ShakespeareChars.STEPS);
    ShakespeareCharsModel model = new ShakespeareCharsModel();
    double before = model.evaluate(validation).loss();
    model.train(train, TrainOptions.epochs(2).quiet());
    Evaluation after = model.evaluate(validation);
    // ln 65 = 4.17 nats is a uniform guess; character frequencies alone give about 3.3.
    assertTrue(before > 4.0, "an untrained model is near uniform: " + before);
    assertTrue(after.loss() < 3.3, "validation loss after 2 short epochs " + after.loss());
    assertTrue(after.accuracy() > 0.15, "next-character accuracy " + after.accuracy());

    String a = ShakespeareChars.generate(model, vocabulary, "ROMEO:\n", 40, 0.8f, 10, 7);
    String b = ShakespeareChars.generate(model, vocabulary, "ROMEO:\n", 40, 0.8f, 10, 7);
    String c = ShakespeareChars.generate(model, vocabulary, "ROMEO:\n", 40, 0.8f, 10, 8);
    assertEquals(40, a.length());
    assertEquals(a, b, "the same sampling seed writes the same text");
    assertNotEquals(a, c, "another sampling seed writes another text");
    assertThrows(RuntimeException.class,
        () -> ShakespeareChars.generate(model, vocabulary, "ROMEO: \u00e9", 5, 1f, 0, 1),
        "a character outside the vocabulary is refused");
  }

  @Test
  void sunspotsForecastBeatsPersistenceOnTheHeldOutYears() {
    float[] series = Sunspots.series();
    assertEquals(309, series.length);
    TimeSeriesSplit split = TimeSeriesWindows.split("sunspots", series, Sunspots.LOOKBACK, 1, Sunspots.TEST_YEARS,
        SeriesScaler.Method.STANDARD);
    SunspotsModel model = new SunspotsModel();
    model.train(split.train(), TrainOptions.epochs(60).quiet());
    Dataset test = split.test();
    double model2 = 0;
    double persistence2 = 0;
    for (int j = 0; j < test.rows(); j++) {
      int year = split.testStart() + j;
      double forecast = split.scaler().inverse(model.predict(test.row(j))[0]);
      model2 += (forecast - series[year]) * (forecast - series[year]);
      persistence2 += (series[year - 1] - series[year]) * (series[year - 1] - series[year]);
    }
    double rmse = Math.sqrt(model2 / test.rows());
    double persistence = Math.sqrt(persistence2 / test.rows());
    // Measured with the sample's 150 epochs: 20.1 against persistence 29.9.
    assertTrue(rmse < persistence, "GRU RMSE " + rmse + " vs persistence " + persistence);
  }
}
