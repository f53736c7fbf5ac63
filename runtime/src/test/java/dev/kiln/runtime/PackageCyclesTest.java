package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runtime's packages depend on each other without cycles: read from the sources, package A
 * depends on package B when a file of A names a type of B (an import, or a qualified name in code;
 * comments and string literals do not count).
 */
class PackageCyclesTest {
  private static final Path SOURCES = Path.of("src/main/java/dev/kiln/runtime");
  private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.kiln\\.runtime\\.([a-z][a-z0-9_]*)\\.");

  @Test
  void runtimePackagesFormNoCycle() throws IOException {
    Map<String, Set<String>> graph = dependencies(SOURCES);
    assertTrue(graph.size() >= 6, "read the runtime's packages from " + SOURCES.toAbsolutePath() + ": " + graph.keySet());
    List<String> cycle = cycle(graph);
    assertTrue(cycle.isEmpty(), "package cycle " + String.join(" -> ", cycle) + " in " + graph);
  }

  @Test
  void kernelsDependOnNoOtherRuntimePackage() throws IOException {
    assertEquals(Set.of(), dependencies(SOURCES).get("kernels"));
  }

  @Test
  void theCheckFindsACycle() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.put("data", Set.of("kernels"));
    graph.put("kernels", Set.of());
    graph.put("model", Set.of("train", "data"));
    graph.put("train", Set.of("data", "model"));
    assertEquals(List.of("model", "train", "model"), cycle(graph));
    graph.put("train", Set.of("data"));
    assertEquals(List.of(), cycle(graph));
  }

  @Test
  void commentsAndStringsAreNotDependencies() {
    String code =
        "package dev.kiln.runtime.train;\n"
            + "import dev.kiln.runtime.data.Dataset; // see dev.kiln.runtime.model.Model\n"
            + "/** {@link dev.kiln.runtime.model.Model} */ class A { String s = \"dev.kiln.runtime.io.X\";\n"
            + "  dev.kiln.runtime.optim.Optimizer o; char c = '\"'; }\n";
    assertEquals(Set.of("data", "optim"), referencedPackages(code));
  }

  /** Package (last name segment) to the runtime packages its files reference, itself excluded. */
  static Map<String, Set<String>> dependencies(Path root) throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String pkg = root.relativize(file.getParent()).toString().replace('/', '.');
        if (pkg.isEmpty()) {
          continue;
        }
        Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
        for (String d : referencedPackages(Files.readString(file))) {
          if (!d.equals(pkg)) {
            deps.add(d);
          }
        }
      }
    }
    return graph;
  }

  /** Runtime packages named in {@code source} outside comments, string and character literals. */
  static Set<String> referencedPackages(String source) {
    Set<String> out = new TreeSet<>();
    Matcher m = REFERENCE.matcher(code(source));
    while (m.find()) {
      out.add(m.group(1));
    }
    out.remove(packageOf(source));
    return out;
  }

  private static String packageOf(String source) {
    Matcher m = Pattern.compile("^package dev\\.kiln\\.runtime\\.([a-z0-9_.]+);", Pattern.MULTILINE).matcher(source);
    return m.find() ? m.group(1) : "";
  }

  /** {@code source} with comments and literals blanked out, and the package line removed. */
  private static String code(String source) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = source.length();
    while (i < n) {
      char c = source.charAt(i);
      if (source.startsWith("//", i)) {
        i = lineEnd(source, i);
      } else if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && source.charAt(j) != c) {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(c).append(c);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString().replaceFirst("(?m)^package [^;]*;", "");
  }

  private static int lineEnd(String s, int i) {
    int end = s.indexOf('\n', i);
    return end < 0 ? s.length() : end;
  }

  /** A cycle {@code a -> b -> ... -> a} of {@code graph}, or an empty list if it has none. */
  static List<String> cycle(Map<String, Set<String>> graph) {
    Map<String, Integer> state = new TreeMap<>(); // absent: unvisited, 1: on the path, 2: done
    List<String> path = new ArrayList<>();
    for (String start : graph.keySet()) {
      List<String> found = visit(start, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    return List.of();
  }

  private static List<String> visit(
      String node, Map<String, Set<String>> graph, Map<String, Integer> state, List<String> path) {
    Integer s = state.get(node);
    if (s != null && s == 2) {
      return List.of();
    }
    if (s != null) {
      List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
      cycle.add(node);
      return cycle;
    }
    state.put(node, 1);
    path.add(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      List<String> found = visit(next, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
    return List.of();
  }
}
