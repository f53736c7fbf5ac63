package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Init;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Optimizer;
import dev.kiln.processor.check.GraphChecker;
import dev.kiln.processor.infer.ShapeInference;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.OpAttrs;
import dev.kiln.processor.ir.OpKind;
import dev.kiln.processor.ir.Origin;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The plan stage on graphs built in memory, without javac. */
class PlannerTest {

  private static Graph graph(Loss loss, Object... layers) {
    NetworkConfig config =
        new NetworkConfig(10, loss, Optimizer.ADAM, 1e-3, 0, false, 0.9, 0.999, 1e-8, 0, 32, 1, Set.of());
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node(0, "input", OpKind.INPUT, List.of(), new OpAttrs.Input(10, Set.of()), Origin.NONE));
    for (int i = 0; i < layers.length; i += 2) {
      String name = (String) layers[i];
      OpAttrs a = (OpAttrs) layers[i + 1];
      OpKind kind = a instanceof OpAttrs.Dense ? OpKind.DENSE : OpKind.DROPOUT;
      nodes.add(new Node(nodes.size(), name, kind, List.of(nodes.get(nodes.size() - 1)), a, Origin.NONE));
    }
    Graph g = new Graph("p", "Net", "Net", config, nodes, Origin.NONE);
    assertEquals(List.of(), GraphChecker.check(g));
    ShapeInference.infer(g);
    return g;
  }

  private static OpAttrs.Dense dense(int units, Activation act) {
    return new OpAttrs.Dense(units, act, 0.01, true, Init.AUTO, true, Set.of());
  }

  @Test
  void parameterArenaIsContiguousInLayerOrder() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, "h", dense(8, Activation.RELU), "out", dense(3, Activation.SOFTMAX)));
    List<ParamSlot> params = p.params();
    assertEquals(List.of("h.kernel", "h.bias", "out.kernel", "out.bias"), params.stream().map(ParamSlot::name).toList());
    assertEquals(0, params.get(0).offset());
    assertEquals(80, params.get(1).offset());
    assertEquals(88, params.get(2).offset());
    assertEquals(112, params.get(3).offset());
    assertEquals(115, p.parameterCount());
    assertEquals("HE_NORMAL", params.get(0).initializer());
    assertEquals("XAVIER_UNIFORM", params.get(2).initializer());
  }

  @Test
  void activationArenaStartsWithTheInputAndHasNoOverlaps() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, "h", dense(8, Activation.GELU), "d", new OpAttrs.Dropout(0.5, Set.of()), "out", dense(3, Activation.SOFTMAX)));
    assertEquals("INPUT", p.inputTensor().constant());
    assertEquals(0, p.inputTensor().perSampleOffset());
    int next = 0;
    for (TensorSlot t : p.tensors()) {
      assertEquals(next, t.perSampleOffset(), t.constant());
      next += t.width();
    }
    assertEquals(next, p.activationFloatsPerSample());
  }

  @Test
  void crossEntropyHeadIsFusedIntoTheLossAndGeluKeepsItsPreActivation() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, "h", dense(8, Activation.GELU), "out", dense(3, Activation.SOFTMAX)));
    DenseGroup h = p.groups().get(0);
    DenseGroup out = p.groups().get(1);
    assertNotNull(h.preActivation(), "GELU's derivative needs z");
    assertEquals(Activation.LINEAR, out.epilogueActivation(), "logits: the loss applies softmax");
    assertEquals(Activation.SOFTMAX, out.head());
    assertSame(out.probabilities(), out.finalOutput());
  }

  @Test
  void consecutiveLayersPingPongBetweenTwoGradientBuffers() {
    Plan p = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "a", dense(8, Activation.TANH), "b", dense(6, Activation.TANH), "c", dense(4, Activation.TANH), "out", dense(2, Activation.LINEAR)));
    List<DenseGroup> g = p.groups();
    for (int i = 1; i < g.size(); i++) {
      assertNotEquals(g.get(i).gradient(), g.get(i - 1).gradient(), "layer " + i + " reads one buffer and writes the other");
    }
    assertSame(g.get(0).gradient(), g.get(2).gradient());
    assertEquals(8, g.get(0).gradient().width(), "as wide as the widest layer");
    assertNull(g.get(3).head());
  }

  @Test
  void dropoutFeedsTheNextLayerOnlyWhileTraining() {
    Plan p = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "a", dense(8, Activation.RELU), "drop", new OpAttrs.Dropout(0.25, Set.of()), "out", dense(1, Activation.LINEAR)));
    DenseGroup out = p.groups().get(1);
    assertNotNull(out.dropout());
    assertSame(p.groups().get(0).out(), out.input());
    assertSame(out.dropout().out(), out.trainingInput());
  }

  @Test
  void architectureNamesLayersSizesAndActivationsButNotTheLoss() {
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", dense(8, Activation.TANH), "out", dense(2, Activation.LINEAR)));
    assertEquals("input[10] -> h=Dense(8,TANH) -> out=Dense(2,LINEAR)", a.architecture());
    assertEquals(64, a.architectureHash().length());
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", dense(9, Activation.TANH), "out", dense(2, Activation.LINEAR)));
    assertNotEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void leakyReluSlopeIsPartOfTheArchitecture() {
    OpAttrs.Dense leaky = new OpAttrs.Dense(8, Activation.LEAKY_RELU, 0.05, true, Init.AUTO, true, Set.of("negativeSlope"));
    OpAttrs.Dense other = new OpAttrs.Dense(8, Activation.LEAKY_RELU, 0.2, true, Init.AUTO, true, Set.of("negativeSlope"));
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", leaky, "out", dense(1, Activation.LINEAR)));
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", other, "out", dense(1, Activation.LINEAR)));
    assertEquals("input[10] -> h=Dense(8,LEAKY_RELU(0.05)) -> out=Dense(1,LINEAR)", a.architecture());
    assertNotEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void freezingALayerDoesNotChangeTheArchitecture() {
    OpAttrs.Dense frozen = new OpAttrs.Dense(8, Activation.TANH, 0.01, true, Init.AUTO, false, Set.of("trainable"));
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", dense(8, Activation.TANH), "out", dense(2, Activation.LINEAR)));
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, "h", frozen, "out", dense(2, Activation.LINEAR)));
    // Saved weights of a network load into its frozen variant and back.
    assertEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void constantNamesFollowTheFieldNames() {
    assertEquals("HIDDEN_LAYER", Planner.constantName("hiddenLayer"));
    assertEquals("FC1", Planner.constantName("fc1"));
  }
}
