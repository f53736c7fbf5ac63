package dev.kiln.processor.ir;

import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Optimizer;
import java.util.Set;

/**
 * The network-level settings of {@code @Network}.
 *
 * @param explicit attribute names the user wrote (the rest are defaults)
 */
public record NetworkConfig(
    int inputs,
    Loss loss,
    Optimizer optimizer,
    double learningRate,
    double momentum,
    boolean nesterov,
    double beta1,
    double beta2,
    double epsilon,
    double weightDecay,
    int batchSize,
    long seed,
    Set<String> explicit) {}
