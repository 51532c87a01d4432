package dev.tfmon.cli;

import dev.tfmon.eval.MetricGoal;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The evaluation options of {@code tfmon train} once checked ({@link EvalOptions#resolve}).
 *
 * <pre>{@code
 * EvalSettings s = new EvalSettings(200L, null, null, MetricGoal.min("loss"), 5, 0.0, 3, MetricGoal.min("loss"), null);
 * }</pre>
 *
 * @param everySteps evaluate every this many steps, or null (then {@code every})
 * @param every evaluate every this long, or null
 * @param evalData the CSV file of evaluation rows, or null for the held-out part of the data
 * @param earlyStop the metric early stopping watches, or null for none
 * @param patience evaluations without improvement before stopping
 * @param minDelta the least change that counts as an improvement
 * @param keepBest how many best checkpoints to keep, 0 for none
 * @param bestGoal what they are ranked by, or null
 * @param exportBest export the evaluated checkpoint when this metric improves (with --export-dir), or null
 */
record EvalSettings(
    Long everySteps, Duration every, Path evalData, MetricGoal earlyStop, int patience, double minDelta,
    int keepBest, MetricGoal bestGoal, MetricGoal exportBest) {

  /** How often, for the "model:" line: {@code every 200 steps}. */
  String describe() {
    return everySteps != null ? "every " + everySteps + " steps" : "every " + every.toSeconds() + " s";
  }
}
