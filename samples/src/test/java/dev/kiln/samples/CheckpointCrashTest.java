package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.data.Dataset;
import dev.kiln.runtime.train.Callback;
import dev.kiln.runtime.train.ModelCheckpoint;
import dev.kiln.runtime.train.TrainOptions;
import dev.kiln.runtime.train.TrainingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM trains and writes a checkpoint after every epoch, numbered and also over one fixed
 * name, until it is killed with SIGKILL at a random moment (often in the middle of a write: the
 * fsync makes writing most of an epoch's time). Afterwards every checkpoint the directory shows
 * must be complete, and the newest must resume to exactly the weights of an uninterrupted run.
 */
class CheckpointCrashTest {
  static final Dataset TRAIN = SampleData.digits().subset(0, 96);
  static final int BATCH = 32;

  /** What the child runs: train "forever", checkpointing every epoch; prints each epoch it finishes. */
  static final class Writer {
    public static void main(String[] args) {
      Path dir = Path.of(args[0]);
      new DropoutDigitsModel().train(TRAIN, options(100_000).withCallbacks(
          ModelCheckpoint.everyEpochs(dir.resolve("epoch-{epoch}.safetensors"), 1),
          ModelCheckpoint.everyEpochs(dir.resolve("last.safetensors"), 1)));
    }
  }

  static TrainOptions options(int epochs) {
    return TrainOptions.epochs(epochs).withBatchSize(BATCH).quiet();
  }

  @TempDir Path dir;

  @Test
  void theNewestCheckpointLeftBySigkillAlwaysResumesExactly() throws Exception {
    SplittableRandom random = new SplittableRandom(11);
    List<float[]> reference = new ArrayList<>(); // weights after each epoch of an uninterrupted run
    // At least 8 kills, and on until 2 of them interrupted a write (a write seen in progress may
    // still finish before the kill lands), at most 24.
    int interrupted = 0;
    int round = 0;
    for (; round < 24 && (round < 8 || interrupted < 2); round++) {
      Path runDir = Files.createDirectories(dir.resolve("run" + round));
      Process child = start(runDir);
      try {
        // Let it write a few checkpoints, then kill: in even rounds at a random moment, in odd rounds
        // as soon as a write is seen in progress (its temporary file exists), to be sure some kills
        // land inside a write.
        waitForCheckpoints(runDir, child, 3);
        if (round % 2 == 0) {
          Thread.sleep(random.nextInt(5, 400));
        } else {
          waitForWriteInProgress(runDir, child);
        }
        assertTrue(child.isAlive(), "the writer must still be running when it is killed");
        child.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no finally blocks
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed by SIGKILL (128 + 9)");
      } finally {
        child.destroyForcibly();
      }

      int newest = -1;
      List<Integer> epochs = new ArrayList<>();
      List<String> partial = new ArrayList<>();
      try (Stream<Path> files = Files.list(runDir)) {
        for (Path f : files.toList()) {
          if (f.getFileName().toString().startsWith(".")) {
            partial.add(f.getFileName().toString()); // a write the kill interrupted: never under a checkpoint's name
          }
          Matcher m = Pattern.compile("epoch-(\\d+)\\.safetensors").matcher(f.getFileName().toString());
          if (m.matches()) {
            epochs.add(Integer.parseInt(m.group(1)));
          }
        }
      }
      for (int e : epochs) {
        newest = Math.max(newest, e);
      }
      assertTrue(newest >= 3, "epochs written: " + epochs);
      System.out.println("kill " + round + ": newest checkpoint epoch " + newest + ", interrupted writes left: " + partial);
      interrupted += partial.isEmpty() ? 0 : 1;
      extendReference(reference, newest + 1);

      // Every numbered checkpoint the directory shows is complete (spot-check the newest three).
      for (int e = Math.max(1, newest - 2); e <= newest; e++) {
        assertResumesExactly(runDir.resolve("epoch-" + e + ".safetensors"), e, reference);
      }
      // The file rewritten every epoch holds the newest epoch or the one before (killed between the two writes).
      int last = resumesFrom(runDir.resolve("last.safetensors"), reference);
      assertTrue(last == newest || last == newest - 1, "last.safetensors holds epoch " + last + ", newest " + newest);
    }
    assertTrue(interrupted >= 1, "no kill out of " + round + " landed inside a write");
  }

  private static Process start(Path runDir) throws IOException {
    String java = ProcessHandle.current().info().command().orElseThrow();
    List<String> cmd = List.of(java, "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), Writer.class.getName(), runDir.toString());
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(runDir.resolveSibling(runDir.getFileName() + ".log").toFile()).start();
  }

  private static void waitForCheckpoints(Path runDir, Process child, int epochs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(runDir.resolve("epoch-" + epochs + ".safetensors"))) {
      if (!child.isAlive() || System.nanoTime() > deadline) {
        String log = Files.readString(runDir.resolveSibling(runDir.getFileName() + ".log"), StandardCharsets.UTF_8);
        throw new AssertionError("the writer wrote no checkpoint " + epochs + " (alive: " + child.isAlive() + "):\n" + log);
      }
      Thread.sleep(5);
    }
  }

  private static void waitForWriteInProgress(Path runDir, Process child) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (child.isAlive() && System.nanoTime() < deadline) {
      try (Stream<Path> files = Files.list(runDir)) {
        if (files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"))) {
          return;
        }
      }
    }
    throw new AssertionError("no write in progress seen in " + runDir);
  }

  /** Weights after each epoch of one uninterrupted in-process run, up to {@code epochs}. */
  private static void extendReference(List<float[]> reference, int epochs) {
    if (reference.size() >= epochs) {
      return;
    }
    reference.clear();
    new DropoutDigitsModel().train(TRAIN, options(epochs).withCallbacks(new Callback() {
      @Override
      public void onEpochEnd(TrainingContext c) {
        reference.add(((DropoutDigitsModel) c.model()).parameters());
      }
    }));
  }

  /** Resumes from {@code file} for one more epoch; returns the checkpoint's epoch. */
  private static int resumesFrom(Path file, List<float[]> reference) {
    DropoutDigitsModel resumed = new DropoutDigitsModel(99);
    int[] firstEpoch = {-1};
    resumed.train(TRAIN, options(reference.size()).resumeFrom(file).withCallbacks(new Callback() {
      @Override
      public void onEpochEnd(TrainingContext c) {
        if (firstEpoch[0] < 0) {
          firstEpoch[0] = c.epoch();
          c.requestStop("one epoch is enough");
        }
      }
    }));
    int epoch = firstEpoch[0] - 1;
    assertArrayEquals(reference.get(epoch), resumed.parameters(), file + ": epoch " + (epoch + 1) + " after resuming");
    return epoch;
  }

  private static void assertResumesExactly(Path file, int epoch, List<float[]> reference) {
    assertFalse(epoch < 1);
    assertEquals(epoch, resumesFrom(file, reference), file.toString());
  }
}
