package com.example.quickstart;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Layer;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Network;
import dev.kiln.dsl.Optimizer;

/**
 * The network: 4 measurements in, 16 ReLU units, 3 species out. javac (with Kiln's processor)
 * checks it and writes {@code IrisModel} next to it, in {@code target/generated-sources/annotations}.
 */
@Network(inputs = 4, loss = Loss.SOFTMAX_CROSS_ENTROPY, optimizer = Optimizer.ADAM, learningRate = 1e-2, batchSize = 16, seed = 42)
public class Iris {
  @Dense(units = 16, activation = Activation.RELU)
  Layer hidden;

  @Dense(units = 3, activation = Activation.SOFTMAX)
  Layer species;
}
