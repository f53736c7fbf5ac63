package demo;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.TrainOptions;

/**
 * Kiln without a build tool: compiled by plain {@code javac} with the processor jar (see the
 * README, "With plain javac"), it learns XOR and prints {@code accuracy 1.0}. PlainJavacTest in
 * the samples module runs exactly this file.
 */
@Network(inputs = 2, loss = Loss.BINARY_CROSS_ENTROPY, learningRate = 0.05, batchSize = 4, seed = 1)
public class Xor {
  @Dense(units = 8, activation = Activation.TANH)
  Layer hidden;

  @Dense(units = 1, activation = Activation.SIGMOID)
  Layer out;

  public static void main(String[] args) {
    Dataset xor = Dataset.classification("xor", new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2, new int[] {0, 1, 1, 0}, 2);
    XorModel model = new XorModel();
    model.train(xor, TrainOptions.epochs(300).quiet());
    System.out.println("accuracy " + model.evaluate(xor).accuracy());
  }
}
