package dev.tfmon.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfmon.checkpoint.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
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
  void restoreBestAtEndWritesTheBestWeightsAsTheFinalCheckpoint() {
    EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "");
    EarlyStoppingHook stop;
    try (Graph graph = new Graph()) {
      // after step 46 the rate is negative: the weights walk away and the held-out loss worsens
      PlateauModel model = PlateauModel.build(graph, -0.02);
      Scaffold scaffold = Scaffold.of(graph);
      stop = EarlyStoppingHook.builder(MetricGoal.min("loss")).patience(2).ledger(ledger)
          .restoreBestAtEnd(scaffold, modelDir).build();
      Evaluation evaluation = Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).listener(stop).build();
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph).checkpointDir(modelDir).scaffold(scaffold)
          .saveCheckpointSteps(10).saveSummariesSteps(0).logStepCountSteps(0)
          .hook(StopAtStepHook.lastStep(300))
          .hook(EvaluationHook.builder(evaluation).everySteps(10).scaffold(scaffold).build())
          .hook(stop)
          .build()) {
        session.runUntilStopped(s -> s.run(model.train()));
      }
    }
    EarlyStopping.Decision d = stop.decision().orElseThrow();
    List<EvalResult> results = ledger.read();
    EvalResult best = results.stream().min(java.util.Comparator.comparingDouble(r -> r.scalar("loss"))).orElseThrow();
    EvalResult last = results.get(results.size() - 1);
    assertThat(d.bestStep()).isEqualTo(best.globalStep());
    assertThat(last.globalStep()).isEqualTo(d.step());
    assertThat(last.scalar("loss")).isGreaterThan(best.scalar("loss"));

    String finalCheckpoint = modelDir.resolve("model.ckpt-" + d.step()).toString();
    assertThat(Checkpoints.latestCheckpoint(modelDir)).contains(finalCheckpoint);
    try (CheckpointReader reader = CheckpointReader.open(finalCheckpoint);
        CheckpointReader bestReader = CheckpointReader.open(best.checkpoint());
        TInt64 step = (TInt64) reader.read("global_step");
        TFloat32 w = (TFloat32) reader.read("w");
        TFloat32 bestW = (TFloat32) bestReader.read("w")) {
      assertThat(step.getLong()).isEqualTo(d.step());
      assertThat(w.getFloat()).isEqualTo(bestW.getFloat());
    }
    EvalResult again = Evaluation.builder(modelDir, PlateauModel.evalModel()).maxBatches(1).writeLedger(false)
        .writeSummaries(false).build().once(finalCheckpoint);
    assertThat(again.scalar("loss")).isEqualTo(best.scalar("loss"));
  }

  @Test
  void watchingTheLedgerOfASidecarStopsTraining() {
    EvaluationLedger ledger = EvaluationLedger.forModelDir(modelDir, "");
    // what a sidecar evaluator wrote: the best at 20, then two evaluations without improvement
    double[] losses = {1.0, 0.5, 0.6, 0.7};
    for (int i = 0; i < losses.length; i++) {
      ledger.append(new EvalResult(modelDir.resolve("model.ckpt-" + (10 * (i + 1))).toString(), 10L * (i + 1),
          java.time.Instant.now(), java.util.Map.of("loss", dev.tfmon.eval.metrics.MetricValue.scalar(losses[i]))));
    }
    EarlyStoppingHook stop = EarlyStoppingHook.builder(MetricGoal.min("loss")).patience(2).ledger(ledger)
        .watchLedger(java.time.Duration.ZERO).build();
    long runs;
    try (Graph graph = new Graph()) {
      PlateauModel model = PlateauModel.build(graph);
      try (MonitoredSession session = MonitoredTrainingSession.builder(graph)
          .hook(StopAtStepHook.lastStep(300)).hook(stop).build()) {
        runs = session.runUntilStopped(s -> s.run(model.train()));
      }
    }
    // read after the first run: entries up to step 40 are new to a run restored at step 0
    assertThat(runs).isEqualTo(1);
    assertThat(stop.decision().orElseThrow()).isEqualTo(new EarlyStopping.Decision(MetricGoal.min("loss"), 0.5, 20, 2, 40));
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
