package dev.tfmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfmon.checkpoint.CheckpointReader;
import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.summary.ScalarPoint;
import dev.tfmon.summary.ScalarSeries;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * Issue 12 end to end: {@code tfmon train --eval-every} with early stopping, best-K retention and a
 * learning-rate schedule, then {@code tfmon evaluate} on its directory; {@code --export-best}
 * (issue 13); every bad evaluation option is one line naming it, with exit code 2.
 */
@Tag("multiprocess")
class EvalCliTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(180);

  @TempDir static Path shared;
  private static Path run;
  private static CliProcess.Result train;

  @BeforeAll
  static void trainWithEvaluation() {
    run = shared.resolve("run");
    train = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", run.toString(), "--max-steps", "900",
        "--log-steps", "100", "--eval-every", "100", "--keep-best", "2", "--best-metric", "accuracy",
        "--lr-schedule", "exponential:0.5:200", "--summary-steps", "100");
  }

  @Test
  void evaluatesEveryHundredStepsAndShowsTheLastValuesOnTheProgressLine() {
    assertThat(train.exitCode()).as(train.toString()).isZero();
    assertThat(train.out())
        .contains("model: multi-layer classifier, layers 2-64-64-3 (ReLU), Adam(learning rate 0.01, exponential:0.5:200), batch 64")
        .contains("eval:  every 100 steps on 600 examples (accuracy, loss) into " + run.resolve("eval")
            + "; keep the 2 best by accuracy:max in " + run.resolve("best"))
        .containsPattern("step 100/900  loss \\S+  eval@100 accuracy 0\\.\\d+ loss 0\\.\\d+")
        .containsPattern("step 900/900  loss \\S+  eval@900 accuracy ")
        .contains("evaluations: 9 in this run, in " + run.resolve("eval").resolve("evaluations.jsonl"));
    List<EvalResult> ledger = EvaluationLedger.forModelDir(run, "").read();
    assertThat(ledger).extracting(EvalResult::globalStep).containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L, 900L);
    // every evaluation is at its checkpoint's step in eval/, as TensorBoard reads it
    Map<String, List<ScalarPoint>> eval = ScalarSeries.readDirectory(run.resolve("eval"));
    assertThat(eval.get("accuracy")).extracting(ScalarPoint::step).containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L, 900L);
    for (int i = 0; i < ledger.size(); i++) {
      assertThat(eval.get("loss").get(i).value()).isEqualTo((float) ledger.get(i).scalar("loss"));
    }
  }

  @Test
  void keepsTheTwoMostAccurateCheckpointsAndTheScheduleIsTheLearningRateSummary() {
    assertThat(train.exitCode()).as(train.toString()).isZero();
    List<EvalResult> ledger = EvaluationLedger.forModelDir(run, "").read();
    List<EvalResult> ranked = ledger.stream()
        .sorted(Comparator.comparingDouble((EvalResult r) -> -r.scalar("accuracy")).thenComparingLong(EvalResult::globalStep))
        .toList();
    Path best = run.resolve("best");
    String first = best.resolve(Path.of(ranked.get(0).checkpoint()).getFileName()).toString();
    String second = best.resolve(Path.of(ranked.get(1).checkpoint()).getFileName()).toString();
    assertThat(Checkpoints.latestCheckpoint(best)).contains(first);
    assertThat(Checkpoints.checkpointState(best).orElseThrow().allModelCheckpointPaths()).containsExactly(second, first);
    assertThat(train.out()).contains("best checkpoints by accuracy:max: " + first + " (");

    // 0.01 * 0.5^(step / 200), as tf.compat.v1.train.exponential_decay, at the summary steps
    List<ScalarPoint> rate = ScalarSeries.readDirectory(run).get("learning_rate");
    assertThat(rate).isNotEmpty();
    for (ScalarPoint p : rate) {
      assertThat(p.value()).isCloseTo(0.01 * Math.pow(0.5, (p.step() - 1) / 200.0), org.assertj.core.api.Assertions.within(1e-8));
    }
  }

  @Test
  void evaluateACheckpointGivesTheValuesTrainingRecorded() throws Exception {
    assertThat(train.exitCode()).as(train.toString()).isZero();
    // a copy: this evaluation adds to the ledger, which the other tests read as training left it
    Path copy = shared.resolve("copy");
    try (var files = java.nio.file.Files.walk(run)) {
      for (Path p : files.toList()) {
        java.nio.file.Files.copy(p, copy.resolve(run.relativize(p).toString()));
      }
    }
    EvalResult atEnd = EvaluationLedger.forModelDir(copy, "").read().get(8);
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "evaluate", "--model-dir", copy.toString(),
        "--checkpoint", copy.resolve("model.ckpt-900").toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("evaluating " + copy.resolve("model.ckpt-900") + " on spirals (3000 points, 3 classes, seed 42) eval (600 examples)")
        .containsPattern("checkpoint +step +accuracy +loss")
        .containsPattern(java.util.regex.Pattern.quote(copy.resolve("model.ckpt-900").toString()) + " +900 +"
            + java.util.regex.Pattern.quote(Progress.metric(atEnd.scalar("accuracy"))) + " +"
            + java.util.regex.Pattern.quote(Progress.metric(atEnd.scalar("loss"))) + "\\n");
    assertThat(EvaluationLedger.forModelDir(copy, "").read()).hasSize(10);
  }

  @Test
  void earlyStoppingEndsTheRunAtTheEvaluationThatFiredIt() {
    Path dir = shared.resolve("stop");
    // a learning rate that halves every 50 steps soon stops improving the held-out loss
    CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "train", "--model-dir", dir.toString(), "--max-steps", "5000",
        "--log-steps", "500", "--eval-every", "50", "--early-stop", "loss:2", "--lr-schedule", "exponential:0.5:50");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<EvalResult> ledger = EvaluationLedger.forModelDir(dir, "").read();
    // the rule by hand over the ledger: the first evaluation with 2 since the best
    long best = -1;
    double bestLoss = Double.POSITIVE_INFINITY;
    long stop = -1;
    for (EvalResult e : ledger) {
      if (e.scalar("loss") < bestLoss) {
        bestLoss = e.scalar("loss");
        best = e.globalStep();
      } else if (e.globalStep() - best >= 2 * 50) {
        stop = e.globalStep();
        break;
      }
    }
    assertThat(stop).isPositive().isLessThan(5000);
    assertThat(ledger.get(ledger.size() - 1).globalStep()).isEqualTo(stop);
    assertThat(r.out()).contains("early stopping: loss has not improved by more than 0 for 2 evaluations (best "
        + Progress.metric(bestLoss) + " at step " + best + "); stopped at step " + stop)
        .doesNotContain("end of input")
        .contains("checkpoint:  " + dir.resolve("model.ckpt-" + stop));
  }

  // issue 13 + issue 12: --export-best exports the evaluated checkpoint each time the evaluation
  // improves, and a resumed run remembers the best export
  @Test
  void exportBestExportsTheEvaluatedCheckpointsThatImproveAndRemembersTheBestAcrossARun() throws Exception {
    Path dir = shared.resolve("exportbest");
    Path exports = shared.resolve("exportbest-models");
    String[] options = {"--model-dir", dir.toString(), "--log-steps", "100", "--eval-every", "100",
        "--export-dir", exports.toString(), "--export-best", "loss"};
    CliProcess.Result first = CliProcess.run(shared, TIMEOUT, concat(new String[] {"train", "--max-steps", "500"}, options));
    assertThat(first.exitCode()).as(first.toString()).isZero();
    List<Long> firstImprovements = improvements(EvaluationLedger.forModelDir(dir, "").read());
    assertThat(versions(exports)).isEqualTo(firstImprovements);
    long best = firstImprovements.get(firstImprovements.size() - 1);
    assertThat(first.out())
        .contains("eval:  every 100 steps on 600 examples (accuracy, loss) into " + dir.resolve("eval")
            + "; export the best by loss:min to " + exports)
        .containsPattern("export:      " + java.util.regex.Pattern.quote(exports.resolve(Long.toString(best)).toString())
            + " \\(the best by loss:min \\S+; verified serving_default on features=zeros float32 \\[1, 2\\]: max \\|diff\\| ");
    // each export holds its evaluated checkpoint's weights (the newest are still on disk)
    assertSameWeights(exports, best, dir.resolve("model.ckpt-" + best));
    assertThat(java.nio.file.Files.readString(exports.resolve(best + "/assets.extra/tfmon_metric.properties")))
        .contains("metric=loss", "global_step=" + best, "checkpoint=" + dir.resolve("model.ckpt-" + best));

    // resumed: only evaluations better than the best so far (of both runs) are exported
    CliProcess.Result second = CliProcess.run(shared, TIMEOUT, concat(new String[] {"train", "--max-steps", "1100"}, options));
    assertThat(second.exitCode()).as(second.toString()).isZero();
    List<EvalResult> ledger = EvaluationLedger.forModelDir(dir, "").read();
    assertThat(ledger).extracting(EvalResult::globalStep).containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L, 800L,
        900L, 1000L, 1100L);
    List<Long> all = improvements(ledger);
    assertThat(versions(exports)).isEqualTo(all);
    if (all.get(all.size() - 1) == best) {
      assertThat(second.out()).contains("export:      none in this run (no evaluation beat the best by loss:min "
          + Progress.metric(ledger.stream().filter(r -> r.globalStep() == best).findFirst().orElseThrow().scalar("loss"))
          + " in " + exports + ")");
    } else {
      // the rolling retention keeps 5 checkpoints: the best may be gone by now, its export not
      Path newest = dir.resolve("model.ckpt-" + all.get(all.size() - 1));
      if (Checkpoints.checkpointExists(newest.toString())) {
        assertSameWeights(exports, all.get(all.size() - 1), newest);
      }
    }
  }

  private static String[] concat(String[] a, String[] b) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
  }

  /** The steps whose evaluation loss beat every earlier one. */
  private static List<Long> improvements(List<EvalResult> ledger) {
    List<Long> steps = new java.util.ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    for (EvalResult r : ledger) {
      if (r.scalar("loss") < best) {
        best = r.scalar("loss");
        steps.add(r.globalStep());
      }
    }
    return steps;
  }

  private static List<Long> versions(Path exports) throws java.io.IOException {
    try (var dirs = java.nio.file.Files.list(exports)) {
      return dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).map(Long::parseLong).sorted().toList();
    }
  }

  private static void assertSameWeights(Path exports, long version, Path checkpoint) {
    for (String variable : List.of("dense_0_kernel", "logits_bias")) {
      try (CheckpointReader export = CheckpointReader.open(exports.resolve(version + "/variables/variables").toString());
          CheckpointReader saved = CheckpointReader.open(checkpoint.toString());
          Tensor a = export.read(variable);
          Tensor b = saved.read(variable)) {
        assertThat(floats((TFloat32) a)).as("%s of export %d", variable, version).containsExactly(floats((TFloat32) b));
      }
    }
  }

  private static float[] floats(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    int[] i = {0};
    t.scalars().forEach(v -> out[i[0]++] = v.getFloat());
    return out;
  }

  @Test
  void evaluateWatchIsTheSidecarOfALiveTrainingRun() {
    Path dir = shared.resolve("watched");
    try (CliProcess trainer = CliProcess.start(shared, "train", "--model-dir", dir.toString(), "--max-steps", "800",
        "--save-checkpoint-steps", "200", "--log-steps", "800")) {
      // started first: it waits for the directory and the checkpoints, and ends when training has
      CliProcess.Result r = CliProcess.run(shared, TIMEOUT, "evaluate", "--model-dir", dir.toString(), "--watch",
          "--timeout", "3m");
      CliProcess.Result t = trainer.await(TIMEOUT);
      assertThat(t.exitCode()).as(t.toString()).isZero();
      assertThat(r.exitCode()).as(r.toString()).isZero();
      List<String> rows = r.out().lines().filter(l -> l.startsWith(dir.toString())).toList();
      assertThat(rows).hasSize(4);
      for (int i = 0; i < 4; i++) {
        assertThat(rows.get(i)).startsWith(dir.resolve("model.ckpt-" + (200 * (i + 1))) + " ");
      }
      assertThat(r.out()).contains("evaluated 4 checkpoint(s); results in " + dir.resolve("eval"));
      assertThat(EvaluationLedger.forModelDir(dir, "").read()).extracting(EvalResult::globalStep)
          .containsExactly(200L, 400L, 600L, 800L);
    }
  }

  @Test
  void evaluateFailsWithOneWhenThereIsNothingItCanEvaluate() throws Exception {
    Path empty = java.nio.file.Files.createDirectories(shared.resolve("empty"));
    CliProcess.Result none = CliProcess.run(shared, TIMEOUT, "evaluate", "--model-dir", empty.toString());
    assertThat(none.exitCode()).as(none.toString()).isEqualTo(1);
    assertThat(none.err()).isEqualTo("tfmon: error: --model-dir " + empty + " holds no checkpoint (no usable checkpoint state file)\n");

    // a Python linear regression: not the built-in classifier
    Path python = InteropDir.copy("linear-ref", shared.resolve("python"));
    CliProcess.Result other = CliProcess.run(shared, TIMEOUT, "evaluate", "--model-dir", python.toString(),
        "--checkpoint", python.resolve("model.ckpt-30").toString());
    assertThat(other.exitCode()).as(other.toString()).isEqualTo(1);
    assertThat(other.err()).isEqualTo("tfmon: error: " + python.resolve("model.ckpt-30") + " holds no model of tfmon"
        + " train's built-in classifier (no logits_kernel); tfmon evaluate evaluates that model only\n");
    assertThat(python.resolve("eval")).doesNotExist();
  }

  @Test
  void badEvaluationOptionsAreOneLineNamingTheValue() {
    Object[][] cases = {
        {new String[] {"train", "--early-stop", "loss:3"}, "tfmon: error: --early-stop loss:3 needs --eval-every N|DURATION"},
        {new String[] {"train", "--eval-every", "10x"}, "tfmon: error: --eval-every must be a number of steps (500) or a duration (90s, 10m, 1h), but got '10x'"},
        {new String[] {"train", "--eval-every", "100", "--early-stop", "loss"},
            "tfmon: error: --early-stop must be METRIC:PATIENCE[:MIN_DELTA] such as loss:5 or accuracy:3:0.001, but got 'loss'"},
        {new String[] {"train", "--eval-every", "100", "--early-stop", "auc:3"},
            "tfmon: error: --early-stop 'auc:3': the evaluation has no metric 'auc'; its metrics are accuracy, loss"},
        {new String[] {"train", "--eval-every", "100", "--keep-best", "0"}, "tfmon: error: --keep-best must be at least 1, but got 0"},
        {new String[] {"train", "--eval-every", "100", "--keep-best", "2", "--best-metric", "loss:down"},
            "tfmon: error: --best-metric must be NAME[:min|max] such as loss:min or accuracy, but got 'loss:down'"},
        {new String[] {"train", "--lr-schedule", "exponential:0.96"},
            "tfmon: error: --lr-schedule 'exponential:0.96': expected exponential:DECAY_RATE:DECAY_STEPS[:staircase], e.g. exponential:0.96:1000"},
        {new String[] {"train", "--lr-schedule", "cosine:-5"},
            "tfmon: error: --lr-schedule 'cosine:-5': the decay steps must be a positive whole number, but got '-5'"},
        {new String[] {"train", "--lr-schedule", "linear:5"}, "tfmon: error: --lr-schedule 'linear:5': expected " + ScheduleSpec.FORMS},
        {new String[] {"evaluate", "--model-dir", shared.toString(), "--watch", "--checkpoint", "x"},
            "tfmon: error: --checkpoint x and --watch exclude each other; give one"},
        {new String[] {"train", "--export-best", "loss"}, "tfmon: error: --export-best loss needs --eval-every N|DURATION"},
        {new String[] {"train", "--eval-every", "100", "--export-best", "loss"},
            "tfmon: error: --export-best loss needs --export-dir DIR"},
        {new String[] {"train", "--eval-every", "100", "--export-dir", "e", "--export-best", "auc"},
            "tfmon: error: --export-best 'auc': the evaluation has no metric 'auc'; its metrics are accuracy, loss"},
        {new String[] {"train", "--eval-every", "100", "--export-dir", "e", "--export-best", "loss:up"},
            "tfmon: error: --export-best must be NAME[:min|max] such as loss or accuracy:max, but got 'loss:up'"},
        {new String[] {"train", "--evaluator-timeout", "0"},
            "tfmon: error: --evaluator-timeout must be a positive duration such as 90s or 10m, but got '0'"},
    };
    for (Object[] c : cases) {
      Path dir = shared.resolve("bad");
      String[] args = (String[]) c[0];
      String[] withDir = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
          args[0].equals("train") ? java.util.stream.Stream.of("--model-dir", dir.toString()) : java.util.stream.Stream.empty())
          .toArray(String[]::new);
      CliProcess.Result r = CliProcess.run(shared, TIMEOUT, withDir);
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err().lines().findFirst().orElse("")).as(r.toString()).isEqualTo(c[1]);
      assertThat(dir).doesNotExist();
    }
  }
}
