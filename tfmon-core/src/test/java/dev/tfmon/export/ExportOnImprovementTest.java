package dev.tfmon.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Saver;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.Evaluation;
import dev.tfmon.eval.EvaluationHook;
import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.eval.MetricGoal;
import dev.tfmon.eval.metrics.MetricValue;
import dev.tfmon.hook.StopAtStepHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredSession;
import dev.tfmon.session.MonitoredTrainingSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * Issue 13 + issue 12: {@link ExportOnImprovement} exports the checkpoint an evaluation judged
 * when its metric beats every earlier export: in the training process ({@code EvaluationHook}), by
 * a sidecar after training, and across a restart (the exports on disk, and the ledger's evaluation
 * whose export the restart interrupted). Each export holds the evaluated checkpoint's weights, not
 * those of a later step.
 */
class ExportOnImprovementTest {
  private static final ExportSignature SERVING =
      ExportSignature.builder().input("x", "serving/x").output("y", "serving/y").build();

  @TempDir Path tmp;

  @Test
  void duringTrainingTheEvaluationsThatImproveAreExportedFromTheirCheckpoints() throws IOException {
    Path model = tmp.resolve("model");
    ExportDirectory exports = ExportDirectory.of(tmp.resolve("exports")).keep(3);
    ExportOnImprovement best;
    try (Graph g = new Graph()) {
      ExportModel m = ExportModel.build(g);
      Scaffold scaffold = Scaffold.builder(g).saver(Saver.builder(g).maxToKeep(100).build())
          .localInitOp(m.iteratorInit()).build();
      best = ExportOnImprovement.builder(
              CheckpointExporter.of(SavedModelExporter.builder(g).signature(m.signature()).build(), scaffold.saver()),
              exports, MetricGoal.min("loss"))
          .ledger(EvaluationLedger.forModelDir(model, ""))
          .build();
      Evaluation evaluation = Evaluation.builder(model, ExportModel.evalModel()).maxBatches(1).listener(best).build();
      try (MonitoredSession s = MonitoredTrainingSession.builder(g)
          .checkpointDir(model)
          .scaffold(scaffold)
          .saveCheckpointSteps(10)
          .hook(EvaluationHook.builder(evaluation).everySteps(10).scaffold(scaffold).build())
          .hook(StopAtStepHook.lastStep(120))
          .build()) {
        s.runUntilStopped(x -> x.run(m.trainOp()));
      }
    }
    List<EvalResult> ledger = EvaluationLedger.forModelDir(model, "").read();
    assertThat(ledger).extracting(EvalResult::globalStep).contains(10L, 60L, 120L);
    List<Long> improved = improvements(ledger, "loss");
    assertThat(improved).hasSizeGreaterThanOrEqualTo(3);
    // keep 3: the three newest improvements
    assertThat(exports.versions()).isEqualTo(improved.subList(improved.size() - 3, improved.size()));
    for (long step : exports.versions()) {
      assertSameWeights(exports, step, model.resolve("model.ckpt-" + step).toString());
    }
    long newest = improved.get(improved.size() - 1);
    double loss = ledger.stream().filter(r -> r.globalStep() == newest).findFirst().orElseThrow().scalar("loss");
    assertThat(best.best()).hasValue(loss);
    assertThat(Files.readString(exports.versionPath(newest).resolve("assets.extra/" + BestExporter.METRIC_FILE)))
        .contains("metric=loss", "value=" + loss, "global_step=" + newest, "higher_is_better=false",
            "checkpoint=" + model.resolve("model.ckpt-" + newest).toString().replace(":", "\\:"));
    assertThat(best.lastResult().orElseThrow().verification().performed()).isTrue();
  }

  @Test
  void aSidecarExportsFromTheCheckpointsItEvaluatesAfterTraining() throws IOException {
    Path model = train(tmp.resolve("model"), 60);
    ExportDirectory exports = ExportDirectory.of(tmp.resolve("exports"));
    Evaluation evaluation = Evaluation.builder(model, ExportModel.evalModel()).maxBatches(1)
        .listener(ExportOnImprovement.builder(fromMetaGraphs(), exports, MetricGoal.min("loss")).build())
        .build();
    // nobody trains any more: every checkpoint once, then it ends
    List<EvalResult> results = evaluation.repeatedly(Duration.ofMinutes(1));

    assertThat(results).extracting(EvalResult::globalStep).containsExactly(0L, 10L, 20L, 30L, 40L, 50L, 60L);
    assertThat(exports.versions()).isEqualTo(improvements(results, "loss")).contains(0L);
    for (long step : exports.versions()) {
      assertSameWeights(exports, step, model.resolve("model.ckpt-" + step).toString());
    }
  }

  @Test
  void onlyImprovementsAreExportedAndTheBestSurvivesARestart() throws IOException {
    Path model = train(tmp.resolve("model"), 70);
    EvaluationLedger ledger = EvaluationLedger.forModelDir(model, "");
    ExportDirectory exports = ExportDirectory.of(tmp.resolve("exports"));
    ExportOnImprovement first =
        ExportOnImprovement.builder(fromMetaGraphs(), exports, MetricGoal.min("loss")).ledger(ledger).build();
    Map<Long, Double> loss = Map.of(10L, 5.0, 20L, 3.0, 30L, 4.0, 40L, 1.0, 50L, 2.0);
    for (long step = 10; step <= 50; step += 10) {
      EvalResult r = result(model, step, "loss", loss.get(step));
      ledger.append(r);
      first.afterEvaluation(r);
    }
    assertThat(exports.versions()).containsExactly(10L, 20L, 40L);
    assertThat(first.best()).hasValue(1.0);
    // step 40's weights, not those of the newest checkpoint (70)
    assertSameWeights(exports, 40, model.resolve("model.ckpt-40").toString());
    assertThat(hiddenKernel(exports.versionPath(40).resolve("variables/variables").toString()))
        .isNotEqualTo(hiddenKernel(model.resolve("model.ckpt-70").toString()));

    // the process died after the ledger line of step 60 and before its export
    ledger.append(result(model, 60, "loss", 0.5));
    ExportOnImprovement restarted =
        ExportOnImprovement.builder(fromMetaGraphs(), exports, MetricGoal.min("loss")).ledger(ledger).build();
    EvalResult at70 = result(model, 70, "loss", 0.8);
    ledger.append(at70);
    restarted.afterEvaluation(at70);
    assertThat(exports.versions()).containsExactly(10L, 20L, 40L, 60L);
    assertThat(restarted.best()).hasValue(0.5);
    assertSameWeights(exports, 60, model.resolve("model.ckpt-60").toString());

    // without the ledger, a restart knows the exports on disk only
    ExportOnImprovement diskOnly = ExportOnImprovement.builder(fromMetaGraphs(), exports, MetricGoal.min("loss")).build();
    diskOnly.afterEvaluation(result(model, 70, "loss", 0.6));
    assertThat(exports.versions()).containsExactly(10L, 20L, 40L, 60L);
    assertThat(diskOnly.best()).hasValue(0.5);

    // a better evaluation whose checkpoint is gone cannot be exported, but stays the one to beat
    ledger.append(new EvalResult(model.resolve("model.ckpt-65").toString(), 65, Instant.now(),
        Map.of("loss", MetricValue.scalar(0.1))));
    ExportOnImprovement afterLoss = ExportOnImprovement.builder(fromMetaGraphs(), exports, MetricGoal.min("loss"))
        .ledger(ledger).build();
    afterLoss.afterEvaluation(result(model, 70, "loss", 0.3));
    assertThat(exports.versions()).containsExactly(10L, 20L, 40L, 60L);
    assertThat(afterLoss.best()).hasValue(0.1);

    // an accuracy is maximized: the same values rank the other way round, in a directory of its own
    ExportDirectory byAccuracy = ExportDirectory.of(tmp.resolve("by-accuracy"));
    ExportOnImprovement accuracy =
        ExportOnImprovement.builder(fromMetaGraphs(), byAccuracy, MetricGoal.max("accuracy")).build();
    for (long step = 10; step <= 50; step += 10) {
      accuracy.afterEvaluation(result(model, step, "accuracy", loss.get(step)));
    }
    assertThat(byAccuracy.versions()).containsExactly(10L);
  }

  @Test
  void anEvaluationWithoutTheMetricIsRefusedNamingTheMetricsItHas() throws IOException {
    Path model = train(tmp.resolve("model"), 10);
    ExportOnImprovement best = ExportOnImprovement.builder(fromMetaGraphs(), ExportDirectory.of(tmp.resolve("exports")),
        MetricGoal.max("auc")).build();
    EvalResult r = result(model, 10, "loss", 0.5);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> best.afterEvaluation(r))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the evaluation of " + model.resolve("model.ckpt-10") + " has no metric 'auc'; it has [loss]");
    assertThat(tmp.resolve("exports")).doesNotExist();
  }

  private static CheckpointExporter fromMetaGraphs() {
    return CheckpointExporter.fromMetaGraphs(graph -> SavedModelExporter.builder(graph).signature(SERVING).build());
  }

  /** Trains {@link ExportModel} to {@code lastStep} with a checkpoint (and its .meta) every 10 steps, all kept. */
  private static Path train(Path model, long lastStep) {
    try (Graph g = new Graph()) {
      ExportModel m = ExportModel.build(g);
      try (MonitoredSession s = MonitoredTrainingSession.builder(g)
          .checkpointDir(model)
          .scaffold(Scaffold.builder(g).saver(Saver.builder(g).maxToKeep(100).build()).localInitOp(m.iteratorInit()).build())
          .saveCheckpointSteps(10)
          .hook(StopAtStepHook.lastStep(lastStep))
          .build()) {
        s.runUntilStopped(x -> x.run(m.trainOp()));
      }
    }
    return model;
  }

  private static EvalResult result(Path model, long step, String metric, double value) {
    return new EvalResult(model.resolve("model.ckpt-" + step).toString(), step, Instant.now(),
        Map.of(metric, MetricValue.scalar(value)));
  }

  /** The steps whose metric beat every earlier one (smaller is better). */
  private static List<Long> improvements(List<EvalResult> results, String metric) {
    List<Long> steps = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    for (EvalResult r : results) {
      if (r.scalar(metric) < best) {
        best = r.scalar(metric);
        steps.add(r.globalStep());
      }
    }
    return steps;
  }

  private static void assertSameWeights(ExportDirectory exports, long step, String checkpoint) {
    assertThat(hiddenKernel(exports.versionPath(step).resolve("variables/variables").toString()))
        .as("export %d against %s", step, checkpoint)
        .containsExactly(hiddenKernel(checkpoint));
  }

  private static float[] hiddenKernel(String prefix) {
    try (CheckpointReader reader = CheckpointReader.open(prefix); Tensor t = reader.read("hidden_kernel")) {
      return ExportModel.floats((TFloat32) t);
    }
  }
}
