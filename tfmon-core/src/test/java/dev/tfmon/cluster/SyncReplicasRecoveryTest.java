package dev.tfmon.cluster;

import static dev.tfmon.cluster.DistributedTrainingTest.TRAIN;
import static dev.tfmon.cluster.DistributedTrainingTest.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.process.ChildProcess;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Synchronous replicas survive killed workers (issue 14 item 2): 1 ps + 2 workers aggregating 2,
 * every task its own JVM that serves and trains ({@link ClusterTrainerMain} {@code --sync 2/2},
 * paced at 20 ms a step so that the job is still running when its chief is killed).
 * The non-chief worker is killed with SIGKILL and restarted, then the chief; each time the job goes
 * on and both workers reach the last step. Every wait is bounded ({@code awaitLine} deadlines), so a
 * deadlock fails the test instead of hanging it.
 */
@Tag("multiprocess")
class SyncReplicasRecoveryTest {
  private static final long LAST_STEP = 400;
  private static final String REFILLED =
      "[main] INFO dev.tfmon.cluster.SyncReplicasHook - SyncReplicas 'sync_replicas': chief enqueued 2 tokens";

  @TempDir Path modelDir;

  private static long awaitStep(ChildProcess task, long atLeast) {
    while (true) {
      long step = number(task.awaitLine("STEP ", TRAIN), "step");
      if (step >= atLeast) {
        return step;
      }
    }
  }

  // issue 14 item 2: a killed worker in sync mode recovers; the chief re-fills the tokens
  @Test
  void killedWorkerAndKilledChiefRejoinAndNobodyDeadlocks() {
    List<String> sync = List.of("--sync", "2/2", "--print-every", "10", "--step-delay-ms", "20");
    try (LocalCluster cluster = DistributedTrainingTest.builder(modelDir, LAST_STEP, 40, 90, 1, 2, sync).reserve()) {
      cluster.startAll();
      ChildProcess chief = cluster.task("worker", 0);
      assertThat(chief.awaitPrinted(REFILLED, TRAIN)).contains("at global step 0");
      long step = awaitStep(chief, 60);

      // The non-chief dies: the chief goes on alone with the spare tokens, at half the pace, until
      // the restarted worker sets its local step from the global step and pushes again.
      cluster.kill("worker", 1);
      ChildProcess worker = cluster.start("worker", 1);
      worker.awaitLine("FIRST ", TRAIN);
      step = awaitStep(chief, step + 40);

      // The chief dies: the worker waits for a token (its session does not span the chief's task,
      // so it needs no recovery); the restarted chief restores the newest checkpoint, re-fills the
      // token queue and starts the queue runner again, and both go on.
      cluster.kill("worker", 0);
      ChildProcess newChief = cluster.start("worker", 0);
      String refilled = newChief.awaitPrinted(REFILLED, TRAIN);
      assertThat(String.join("\n", newChief.transcript())).contains("Restored model from");
      awaitStep(newChief, step + 20);

      for (ChildProcess task : List.of(newChief, worker)) {
        String done = task.awaitLine("DONE ", TRAIN);
        assertThat(number(done, "step")).as("%s", done).isGreaterThanOrEqualTo(LAST_STEP);
        assertThat(done).doesNotContain("FAILED");
      }
      assertThat(worker.transcript()).noneMatch(l -> l.startsWith("RECOVERED ") && !l.contains("UNAVAILABLE") && !l.contains("ABORTED"));
      assertThat(refilled).contains("started the queue runner");
    }
  }
}
