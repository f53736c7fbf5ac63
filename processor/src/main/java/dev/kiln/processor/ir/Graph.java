package dev.kiln.processor.ir;

import java.util.List;

/**
 * A network as the compiler sees it: nodes in topological order (the input first, the output
 * last) plus the network-level configuration. Built by {@code read}, validated by {@code check},
 * annotated with shapes by {@code infer}.
 *
 * @param packageName package of the specification class ("" for the unnamed package)
 * @param networkName simple name of the specification class
 * @param sourceName the specification class's name within its package ({@code Outer.Inner} if nested)
 * @param config {@code @Network} settings
 * @param nodes nodes in topological order
 * @param origin the {@code @Network} declaration
 * @param modelName the generated model's simple name: {@code @Network(name = ...)}, else the
 *     specification's simple name plus {@code Model}
 */
public record Graph(
    String packageName,
    String networkName,
    String sourceName,
    NetworkConfig config,
    List<Node> nodes,
    Origin origin,
    String modelName) {
  public Graph {
    nodes = List.copyOf(nodes);
  }

  /** A graph whose model takes the default name, {@code networkName + "Model"}. */
  public Graph(
      String packageName, String networkName, String sourceName, NetworkConfig config, List<Node> nodes, Origin origin) {
    this(packageName, networkName, sourceName, config, nodes, origin, networkName + "Model");
  }

  /** The generated model's fully qualified name. */
  public String qualifiedModelName() {
    return packageName.isEmpty() ? modelName : packageName + "." + modelName;
  }

  /** The input node. */
  public Node input() {
    return nodes.get(0);
  }

  /** The output node (the last layer). */
  public Node output() {
    return nodes.get(nodes.size() - 1);
  }

  /** Nodes that are layers (everything but the input). */
  public List<Node> layers() {
    return nodes.subList(1, nodes.size());
  }
}
