package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, the ledger across a crash: a training child process with in-process evaluation, early
 * stopping and best-2 retention is killed with SIGKILL between two evaluations (after the one at
 * step 30, while it waits after step 35), then started again on its directory. It resumes from the checkpoint at 30,
 * rebuilds early stopping and the best checkpoints from the ledger, and stops at step 80 with the
 * best at 50, exactly as an uninterrupted run does; the two ledgers hold the same evaluations.
 */
@Tag("multiprocess")
class EarlyStoppingRestartTest {
  private static final Duration DEADLINE = Duration.ofMinutes(3);

  @TempDir Path base;

  @Test
  void aRunKilledBetweenTwoEvaluationsStopsAtTheSameStepAsAnUninterruptedOne() throws Exception {
    Path straight = Files.createDirectories(base.resolve("straight"));
    String reference;
    try (ChildJvm run = ChildJvm.start("straight", PlateauTrainerMain.class, List.of(), straight.toString(), "0")) {
      reference = run.awaitLine("STOPPED ", DEADLINE);
      run.awaitLine("DONE ", DEADLINE);
    }
    assertThat(reference).isEqualTo("STOPPED step=80 best=50");

    Path killed = Files.createDirectories(base.resolve("killed"));
    try (ChildJvm first = ChildJvm.start("first", PlateauTrainerMain.class, List.of(), killed.toString(), "0", "35")) {
      first.awaitLine("EVAL step=30 ", DEADLINE);
      first.awaitLine("HANGING step=35", DEADLINE);
      first.kill();
    }
    // killed between two evaluations: the ledger ends at 30 and so do the checkpoints
    List<EvalResult> beforeRestart = EvaluationLedger.forModelDir(killed, "").read();
    assertThat(beforeRestart).extracting(EvalResult::globalStep).containsExactly(10L, 20L, 30L);
    assertThat(Checkpoints.latestCheckpoint(killed)).contains(killed.resolve("model.ckpt-30").toString());

    String resumed;
    try (ChildJvm second = ChildJvm.start("second", PlateauTrainerMain.class, List.of(), killed.toString(), "0")) {
      resumed = second.awaitLine("STOPPED ", DEADLINE);
      assertThat(second.awaitLine("DONE ", DEADLINE)).isEqualTo("DONE step=80");
    }
    assertThat(resumed).isEqualTo(reference);

    List<EvalResult> a = EvaluationLedger.forModelDir(straight, "").read();
    List<EvalResult> b = EvaluationLedger.forModelDir(killed, "").read();
    assertThat(b).extracting(EvalResult::globalStep).isEqualTo(a.stream().map(EvalResult::globalStep).toList());
    assertThat(b).extracting(r -> r.scalar("loss")).isEqualTo(a.stream().map(r -> r.scalar("loss")).toList());
    assertThat(Checkpoints.checkpointState(killed.resolve("best")).orElseThrow().allModelCheckpointPaths())
        .containsExactly(killed.resolve("best/model.ckpt-60").toString(), killed.resolve("best/model.ckpt-50").toString());
  }
}
