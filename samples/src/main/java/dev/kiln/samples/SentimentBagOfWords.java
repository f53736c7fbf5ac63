package dev.kiln.samples;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.data.Vocabulary;

/**
 * The baseline {@link Sentiment} compares itself with: each sentence as the set of its words (a
 * {@value Sentiment#VOCABULARY}-long 0/1 vector over the same vocabulary, padding and unknown words
 * left out), a small dense network on it. Word order is lost; what the LSTM adds is measured against
 * this.
 */
@Network(inputs = Sentiment.VOCABULARY, loss = Loss.BINARY_CROSS_ENTROPY, optimizer = Optimizer.ADAM,
    learningRate = 1e-3, batchSize = 32, seed = 17)
public class SentimentBagOfWords {
  @Dense(units = 32, activation = Activation.RELU)
  Layer hidden;

  @Dropout(rate = 0.5)
  Layer dropout;

  @Dense(units = 1, activation = Activation.SIGMOID)
  Layer output;

  /** Epochs the sample trains it for. */
  public static final int EPOCHS = 12;

  private SentimentBagOfWords() {}

  /** Token-id sentences ({@link Sentiment}'s encoding) as 0/1 word-presence vectors, labels kept. */
  public static Dataset bagOfWords(Dataset sentences) {
    int rows = sentences.rows();
    int length = sentences.cols();
    float[] ids = sentences.features();
    float[] x = new float[Math.multiplyExact(rows, Sentiment.VOCABULARY)];
    for (int i = 0; i < rows; i++) {
      for (int t = 0; t < length; t++) {
        int id = (int) ids[i * length + t];
        if (id != Vocabulary.PAD && id != Vocabulary.OOV) {
          x[i * Sentiment.VOCABULARY + id] = 1f;
        }
      }
    }
    return Dataset.classification(sentences.name() + "/bag-of-words", x, rows, Sentiment.VOCABULARY,
        sentences.labels(), sentences.classes());
  }
}
