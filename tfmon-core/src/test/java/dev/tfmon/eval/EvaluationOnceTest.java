package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.errors.NotFoundException;
import dev.tfmon.summary.EventFileReader;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, Evaluation.once: the metrics over a fixed data set equal a hand computation, for the
 * whole input (until OUT_OF_RANGE) and for the first N batches (StopAfterNEvalsHook); the values
 * land as summaries at the checkpoint's global step in {@code eval/} (readable by
 * EventFileReader), and in the ledger.
 */
class EvaluationOnceTest {
  @TempDir Path modelDir;

  // w = [1, -1], b = 0.5: logits 1.5, 1.5, -0.5, -1, 0.75, 0 for labels 1 1 1 0 1 1.
  // Correct: rows 0, 1, 3, 4 (row 2 predicts 0, row 5's logit 0 is not > 0): accuracy 4/6.
  // Squared errors 0.25, 0.25, 2.25, 1, 0.0625, 1: mean 4.8125 / 6.
  private static final double ACCURACY = 4f / 6f;
  private static final double LOSS = 4.8125f / 6f;
  // The first batch of 4 rows: 3 correct; errors 0.25 + 0.25 + 2.25 + 1 = 3.75.
  private static final double ACCURACY_FIRST_BATCH = 0.75;
  private static final double LOSS_FIRST_BATCH = 3.75 / 4;

  @Test
  void metricsOverTheWholeInputEqualTheHandComputation() {
    String ckpt = EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 7);
    Evaluation evaluation = Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4)).build();

    EvalResult r = evaluation.once(ckpt);

    assertThat(r.checkpoint()).isEqualTo(ckpt);
    assertThat(r.globalStep()).isEqualTo(7);
    assertThat(r.scalar("accuracy")).isEqualTo((float) ACCURACY);
    assertThat(r.scalar("loss")).isEqualTo((float) LOSS);
    assertThat(r.metrics().keySet()).containsExactly("accuracy", "loss");
  }

  @Test
  void maxBatchesStopsAfterThatManyBatches() {
    String ckpt = EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 7);
    Evaluation evaluation = Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4))
        .maxBatches(1).build();

    EvalResult r = evaluation.once(ckpt);

    assertThat(r.scalar("accuracy")).isEqualTo(ACCURACY_FIRST_BATCH);
    assertThat(r.scalar("loss")).isEqualTo(LOSS_FIRST_BATCH);
  }

  @Test
  void summariesLandAtTheCheckpointsStepInEvalAndTheLedgerHoldsTheResult() throws Exception {
    String first = EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 7);
    String second = EvalFixtures.saveCheckpoint(modelDir, new float[] {0f, 0f}, 1f, 20);
    Evaluation evaluation = Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4)).build();

    evaluation.once(first);
    EvalResult r2 = evaluation.once(second);

    Path evalDir = modelDir.resolve("eval");
    assertThat(EventFileReader.eventFiles(evalDir)).isNotEmpty();
    assertThat(EventFileReader.eventFiles(modelDir)).isEmpty();
    Map<String, List<ScalarPoint>> series = ScalarSeries.readDirectory(evalDir);
    assertThat(series.get("accuracy")).extracting(ScalarPoint::step).containsExactly(7L, 20L);
    assertThat(series.get("accuracy").get(0).value()).isEqualTo((float) ACCURACY);
    // b = 1 and w = 0: every logit is 1, every prediction 1: 5 of 6 right, error 1 on the one 0 label
    assertThat(series.get("accuracy").get(1).value()).isEqualTo((float) (5.0 / 6));
    assertThat(series.get("loss").get(1).value()).isEqualTo((float) (1.0 / 6));
    assertThat(r2.scalar("loss")).isEqualTo((float) (1.0 / 6));

    List<EvalResult> ledger = evaluation.ledger().read();
    assertThat(ledger).extracting(EvalResult::globalStep).containsExactly(7L, 20L);
    assertThat(ledger).extracting(EvalResult::checkpoint).containsExactly(first, second);
    assertThat(ledger.get(1).metrics()).isEqualTo(r2.metrics());
    assertThat(ledger.get(1).wallTime()).isEqualTo(r2.wallTime());
    assertThat(Files.readString(evalDir.resolve("evaluations.jsonl")))
        .startsWith("{\"checkpoint\":\"model.ckpt-7\",\"global_step\":7,");
  }

  @Test
  void aNamedEvaluationWritesToItsOwnDirectory() {
    String ckpt = EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 3);
    Evaluation.builder(modelDir, EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4)).name("holdout").build().once(ckpt);
    assertThat(ScalarSeries.readDirectory(modelDir.resolve("eval_holdout")).get("loss")).hasSize(1);
    assertThat(modelDir.resolve("eval")).doesNotExist();
  }

  @Test
  void aVariableMissingFromTheCheckpointIsNamedAndNothingIsWritten() {
    String ckpt = EvalFixtures.saveCheckpoint(modelDir, new float[] {1f, -1f}, 0.5f, 7);
    EvalModel extra = graph -> {
      EvalGraph g = EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4).build(graph);
      org.tensorflow.op.Ops.create(graph).withName("not_in_checkpoint").variable(org.tensorflow.ndarray.Shape.scalar(),
          org.tensorflow.types.TFloat32.class);
      return g;
    };
    assertThatThrownBy(() -> Evaluation.builder(modelDir, extra).build().once(ckpt))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("not_in_checkpoint");
    assertThat(modelDir.resolve("eval")).doesNotExist();
  }

  @Test
  void badSettingsAndPathsAreNamed() {
    EvalModel model = EvalFixtures.linear(EvalFixtures.ROWS, EvalFixtures.LABELS, 4);
    assertThatThrownBy(() -> Evaluation.builder(modelDir, model).maxBatches(0).build())
        .hasMessage("expected maxBatches >= 1, but got 0");
    assertThatThrownBy(() -> Evaluation.builder(modelDir, model).name("a/b").build())
        .hasMessageContaining("'a/b'");
    String missing = modelDir.resolve("model.ckpt-99").toString();
    assertThatThrownBy(() -> Evaluation.builder(modelDir, model).build().once(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no checkpoint at " + missing + " (no " + missing + ".index)");
  }
}
