package dev.kiln.processor;

import com.google.auto.service.AutoService;
import com.palantir.javapoet.JavaFile;
import dev.kiln.dsl.Dense;
import dev.kiln.dsl.Dropout;
import dev.kiln.dsl.Network;
import dev.kiln.processor.check.Diagnostic;
import dev.kiln.processor.check.GraphChecker;
import dev.kiln.processor.check.Message;
import dev.kiln.processor.emit.ModelEmitter;
import dev.kiln.processor.infer.ShapeInference;
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
    return Set.of(Network.class.getCanonicalName(), Dense.class.getCanonicalName(), Dropout.class.getCanonicalName());
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
    for (Class<? extends java.lang.annotation.Annotation> layer : List.of(Dense.class, Dropout.class)) {
      for (Element field : round.getElementsAnnotatedWith(layer)) {
        Diagnostic d = NetworkReader.checkLayerPlacement(field, layer);
        if (d != null) {
          reporter.report(d);
        }
      }
    }
    for (Element element : round.getElementsAnnotatedWith(Network.class)) {
      try {
        compile(element, reporter);
      } catch (RuntimeException | Error e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        reporter.report(Diagnostic.of(Message.INTERNAL, new Origin(element, null), null, element, trace));
      }
    }
    return false;
  }

  private void compile(Element element, DiagnosticReporter reporter) {
    NetworkReader.Result read = NetworkReader.read(element);
    List<Diagnostic> problems = new ArrayList<>(read.diagnostics());
    Graph graph = read.graph();
    if (graph != null) {
      problems.addAll(GraphChecker.check(graph));
    }
    problems.forEach(reporter::report);
    if (graph == null || !problems.isEmpty()) {
      return; // never render a model from an invalid network
    }
    ShapeInference.infer(graph);
    Plan plan = Planner.plan(graph);
    JavaFile file = ModelEmitter.emit(plan, KilnProcessor.class.getCanonicalName());
    String name = graph.packageName().isEmpty() ? graph.modelName() : graph.packageName() + "." + graph.modelName();
    if (processingEnv.getOptions().containsKey(VERBOSE)) {
      processingEnv.getMessager().printMessage(
          javax.tools.Diagnostic.Kind.NOTE,
          "Kiln: " + name + ": " + plan.groups().size() + " fused dense groups, " + plan.parameterCount()
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
