package dev.tfmon.session;

import static dev.tfmon.session.Fixtures.longOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.CheckpointDirLock;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.errors.InvalidArgumentException;
import dev.tfmon.runtime.SessionRunArgs;
import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.summary.SummaryWriterCache;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * What a training session leaves in its checkpoint directory when it fails early or has nothing to
 * do, the lock on that directory, and the hook-cost warning.
 */
class TrainingDirSafetyTest {
  @TempDir Path dir;

  @AfterEach
  void closeWriters() {
    SummaryWriterCache.clear();
  }

  /** A directory with a checkpoint at step 3, as an earlier run leaves it. */
  private void trainThreeSteps(Graph g, Fixtures.Stepping s) {
    try (MonitoredSession session = MonitoredTrainingSession.builder(g).checkpointDir(dir).build()) {
      for (int i = 0; i < 3; i++) {
        session.run(s.doStep()).close();
      }
    }
    SummaryWriterCache.clear();
  }

  // issue 11 item 4: a first step that fails leaves the directory as it was
  @Test
  void withWriteBeforeFirstStepOffAFailingFirstStepChangesNothing() throws Exception {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      Placeholder<TFloat32> unfed = Ops.create(g).withName("unfed").placeholder(TFloat32.class);
      trainThreeSteps(g, s);
      Map<String, String> before = digests(dir);

      MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).writeBeforeFirstStep(false).build();
      assertThatThrownBy(() -> session.run(SessionRunArgs.builder().fetch(unfed).target(s.doStep().op()).build()))
          .isInstanceOf(InvalidArgumentException.class);
      session.close();
      SummaryWriterCache.clear();
      assertThat(digests(dir)).isEqualTo(before);
    }
  }

  // issue 11 item 4: a session that runs no step changes nothing
  @Test
  void withWriteBeforeFirstStepOffASessionWithoutStepsChangesNothing() throws Exception {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      trainThreeSteps(g, s);
      Map<String, String> before = digests(dir);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).writeBeforeFirstStep(false).build()) {
        // a run without hooks is no step: the restored model is read, nothing written
        assertThat(longOf(session.runWithoutHooks(SessionRunArgs.fetch(s.value())))).isEqualTo(3);
      }
      SummaryWriterCache.clear();
      assertThat(digests(dir)).isEqualTo(before);
    }
  }

  // issue 11 item 4: once a step succeeded, the graph files and the final checkpoint are written
  @Test
  void withWriteBeforeFirstStepOffTheFilesFollowTheFirstStep() throws Exception {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).writeBeforeFirstStep(false).build()) {
        assertThat(dir.resolve("graph.pbtxt")).doesNotExist();
        session.run(s.doStep()).close();
        assertThat(dir.resolve("graph.pbtxt")).exists();
        session.run(s.doStep()).close();
      }
      SummaryWriterCache.clear();
      // no step-0 checkpoint at creation; the final one at the end
      assertThat(dir.resolve("model.ckpt-0.index")).doesNotExist();
      assertThat(Checkpoints.latestCheckpoint(dir)).hasValueSatisfying(p -> assertThat(p).endsWith("model.ckpt-2"));
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("events.out.tfevents."));
      }
    }
  }

  // TF 1.x's default stays: a checkpoint of the initial model at session creation
  @Test
  void byDefaultTheChiefSavesAtSessionCreation() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession session = MonitoredTrainingSession.builder(g).checkpointDir(dir).build()) {
        assertThat(dir.resolve("model.ckpt-0.index")).exists();
        assertThat(dir.resolve("graph.pbtxt")).exists();
      }
    }
  }

  // issue 11 item 2: one chief per checkpoint directory
  @Test
  void aSecondChiefOnTheSameDirectoryFailsNamingTheFirstAndTheLockGoesWithTheSession() {
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      try (MonitoredSession first = MonitoredTrainingSession.builder(g).checkpointDir(dir).build()) {
        assertThat(dir.resolve(CheckpointDirLock.FILE_NAME)).exists();
        try (Graph other = new Graph()) {
          Fixtures.Stepping.build(other);
          assertThatThrownBy(() -> MonitoredTrainingSession.builder(other).checkpointDir(dir).build())
              .isInstanceOf(CheckpointDirLock.HeldException.class)
              .hasMessageStartingWith("checkpoint directory " + dir + " is in use by another training run (pid "
                  + ProcessHandle.current().pid() + " on ");
          // a caller that holds the lock itself turns the session's off
          try (MonitoredSession unlocked =
              MonitoredTrainingSession.builder(other).checkpointDir(dir.resolve("sub")).lockCheckpointDir(false).build()) {
            assertThat(dir.resolve("sub").resolve(CheckpointDirLock.FILE_NAME)).doesNotExist();
          }
        }
        first.run(s.doStep()).close();
      }
      assertThat(dir.resolve(CheckpointDirLock.FILE_NAME)).doesNotExist();
      try (MonitoredSession again = MonitoredTrainingSession.builder(g).checkpointDir(dir).build()) {
        assertThat(longOf(again.run(s.value()))).isEqualTo(1);
      }
    }
  }

  // issue 11 item 2: a lock on a directory it created takes the directory away again if it stays empty
  @Test
  void aLockOnANewDirectoryRemovesItWhenNothingWasWritten() {
    Path fresh = dir.resolve("a/b");
    try (CheckpointDirLock lock = CheckpointDirLock.acquire(fresh)) {
      assertThat(lock.directory()).isEqualTo(fresh);
      assertThatThrownBy(() -> CheckpointDirLock.acquire(fresh)).isInstanceOf(CheckpointDirLock.HeldException.class);
    }
    assertThat(fresh).doesNotExist();
  }

  // issue 17 hookCostWarningShare: one warning, user hooks only, naming the setting
  @Test
  void theHookCostWarningNamesOnlyTheCallersHooksOnceWithTheSetting() {
    SessionRunHook slow =
        new SessionRunHook() {
          @Override
          public void afterRun(SessionRunContext context, SessionRunValues values) {
            long until = System.nanoTime() + 2_000_000;
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
          }
        };
    String log;
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (Graph g = new Graph()) {
      Fixtures.Stepping s = Fixtures.Stepping.build(g);
      // every default hook runs each step; a threshold of 0 would name them all if they counted
      try (MonitoredSession session =
          MonitoredTrainingSession.builder(g).checkpointDir(dir).saveCheckpointSteps(1).hook(slow)
              .hookCostWarningShare(0.0).build()) {
        for (int i = 0; i < 5; i++) {
          session.run(s.doStep()).close();
        }
      }
    } finally {
      System.setErr(original);
      log = captured.toString(StandardCharsets.UTF_8);
    }
    assertThat(log.lines().filter(l -> l.contains("of step time"))).singleElement().satisfies(line -> assertThat(line)
        .contains("WARN")
        .contains("hookCostWarningShare")
        .doesNotContain("CheckpointSaverHook")
        .doesNotContain("SummarySaverHook")
        .doesNotContain("StepCounterHook"));
    try (Graph g = new Graph()) {
      MonitoredTrainingSession.Builder b = MonitoredTrainingSession.builder(g).hookCostWarningShare(1.5);
      assertThatThrownBy(b::build)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("expected a hookCostWarningShare between 0 and 1, but got 1.5");
    }
  }

  /** File name → SHA-256 of every file under {@code root} (the list and the bytes). */
  static Map<String, String> digests(Path root) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        out.put(root.relativize(f).toString(), Files.isRegularFile(f)
            ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))) : "dir");
      }
    }
    return out;
  }
}
