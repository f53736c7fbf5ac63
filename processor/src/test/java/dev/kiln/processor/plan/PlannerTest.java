package dev.kiln.processor.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.dsl.Activation;
import dev.kiln.dsl.Init;
import dev.kiln.dsl.Loss;
import dev.kiln.dsl.Optimizer;
import dev.kiln.dsl.Padding;
import dev.kiln.processor.check.GraphChecker;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.NetworkConfig;
import dev.kiln.processor.ir.Node;
import dev.kiln.processor.ir.Origin;
import dev.kiln.processor.ir.Shape;
import dev.kiln.processor.op.AddOp;
import dev.kiln.processor.op.Conv2DOp;
import dev.kiln.processor.op.DenseOp;
import dev.kiln.processor.op.DropoutOp;
import dev.kiln.processor.op.FlattenOp;
import dev.kiln.processor.op.GlobalAveragePool2DOp;
import dev.kiln.processor.op.InputOp;
import dev.kiln.processor.op.Op;
import dev.kiln.processor.op.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The plan stage on graphs built in memory, without javac. */
class PlannerTest {
  /** A layer for {@link #graph}: its op, attributes and explicit inputs (empty: the previous layer). */
  private record L(String name, Op op, Object attrs, String... from) {}

  private static Graph graph(Loss loss, int[] inputShape, L... layers) {
    int inputs = new Shape(inputShape).size();
    NetworkConfig config =
        new NetworkConfig(inputs, inputShape, loss, Optimizer.ADAM, 1e-3, 0, false, 0.9, 0.999, 1e-8, 0, 32, 1, Set.of());
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node(0, "input", Ops.INPUT, new InputOp.Attrs(new Shape(inputShape)), Set.of(), List.of(), Origin.NONE));
    for (L l : layers) {
      Node n = new Node(nodes.size(), l.name(), l.op(), l.attrs(), Set.of(), List.of(l.from()), Origin.NONE);
      if (l.from().length == 0) {
        n.addInput(nodes.get(nodes.size() - 1));
      } else {
        for (String f : l.from()) {
          n.addInput(nodes.stream().filter(x -> x.name().equals(f)).findFirst().orElseThrow());
        }
      }
      nodes.add(n);
    }
    Graph g = new Graph("p", "Net", "Net", config, nodes, Origin.NONE);
    assertEquals(List.of(), GraphChecker.check(g));
    return g;
  }

  private static Graph graph(Loss loss, L... layers) {
    return graph(loss, new int[] {10}, layers);
  }

  private static L dense(String name, int units, Activation act, String... from) {
    return new L(name, new DenseOp(), new DenseOp.Attrs(units, act, 0.01, true, Init.AUTO, true), from);
  }

  private static L conv(String name, int filters, int k, Activation act, String... from) {
    return new L(name, new Conv2DOp(), new Conv2DOp.Attrs(filters, new int[] {k}, new int[] {1}, Padding.SAME, new int[0],
        new int[] {1}, 1, act, 0.01, true, Init.AUTO, true), from);
  }

  @Test
  void parameterArenaIsContiguousInLayerOrder() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, dense("h", 8, Activation.RELU), dense("out", 3, Activation.SOFTMAX)));
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
  void forwardTensorsStartWithTheInputAndNeverOverlap() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, dense("h", 8, Activation.GELU),
        new L("d", new DropoutOp(), new DropoutOp.Attrs(0.5)), dense("out", 3, Activation.SOFTMAX)));
    TensorSlot input = p.outputs().get(p.graph().input());
    assertEquals("INPUT", input.constant());
    assertEquals(0, input.perSampleOffset());
    int next = 0;
    for (TensorSlot t : p.tensors()) {
      if (t.constant().endsWith("_GRAD")) {
        continue;
      }
      assertEquals(next, t.perSampleOffset(), t.constant());
      next += t.width();
    }
    assertTrue(next <= p.activationFloatsPerSample());
  }

  @Test
  void crossEntropyHeadIsFusedIntoTheLossAndGeluKeepsItsPreActivation() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, dense("h", 8, Activation.GELU), dense("out", 3, Activation.SOFTMAX)));
    Node h = p.graph().nodes().get(1);
    Node out = p.graph().output();
    assertNotNull(p.saved().get(h).get("pre"), "GELU's derivative needs z");
    assertEquals(Activation.LINEAR, p.effective().get(out).activation(), "logits: the loss applies softmax");
    assertEquals(Activation.SOFTMAX, p.head());
    assertSame(p.probabilities(), p.finalOutput());
    assertTrue(p.preActivationGrads().contains(out));
    assertSame(h, p.folds().get(out).producer(), "out's backward folds GELU' of h");
  }

  @Test
  void gradientsOfAChainShareMemoryLikePingPongBuffers() {
    Plan p = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, dense("a", 8, Activation.TANH), dense("b", 6, Activation.TANH),
        dense("c", 4, Activation.TANH), dense("out", 2, Activation.LINEAR)));
    List<Node> n = p.graph().nodes();
    TensorSlot a = p.grads().get(n.get(1));
    TensorSlot b = p.grads().get(n.get(2));
    TensorSlot c = p.grads().get(n.get(3));
    TensorSlot out = p.grads().get(n.get(4));
    assertNotEquals(a.perSampleOffset(), b.perSampleOffset(), "b's backward reads g(b) and writes g(a)");
    assertEquals(a.perSampleOffset(), c.perSampleOffset(), "g(a) is born after g(c) died");
    int start = Math.min(a.perSampleOffset(), b.perSampleOffset());
    int end = Math.max(a.perSampleOffset() + 8, b.perSampleOffset() + 6);
    assertEquals(14, end - start, "two buffers' worth, as the ping-pong of the dense-only planner");
    assertTrue(out.perSampleOffset() >= start && out.perSampleOffset() + 2 <= end);
    assertNull(p.head());
  }

  @Test
  void dropoutBetweenDenseLayersIsFoldedIntoTheNextLayersBackward() {
    Plan p = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, dense("a", 8, Activation.RELU),
        new L("drop", new DropoutOp(), new DropoutOp.Attrs(0.25)), dense("out", 1, Activation.LINEAR)));
    Node a = p.graph().nodes().get(1);
    Node drop = p.graph().nodes().get(2);
    Plan.Fold fold = p.folds().get(p.graph().output());
    assertSame(a, fold.producer());
    assertSame(drop, fold.dropout());
    assertTrue(p.foldedAway().contains(drop));
    assertNull(p.grads().get(drop), "the dropout's gradient is never materialized");
    assertNotNull(p.saved().get(drop).get("mask"));
  }

  @Test
  void aTensorReadTwiceReceivesTheSumOfBothGradients() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, new int[] {2, 5, 5},
        conv("stem", 4, 3, Activation.RELU),
        conv("branch", 4, 3, Activation.LINEAR),
        new L("sum", new AddOp(), new AddOp.Attrs(), "branch", "stem"),
        new L("gap", new GlobalAveragePool2DOp(), new GlobalAveragePool2DOp.Attrs()),
        dense("out", 3, Activation.SOFTMAX)));
    List<Node> n = p.graph().nodes();
    Node stem = n.get(1);
    Node branch = n.get(2);
    Node sum = n.get(3);
    // Backward runs sum (writes g(branch), g(stem)), then branch (adds into g(stem)).
    assertFalse(p.accumulate().get(sum)[0]);
    assertFalse(p.accumulate().get(sum)[1], "first contribution to g(stem) overwrites");
    assertTrue(p.accumulate().get(branch)[0], "second contribution to g(stem) adds");
    assertFalse(p.preActivationGrads().contains(stem), "stem's ReLU' is applied once its gradient is complete");
    assertEquals("input[2,5,5] -> stem=Conv2D(4,3x3,s1x1,p1.1.1.1,d1x1,g1,RELU) -> branch=Conv2D(4,3x3,s1x1,p1.1.1.1,d1x1,g1,LINEAR)"
        + " -> sum=Add<-(branch,stem) -> gap=GlobalAveragePool2D -> out=Dense(3,SOFTMAX)", p.architecture());
  }

  @Test
  void flattenIsAnAliasOfItsInput() {
    Plan p = Planner.plan(graph(Loss.SOFTMAX_CROSS_ENTROPY, new int[] {1, 4, 4},
        conv("conv", 2, 3, Activation.RELU), new L("flat", new FlattenOp(), new FlattenOp.Attrs()),
        dense("out", 3, Activation.SOFTMAX)));
    List<Node> n = p.graph().nodes();
    assertSame(p.outputs().get(n.get(1)), p.outputs().get(n.get(2)));
    assertEquals(Shape.vector(32), n.get(2).shape());
    assertSame(n.get(1), p.folds().get(n.get(3)).producer(), "the dense layer folds ReLU' of the conv through the flatten");
  }

  @Test
  void architectureNamesLayersSizesAndActivationsButNotTheLoss() {
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, dense("h", 8, Activation.TANH), dense("out", 2, Activation.LINEAR)));
    assertEquals("input[10] -> h=Dense(8,TANH) -> out=Dense(2,LINEAR)", a.architecture());
    assertEquals(64, a.architectureHash().length());
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, dense("h", 9, Activation.TANH), dense("out", 2, Activation.LINEAR)));
    assertNotEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void leakyReluSlopeIsPartOfTheArchitecture() {
    L leaky = new L("h", new DenseOp(), new DenseOp.Attrs(8, Activation.LEAKY_RELU, 0.05, true, Init.AUTO, true));
    L other = new L("h", new DenseOp(), new DenseOp.Attrs(8, Activation.LEAKY_RELU, 0.2, true, Init.AUTO, true));
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, leaky, dense("out", 1, Activation.LINEAR)));
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, other, dense("out", 1, Activation.LINEAR)));
    assertEquals("input[10] -> h=Dense(8,LEAKY_RELU(0.05)) -> out=Dense(1,LINEAR)", a.architecture());
    assertNotEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void freezingALayerDoesNotChangeTheArchitecture() {
    L frozen = new L("h", new DenseOp(), new DenseOp.Attrs(8, Activation.TANH, 0.01, true, Init.AUTO, false));
    Plan a = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, dense("h", 8, Activation.TANH), dense("out", 2, Activation.LINEAR)));
    Plan b = Planner.plan(graph(Loss.MEAN_SQUARED_ERROR, frozen, dense("out", 2, Activation.LINEAR)));
    // Saved weights of a network load into its frozen variant and back.
    assertEquals(a.architectureHash(), b.architectureHash());
  }

  @Test
  void constantNamesFollowTheFieldNames() {
    assertEquals("HIDDEN_LAYER", Planner.constantName("hiddenLayer"));
    assertEquals("FC1", Planner.constantName("fc1"));
    assertEquals("RUNNING_MEAN", Planner.constantName("running_mean"));
  }
}
