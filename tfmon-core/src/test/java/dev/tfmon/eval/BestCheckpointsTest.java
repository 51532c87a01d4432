package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.CheckpointState;
import dev.tfmon.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, best-checkpoint retention: {@code best/} holds exactly the K best evaluated checkpoints
 * by the metric, independent of the originals being deleted; its state file (read with tfmon's
 * reader; Python's {@code tf.train.latest_checkpoint} was checked by hand) names the best; a new
 * instance over the same ledger (a restart) continues with the same set.
 */
class BestCheckpointsTest {
  @TempDir Path modelDir;

  // losses on EvalFixtures' rows with w = [0, 0]: every logit is b; labels 1 1 1 0 1 1
  // b = 1: 1/6 ≈ 0.167; b = 0.5: (5 * 0.25 + 0.25) / 6 = 0.25; b = 2: (5 + 4) / 6 = 1.5; b = 0: 5/6
  private String checkpoint(float b, long step) {
    return EvalFixtures.saveCheckpoint(modelDir, new float[] {0f, 0f}, b, step);
  }

  private Evaluation evaluation(BestCheckpoints best) {
    return Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4))
        .listener(best).build();
  }

  @Test
  void theDirectoryHoldsExactlyTheTwoBestAndItsStateFileNamesTheBest() throws Exception {
    BestCheckpoints best = BestCheckpoints.builder(modelDir).keep(2).goal(MetricGoal.min("loss")).build();
    Evaluation evaluation = evaluation(best);
    String s10 = checkpoint(2f, 10);
    String s20 = checkpoint(0.5f, 20);
    evaluation.once(s10);
    evaluation.once(s20);
    Path dir = modelDir.resolve("best");
    assertThat(best.kept()).containsExactly(dir.resolve("model.ckpt-20").toString(), dir.resolve("model.ckpt-10").toString());

    String s30 = checkpoint(0f, 30);    // 5/6: worse than both, not kept
    evaluation.once(s30);
    String s40 = checkpoint(1f, 40);    // 1/6: the new best, 10 drops out
    evaluation.once(s40);

    assertThat(best.kept()).containsExactly(dir.resolve("model.ckpt-40").toString(), dir.resolve("model.ckpt-20").toString());
    assertThat(checkpointFiles(dir)).containsExactlyInAnyOrder(
        "model.ckpt-20.index", "model.ckpt-20.data-00000-of-00001", "model.ckpt-20.meta",
        "model.ckpt-40.index", "model.ckpt-40.data-00000-of-00001", "model.ckpt-40.meta");
    CheckpointState state = Checkpoints.checkpointState(dir).orElseThrow();
    assertThat(state.modelCheckpointPath()).isEqualTo(dir.resolve("model.ckpt-40").toString());
    // relative names in the file itself, so the directory can move (and Python joins them with it)
    assertThat(Files.readString(dir.resolve("checkpoint")))
        .isEqualTo("model_checkpoint_path: \"model.ckpt-40\"\n"
            + "all_model_checkpoint_paths: \"model.ckpt-20\"\n"
            + "all_model_checkpoint_paths: \"model.ckpt-40\"\n");
    assertThat(Checkpoints.latestCheckpoint(dir)).contains(dir.resolve("model.ckpt-40").toString());
  }

  @Test
  void keptCheckpointsOutliveTheirOriginalsAndARestartKeepsTheSameSet() {
    Evaluation first = evaluation(BestCheckpoints.builder(modelDir).keep(2).goal(MetricGoal.min("loss")).build());
    first.once(checkpoint(1f, 10));
    first.once(checkpoint(0.5f, 20));
    // the training saver's rolling retention deletes the originals
    Checkpoints.removeCheckpoint(modelDir.resolve("model.ckpt-10").toString());
    Checkpoints.removeCheckpoint(modelDir.resolve("model.ckpt-20").toString());
    Path dir = modelDir.resolve("best");
    assertThat(Checkpoints.checkpointExists(dir.resolve("model.ckpt-10").toString())).isTrue();

    // a new process: a new instance, ranking from the ledger
    BestCheckpoints again = BestCheckpoints.builder(modelDir).keep(2).goal(MetricGoal.min("loss")).build();
    evaluation(again).once(checkpoint(2f, 30));   // 1.5: worse than both

    assertThat(again.kept()).containsExactly(dir.resolve("model.ckpt-10").toString(), dir.resolve("model.ckpt-20").toString());
    assertThat(Checkpoints.checkpointExists(dir.resolve("model.ckpt-30").toString())).isFalse();
    // a kept checkpoint restores: evaluating the copy gives the original's values
    EvalResult fromCopy = Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4))
        .writeLedger(false).writeSummaries(false).build().once(dir.resolve("model.ckpt-10").toString());
    assertThat(fromCopy.scalar("loss")).isEqualTo((float) (1.0 / 6));
  }

  @Test
  void maximizingAccuracy() {
    BestCheckpoints best = BestCheckpoints.builder(modelDir).keep(1).goal(MetricGoal.parse("accuracy")).build();
    Evaluation evaluation = evaluation(best);
    evaluation.once(EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 5)); // 4/6
    evaluation.once(checkpoint(1f, 6));                                                        // 5/6
    evaluation.once(checkpoint(-1f, 7));                                                       // 1/6
    assertThat(best.kept()).containsExactly(modelDir.resolve("best").resolve("model.ckpt-6").toString());
  }

  @Test
  void aMissingMetricAndBadSettingsAreNamed() {
    assertThatThrownBy(() -> BestCheckpoints.builder(modelDir).keep(0).goal(MetricGoal.min("loss")).build())
        .hasMessage("expected keep >= 1 best checkpoints, but got 0");
    assertThatThrownBy(() -> BestCheckpoints.builder(modelDir).directory(modelDir).goal(MetricGoal.min("loss")).build())
        .hasMessageContaining("cannot be the model directory");
    BestCheckpoints best = BestCheckpoints.builder(modelDir).goal(MetricGoal.min("auc")).build();
    String ckpt = checkpoint(1f, 3);
    assertThatThrownBy(() -> evaluation(best).once(ckpt))
        .hasMessage("cannot rank " + ckpt + " by 'auc': its evaluation has the scalar metrics [accuracy, loss]");
  }

  private static List<String> checkpointFiles(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("checkpoint")).toList();
    }
  }
}
