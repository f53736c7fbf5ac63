package dev.kiln.bench;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.kernels.Parallelism;
import java.util.Locale;

/**
 * One JVM's worth of the two-thread check of {@code bench/scaling}: FashionMlp training samples/s
 * (median epoch after a warm-up epoch, each on a fresh model) on one thread and on {@code threads},
 * in the order given, as one JSON line. The script runs it in several fresh JVMs back to back,
 * alternating the order, because the slow two-thread mode it looks for holds for a whole run.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.kiln.bench.ThreadScaling [threads] [epochs] [one-first: true|false]}
 */
public final class ThreadScaling {
  private ThreadScaling() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    boolean oneFirst = args.length > 2 && Boolean.parseBoolean(args[2]);
    Dataset train = EndToEnd.trainingData();
    double one = 0;
    double many = 0;
    for (int leg = 0; leg < 2; leg++) {
      boolean single = (leg == 0) == oneFirst;
      Parallelism.setThreads(single ? 1 : threads);
      double rate = EndToEnd.trainingSamplesPerSecond(train, epochs);
      if (single) {
        one = rate;
      } else {
        many = rate;
      }
    }
    System.out.println(String.format(Locale.ROOT,
        "{\"threads\": %d, \"one_thread\": %.0f, \"many_threads\": %.0f, \"ratio\": %.4f, \"one_first\": %b, "
            + "\"thread_tuning\": \"%s\"}",
        threads, one, many, many / one, oneFirst, System.getProperty("kiln.threadTuning", "true")));
  }
}
