package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.testing.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, the sidecar evaluator: {@code Evaluation.repeatedly} in this JVM against a training
 * child process writing a checkpoint every 5 steps sees every checkpoint exactly once, in order,
 * none torn (a torn one would fail its restore and end the loop), and ends by itself once the
 * child has finished (its directory lock released) and the last checkpoint is evaluated. A second
 * sidecar started afterwards finds everything in the ledger and evaluates nothing.
 */
@Tag("multiprocess")
class SidecarEvaluationTest {
  @TempDir Path modelDir;

  @Test
  void seesEveryCheckpointOfALiveTrainingProcessExactlyOnce() {
    Evaluation evaluation = Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).build();
    List<EvalResult> results;
    try (ChildJvm trainer = ChildJvm.start("trainer", CheckpointingTrainerMain.class, List.of(),
        modelDir.toString(), "60", "40")) {
      // the deadline: 2 minutes without a new checkpoint
      results = evaluation.repeatedly(Duration.ofMinutes(2));
      trainer.awaitLine("DONE", Duration.ofMinutes(2));
    }

    List<String> written = new ArrayList<>(Checkpoints.checkpointState(modelDir).orElseThrow().allModelCheckpointPaths());
    List<String> expected = new ArrayList<>();
    for (long s = 0; s <= 60; s += 5) {   // 0: the session's save at creation
      expected.add(modelDir.resolve("model.ckpt-" + s).toString());
    }
    assertThat(written).isEqualTo(expected);
    assertThat(results).extracting(EvalResult::checkpoint).isEqualTo(expected);
    assertThat(results).allSatisfy(r -> assertThat(r.checkpoint()).endsWith("-" + r.globalStep()));
    assertThat(evaluation.ledger().read()).extracting(EvalResult::checkpoint).isEqualTo(expected);

    assertThat(Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).build()
        .repeatedly(Duration.ofSeconds(30))).isEmpty();
  }

  // issue 14 item 3: TF_CONFIG's evaluator task starts beside the chief of a resumed job, whose
  // directory already holds checkpoints and which nobody has locked yet; knowing the last step, it
  // waits for the trainer instead of taking the unlocked directory for a finished run
  @Test
  void knowingTheLastStepItWaitsForATrainerThatHasNotStartedYet() {
    try (ChildJvm first = ChildJvm.start("first run", CheckpointingTrainerMain.class, List.of(),
        modelDir.toString(), "20", "0")) {
      first.awaitLine("DONE", Duration.ofMinutes(2));
    }
    Evaluation evaluation = Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).build();
    assertThat(evaluation.repeatedly(Duration.ofMinutes(1))).hasSize(5);   // 0, 5, ..., 20: the first run's

    List<EvalResult> results;
    try (ChildJvm resumed = ChildJvm.start("resumed run", CheckpointingTrainerMain.class, List.of(),
        modelDir.toString(), "60", "40")) {
      // at once, before the child's JVM is up: nothing new, nobody holds the directory
      results = Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).build()
          .repeatedly(Duration.ofMinutes(2), 60);
      resumed.awaitLine("DONE", Duration.ofMinutes(2));
    }
    List<String> expected = new ArrayList<>();
    for (long s = 25; s <= 60; s += 5) {
      expected.add(modelDir.resolve("model.ckpt-" + s).toString());
    }
    assertThat(results).extracting(EvalResult::checkpoint).isEqualTo(expected);
    assertThat(evaluation.ledger().read()).extracting(EvalResult::globalStep)
        .containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L, 50L, 55L, 60L);
  }
}
