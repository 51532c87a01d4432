package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, early stopping: the rule alone (Keras's: improvement by more than minDelta resets the
 * count; patience evaluations without one fire it), and the hook in a real training run of a
 * model built to plateau, evaluated in process every 10 steps.
 */
class EarlyStoppingTest {
  @TempDir Path modelDir;

  @Test
  void theRuleFiresAfterPatienceEvaluationsWithoutAnImprovementBeyondMinDelta() {
    EarlyStopping rule = new EarlyStopping(MetricGoal.min("loss"), 2, 0.05, 0);
    assertThat(rule.observe(10, 1.0)).isFalse();
    assertThat(rule.observe(20, 0.90)).isFalse();   // improves by 0.10
    assertThat(rule.observe(30, 0.86)).isFalse();   // 0.04: not enough, 1 without improvement
    assertThat(rule.observe(40, 0.70)).isFalse();   // improves: count reset
    assertThat(rule.observe(50, 0.71)).isFalse();
    assertThat(rule.observe(50, 0.10)).isFalse();   // a step seen twice counts once
    assertThat(rule.observe(60, Double.NaN)).isTrue();
    assertThat(rule.decision().orElseThrow())
        .isEqualTo(new EarlyStopping.Decision(MetricGoal.min("loss"), 0.70, 40, 2, 60));
  }

  @Test
  void maximizingAndMinStep() {
    EarlyStopping rule = new EarlyStopping(MetricGoal.max("accuracy"), 1, 0, 100);
    assertThat(rule.observe(10, 0.5)).isFalse();
    assertThat(rule.observe(20, 0.5)).isFalse();   // equal is no improvement, but step 20 < minStep 100
    assertThat(rule.observe(100, 0.6)).isFalse();
    assertThat(rule.observe(110, 0.59)).isTrue();
    assertThat(rule.decision().orElseThrow().bestStep()).isEqualTo(100);
  }

  @Test
  void badSettingsAreNamed() {
    assertThatThrownBy(() -> EarlyStoppingHook.builder(MetricGoal.min("loss")).patience(0).build())
        .hasMessage("expected patience >= 1 evaluations, but got 0");
    assertThatThrownBy(() -> EarlyStoppingHook.builder(MetricGoal.min("loss")).minDelta(-1).build())
        .hasMessage("expected minDelta >= 0, but got -1.0");
    assertThatThrownBy(() -> EarlyStoppingHook.builder(MetricGoal.min("loss")).watchLedger(java.time.Duration.ofSeconds(1)).build())
        .hasMessageContaining("watchLedger(PT1S) needs a ledger");
    assertThatThrownBy(() -> MetricGoal.parse("loss:down"))
        .hasMessage("expected NAME[:min|max], but got 'loss:down' (the direction must be min or max)");
  }

  @Test
  void aPlateauingRunStopsAtTheExpectedStepAndKeepsTheTwoBest() {
    ByteArrayOutputStream lines = new ByteArrayOutputStream();
    PlateauTrainerMain.Outcome outcome =
        PlateauTrainerMain.run(modelDir, 0, new PrintStream(lines, true, StandardCharsets.UTF_8));

    // evaluations at 10, 20, ..., 50 improve (the last runs with a learning rate end at step 46);
    // 60, 70, 80 repeat step 50's loss exactly: patience 3 fires at 80, and training stops there
    assertThat(outcome.decision().bestStep()).isEqualTo(50);
    assertThat(outcome.decision().step()).isEqualTo(80);
    assertThat(outcome.step()).isEqualTo(80);
    List<EvalResult> ledger = EvaluationLedger.forModelDir(modelDir, "").read();
    assertThat(ledger).extracting(EvalResult::globalStep).containsExactly(10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L);
    double atFifty = ledger.get(4).scalar("loss");
    assertThat(ledger.get(3).scalar("loss")).isGreaterThan(atFifty);
    assertThat(ledger.subList(5, 8)).allSatisfy(r -> assertThat(r.scalar("loss")).isEqualTo(atFifty));
    assertThat(Checkpoints.latestCheckpoint(modelDir)).contains(modelDir.resolve("model.ckpt-80").toString());
    // ties keep the earlier step: the two best are 50 and 60 (and 50 is the state file's newest)
    Path best = modelDir.resolve("best");
    assertThat(Checkpoints.latestCheckpoint(best)).contains(best.resolve("model.ckpt-50").toString());
    assertThat(Checkpoints.checkpointState(best).orElseThrow().allModelCheckpointPaths())
        .containsExactly(best.resolve("model.ckpt-60").toString(), best.resolve("model.ckpt-50").toString());
    assertThat(new String(lines.toByteArray(), StandardCharsets.UTF_8)).contains("STOPPED step=80 best=50");
  }
}
