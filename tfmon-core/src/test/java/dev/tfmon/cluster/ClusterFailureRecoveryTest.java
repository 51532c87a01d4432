package dev.tfmon.cluster;

import static dev.tfmon.cluster.DistributedTrainingTest.START;
import static dev.tfmon.cluster.DistributedTrainingTest.TRAIN;
import static dev.tfmon.cluster.DistributedTrainingTest.cluster;
import static dev.tfmon.cluster.DistributedTrainingTest.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.process.ChildProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue #7's failure drills on a real local cluster (1 ps + 2 training workers, every task its own
 * JVM): each task in turn is killed with SIGKILL in the middle of training and started again on the
 * same port; the job recovers on its own and reaches its last step. Each drill logs how long the
 * recovery took, from the restarted task serving again to the first successful training step after
 * it ("recovery took N ms").
 */
@Tag("multiprocess")
class ClusterFailureRecoveryTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailureRecoveryTest.class);
  private static final long LAST_STEP = 2000;
  private static final long KILL_AT = 150;
  private static final long SAVE_EVERY = 50;

  @TempDir Path modelDir;

  /**
   * Starts ps, chief and worker and waits until both workers train and the global step reaches
   * {@link #KILL_AT}. On a loaded machine the chief alone can reach the kill point before the other
   * worker's first session, which would then begin only after the fault and never see it.
   */
  private static void trainUntilKillPoint(LocalCluster cluster) {
    cluster.startAll();
    awaitFirstStepOfSession(cluster.task("worker", 1), 1);
    awaitStep(cluster.task("worker", 0), KILL_AT);
  }

  private static long awaitStep(ChildProcess task, long atLeast) {
    while (true) {
      long step = number(task.awaitLine("STEP ", TRAIN), "step");
      if (step >= atLeast) {
        return step;
      }
    }
  }

  /** The next {@code FIRST} line of a session numbered at least {@code session}. */
  private static String awaitFirstStepOfSession(ChildProcess task, int session) {
    while (true) {
      String line = task.awaitLine("FIRST ", TRAIN);
      if (number(line, "session") >= session) {
        return line;
      }
    }
  }

  private static long maxSavedStep(List<String> transcript) {
    return transcript.stream()
        .filter(l -> l.startsWith("SAVED "))
        .mapToLong(l -> number(l, "step"))
        .max()
        .orElseThrow(() -> new AssertionError("no checkpoint saved:\n" + transcript));
  }

  private static List<String> lines(ChildProcess task, String prefix) {
    List<String> out = new ArrayList<>();
    for (String l : task.transcript()) {
      if (l.startsWith(prefix)) {
        out.add(l);
      }
    }
    return out;
  }

  private static void assertBothFinish(LocalCluster cluster) {
    for (int t = 0; t < 2; t++) {
      String done = cluster.task("worker", t).awaitLine("DONE ", TRAIN);
      assertThat(number(done, "step")).as("worker %d: %s", t, done).isGreaterThanOrEqualTo(LAST_STEP);
    }
  }

  @Test
  void killedAndRestartedPsTaskIsRecoveredFromTheLatestCheckpoint() {
    try (LocalCluster cluster = cluster(modelDir, LAST_STEP, SAVE_EVERY)) {
      trainUntilKillPoint(cluster);
      ChildProcess chief = cluster.task("worker", 0);
      ChildProcess worker = cluster.task("worker", 1);

      cluster.kill("ps", 0);
      long savedBeforeKill = maxSavedStep(chief.transcript());
      cluster.start("ps", 0);
      long psBackAt = System.currentTimeMillis();

      // SCR-5: the chief's new session restores the latest checkpoint; SCR-4/SM-6: the other
      // worker only waits for the model to be ready again
      String chiefFirst = awaitFirstStepOfSession(chief, 2);
      String workerFirst = awaitFirstStepOfSession(worker, 2);
      assertBothFinish(cluster);

      List<String> chiefRecoveries = lines(chief, "RECOVERED ");
      List<String> workerRecoveries = lines(worker, "RECOVERED ");
      assertThat(chiefRecoveries).isNotEmpty().allMatch(ClusterFailureRecoveryTest::lostTask);
      assertThat(workerRecoveries).isNotEmpty().allMatch(ClusterFailureRecoveryTest::lostTask);
      assertThat(chiefRecoveries.get(0)).contains("cause=UNAVAILABLE");
      assertThat(workerRecoveries.get(0)).contains("cause=UNAVAILABLE");
      // no step is lost beyond the last checkpoint: the restored step is at least that checkpoint's
      long restored = number(chiefRecoveries.get(chiefRecoveries.size() - 1), "after");
      assertThat(restored).isGreaterThanOrEqualTo(savedBeforeKill);
      assertThat(String.join("\n", chief.transcript()))
          .contains("Restored model from " + modelDir.resolve("model.ckpt-"));
      // the other worker never restores nor initializes; whether it had to wait for the chief
      // depends on who gets there first
      assertThat(String.join("\n", worker.transcript())).doesNotContain("Restored model");

      long chiefMs = number(chiefFirst, "at") - psBackAt;
      long workerMs = number(workerFirst, "at") - psBackAt;
      LOG.info(
          "ps restart: recovery took {} ms (chief) and {} ms (worker) from the ps serving again to"
              + " the first step; checkpoint step {}, restored step {}; chief {}; worker {}",
          chiefMs, workerMs, savedBeforeKill, restored, chiefRecoveries, workerRecoveries);
    }
  }

  @Test
  void killedAndRestartedNonChiefWorkerRejoins() {
    try (LocalCluster cluster = cluster(modelDir, LAST_STEP, SAVE_EVERY)) {
      trainUntilKillPoint(cluster);
      ChildProcess chief = cluster.task("worker", 0);

      cluster.kill("worker", 1);
      ChildProcess worker = cluster.start("worker", 1);
      long workerBackAt = System.currentTimeMillis();
      String workerFirst = awaitFirstStepOfSession(worker, 1);
      assertBothFinish(cluster);

      // the chief never noticed: its session only spans the ps and itself (device filters)
      assertThat(lines(chief, "RECOVERED ")).isEmpty();
      assertThat(lines(chief, "SESSION ")).hasSize(1);
      // a non-chief never initializes nor restores (SCR-4)
      assertThat(String.join("\n", worker.transcript()))
          .doesNotContain("Restored model")
          .doesNotContain("SAVED");
      long ms = number(workerFirst, "at") - workerBackAt;
      LOG.info(
          "non-chief worker restart: recovery took {} ms from the worker serving again to its first"
              + " step ({})",
          ms, workerFirst);
    }
  }

  @Test
  void killedAndRestartedChiefRestoresItsCheckpoint() {
    try (LocalCluster cluster = cluster(modelDir, LAST_STEP, SAVE_EVERY)) {
      trainUntilKillPoint(cluster);
      ChildProcess worker = cluster.task("worker", 1);

      cluster.kill("worker", 0);
      long savedBeforeKill = maxSavedStep(cluster.task("worker", 0).transcript());
      ChildProcess chief = cluster.start("worker", 0);
      long chiefBackAt = System.currentTimeMillis();
      String chiefFirst = awaitFirstStepOfSession(chief, 1);
      assertBothFinish(cluster);

      // SCR-3/SM-2: the new chief restores the newest checkpoint instead of initializing
      Matcher restored =
          Pattern.compile("Restored model from .*model\\.ckpt-([0-9]+)")
              .matcher(String.join("\n", chief.transcript()));
      assertThat(restored.find()).as(String.join("\n", chief.transcript())).isTrue();
      assertThat(Long.parseLong(restored.group(1))).isGreaterThanOrEqualTo(savedBeforeKill);
      // the other worker kept its session throughout
      assertThat(lines(worker, "RECOVERED ")).isEmpty();
      long ms = number(chiefFirst, "at") - chiefBackAt;
      LOG.info(
          "chief restart: recovery took {} ms from the chief serving again to its first step;"
              + " restored checkpoint step {} (last saved before the kill {})",
          ms, restored.group(1), savedBeforeKill);
    }
  }

  private static boolean lostTask(String recoveredLine) {
    return recoveredLine.contains("cause=UNAVAILABLE") || recoveredLine.contains("cause=ABORTED");
  }
}
