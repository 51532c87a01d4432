package dev.tfmon.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Tensor;
import org.tensorflow.types.TInt64;

/**
 * Training processes killed with SIGKILL at random moments always resume from a complete
 * checkpoint; SIGTERM writes a final checkpoint first.
 */
@Tag("multiprocess")
class CrashSafetyTest {
  private static final Duration START = Duration.ofSeconds(60);
  @TempDir Path tmp;

  private static ChildJvm start(Path dir, String mode) {
    return ChildJvm.start("trainer", TrainingChildMain.class, List.of("-Xmx256m"), dir.toString(), "7", mode);
  }

  /** Parses {@code resumed <step> <w0> <path>} and checks that the restored state is consistent. */
  private static long resumedStep(ChildJvm child) {
    String[] f = child.awaitLine("resumed ", START).split(" ");
    long step = Long.parseLong(f[1]);
    float w0 = Float.parseFloat(f[2]);
    assertThat(w0).as("w[0] must equal the global step in a consistent checkpoint").isEqualTo((float) step);
    return step;
  }

  private static long temporaries(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.contains(".tempstate") || n.contains(".tmp") || n.endsWith("_temp"))
          .count();
    }
  }

  @Test
  void killedAtRandomMomentsAlwaysResumesFromACompleteCheckpoint() throws IOException {
    Random random = new Random(42);
    long lastSaved = 0;
    int kills = 0;
    for (int round = 0; round < 22; round++) {
      try (ChildJvm child = start(tmp, "crash")) {
        long resumed = resumedStep(child);
        assertThat(resumed).as("round %d resumed below the last saved step", round).isGreaterThanOrEqualTo(lastSaved);
        int saves = 1 + random.nextInt(4);
        for (int i = 0; i < saves; i++) {
          lastSaved = Math.max(lastSaved, Long.parseLong(child.awaitLine("saved ", START).substring(6)));
        }
        child.kill();
        kills++;
      }
      // after every kill: the state file parses and names an existing checkpoint, no temp pile-up
      CheckpointState state = Checkpoints.checkpointState(tmp).orElseThrow();
      assertThat(Checkpoints.checkpointExists(state.modelCheckpointPath())).isTrue();
      assertThat(temporaries(tmp)).as("temporary files after round %d", round).isLessThanOrEqualTo(3);
    }
    assertThat(kills).isGreaterThanOrEqualTo(20);

    // Damage the newest checkpoint: the next run falls back to the one before it.
    CheckpointState state = Checkpoints.checkpointState(tmp).orElseThrow();
    List<String> kept = state.allModelCheckpointPaths();
    String newest = state.modelCheckpointPath();
    String previous = kept.get(kept.size() - 2);
    Path data = Path.of(newest + ".data-00000-of-00001");
    Files.write(data, java.util.Arrays.copyOf(Files.readAllBytes(data), 100));
    try (ChildJvm child = start(tmp, "crash")) {
      assertThat(resumedStep(child)).isEqualTo(stepOf(previous));
      lastSaved = Long.parseLong(child.awaitLine("saved ", START).substring(6));
      child.kill();
    }
    // A garbage state file: the directory is listed and training resumes, not from scratch.
    Files.writeString(tmp.resolve("checkpoint"), "garbage {{{ \u0000");
    try (ChildJvm child = start(tmp, "crash")) {
      assertThat(resumedStep(child)).isGreaterThanOrEqualTo(lastSaved);
    }
  }

  @Test
  void sigtermWritesAFinalCheckpointBeforeExit() throws Exception {
    try (ChildJvm child = start(tmp, "preempt")) {
      resumedStep(child);
      long saved = Long.parseLong(child.awaitLine("saved ", START).substring(6));
      // SIGTERM through the ProcessHandle: Process.destroy() also closes the pipes, and a closed
      // stdin makes the child halt (ChildJvm.exitWhenParentDies) before its shutdown hooks run.
      assertThat(child.process().toHandle().destroy()).isTrue();
      String line =
          child.awaitLine(
              "[tfmon-preemption-save] INFO dev.tfmon.checkpoint.PreemptionSaver - preemption checkpoint written: ",
              START);
      assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).as(child.transcript()).isTrue();
      String latest = Checkpoints.latestCheckpoint(tmp).orElseThrow();
      assertThat(line).endsWith(": " + latest);
      long step = stepOf(latest);
      assertThat(step).isGreaterThanOrEqualTo(saved);
      try (CheckpointReader r = CheckpointReader.open(latest); Tensor gs = r.read("global_step")) {
        r.verify();
        assertThat(((TInt64) gs).getLong()).isGreaterThanOrEqualTo(saved);
      }
    }
  }

  private static long stepOf(String prefix) {
    return Long.parseLong(prefix.substring(prefix.lastIndexOf('-') + 1));
  }
}
