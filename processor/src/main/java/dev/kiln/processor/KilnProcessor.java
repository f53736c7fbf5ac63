package dev.kiln.processor;

import com.google.auto.service.AutoService;
import com.palantir.javapoet.JavaFile;
import dev.kiln.dsl.Network;
import dev.kiln.processor.check.Diagnostic;
import dev.kiln.processor.check.GraphChecker;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.emit.ModelEmitter;
import dev.kiln.processor.op.Op;
import dev.kiln.processor.op.Ops;
import dev.kiln.processor.ir.Graph;
import dev.kiln.processor.ir.Origin;
import dev.kiln.processor.plan.Plan;
import dev.kiln.processor.plan.Planner;
import dev.kiln.processor.read.NetworkReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;
import javax.tools.JavaFileObject;

/**
 * Kiln's annotation processor: for every {@code @Network} class it runs read → check → infer →
 * plan → emit and writes {@code <Name>Model}. Every error of a compile is reported, each on the
 * element and annotation value at fault; an internal failure becomes one error with its trace
 * instead of crashing javac.
 */
@AutoService(Processor.class)
public final class KilnProcessor extends AbstractProcessor {
  /** {@code -Akiln.verbose}: print a note per network with its plan's arena sizes. */
  static final String VERBOSE = "kiln.verbose";

  /** Processor options Kiln understands (none change the generated code's meaning). */
  static final Set<String> OPTIONS = Set.of(VERBOSE);

  @Override
  public Set<String> getSupportedAnnotationTypes() {
    Set<String> types = new TreeSet<>();
    types.add(Network.class.getCanonicalName());
    for (Op op : Ops.LAYERS) {
      types.add(op.annotation().getCanonicalName());
    }
    return types;
  }

  @Override
  public Set<String> getSupportedOptions() {
    return OPTIONS;
  }

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  private boolean optionsChecked;

  /** Generated model names written in earlier rounds, with the network that claimed each. */
  private final Map<String, Element> written = new HashMap<>();

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    DiagnosticReporter reporter = new DiagnosticReporter(processingEnv.getMessager());
    if (!optionsChecked) {
      optionsChecked = true;
      for (String option : new TreeSet<>(processingEnv.getOptions().keySet())) {
        if (option.startsWith("kiln.") && !OPTIONS.contains(option)) {
          reporter.report(Diagnostic.of(Message.UNKNOWN_PROCESSOR_OPTION, Origin.NONE, null, option, new TreeSet<>(OPTIONS)));
        }
      }
    }
    for (Op op : Ops.LAYERS) {
      for (Element field : round.getElementsAnnotatedWith(op.annotation())) {
        Diagnostic d = NetworkReader.checkLayerPlacement(field, op.annotation());
        if (d != null) {
          reporter.report(d);
        }
      }
    }
    // Read and check every network of the round first, so that two networks generating the same
    // class are both reported before either is written.
    Map<String, List<Element>> byModelName = new LinkedHashMap<>();
    Map<Element, Graph> valid = new LinkedHashMap<>();
    for (Element element : round.getElementsAnnotatedWith(Network.class)) {
      try {
        Graph graph = check(element, reporter);
        if (graph != null) {
          byModelName.computeIfAbsent(graph.qualifiedModelName(), k -> new ArrayList<>()).add(element);
          valid.put(element, graph);
        }
      } catch (RuntimeException | Error e) {
        internal(element, e, reporter);
      }
    }
    for (Map.Entry<String, List<Element>> e : byModelName.entrySet()) {
      List<Element> claimants = new ArrayList<>(e.getValue());
      Element earlier = written.get(e.getKey());
      if (earlier != null) {
        claimants.add(0, earlier);
      }
      if (claimants.size() > 1) {
        reportClash(e.getKey(), claimants, valid, reporter);
        e.getValue().forEach(valid::remove);
      }
    }
    for (Map.Entry<Element, Graph> e : valid.entrySet()) {
      try {
        emit(e.getKey(), e.getValue());
        written.put(e.getValue().qualifiedModelName(), e.getKey());
      } catch (RuntimeException | Error failure) {
        internal(e.getKey(), failure, reporter);
      }
    }
    return false;
  }

  private static void internal(Element element, Throwable e, DiagnosticReporter reporter) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    reporter.report(Diagnostic.of(Message.INTERNAL, new Origin(element, null), null, element, trace));
  }

  /** One error on each network that claims {@code modelName}, naming the others. */
  private static void reportClash(
      String modelName, List<Element> claimants, Map<Element, Graph> graphs, DiagnosticReporter reporter) {
    for (Element element : claimants) {
      List<String> others = new ArrayList<>();
      for (Element other : claimants) {
        if (other != element) {
          others.add(((TypeElement) other).getQualifiedName().toString());
        }
      }
      Graph graph = graphs.get(element);
      Origin origin = graph != null ? graph.origin() : new Origin(element, null);
      boolean named = graph != null && !graph.modelName().equals(graph.networkName() + "Model");
      reporter.report(
          Diagnostic.of(
              Message.NAME_CLASH,
              origin,
              named ? "name" : null,
              ((TypeElement) element).getQualifiedName(),
              String.join(" and ", others),
              modelName));
    }
  }

  /** Reads and checks a network: its graph, or null after reporting why there is none. */
  private static Graph check(Element element, DiagnosticReporter reporter) {
    NetworkReader.Result read = NetworkReader.read(element);
    List<Diagnostic> problems = new ArrayList<>(read.diagnostics());
    Graph graph = read.graph();
    if (graph != null) {
      problems.addAll(GraphChecker.check(graph));
    }
    problems.forEach(reporter::report);
    return problems.isEmpty() ? graph : null; // never render a model from an invalid network
  }

  private void emit(Element element, Graph graph) {
    Plan plan = Planner.plan(graph);
    JavaFile file = ModelEmitter.emit(plan, KilnProcessor.class.getCanonicalName());
    String name = graph.qualifiedModelName();
    if (processingEnv.getOptions().containsKey(VERBOSE)) {
      processingEnv.getMessager().printMessage(
          javax.tools.Diagnostic.Kind.NOTE,
          "Kiln: " + name + ": " + (graph.nodes().size() - 1) + " layers, " + plan.parameterCount()
              + " parameters, " + plan.activationFloatsPerSample() + " activation floats per sample",
          element);
    }
    try {
      // One originating element per file: what Gradle's isolating processors require.
      JavaFileObject source = processingEnv.getFiler().createSourceFile(name, element);
      try (Writer w = source.openWriter()) {
        file.writeTo(w);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("could not write " + name, e);
    }
  }
}
