package dev.tfmon.cli;

import dev.tfmon.eval.MetricGoal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The evaluation options of {@code tfmon train} (a picocli mixin): evaluate during training,
 * stop early, keep the best checkpoints, export the best model. {@link #resolve} checks them into {@link EvalSettings}.
 *
 * <pre>{@code
 * tfmon train --eval-every 200 --early-stop loss:5 --keep-best 3 --best-metric accuracy
 * tfmon train --eval-every 200 --export-dir exports/spirals --export-best accuracy
 * }</pre>
 */
final class EvalOptions {
  /** What the built-in classifier's evaluation computes. */
  static final List<String> METRICS = List.of("accuracy", "loss");

  @Option(names = "--eval-every", paramLabel = "N|DURATION",
      description = "Evaluate on the held-out rows every N steps, or every DURATION (90s, 10m), during training; "
          + "the progress line shows the last values. Results go to <model-dir>/eval/ (TensorBoard summaries "
          + "and evaluations.jsonl).")
  String evalEvery;

  @Option(names = "--eval-data", paramLabel = "FILE.csv",
      description = "Evaluate on the rows of this CSV file (same columns as the training data) instead of "
          + "holding out a fifth of the training data.")
  Path evalData;

  @Option(names = "--early-stop", paramLabel = "METRIC:PATIENCE[:MIN_DELTA]",
      description = "Stop when the evaluation METRIC (accuracy or loss) has not improved by more than MIN_DELTA "
          + "(default 0) for PATIENCE evaluations, e.g. loss:5 or accuracy:3:0.001. Needs --eval-every.")
  String earlyStop;

  @Option(names = "--keep-best", paramLabel = "K",
      description = "Keep the K best evaluated checkpoints in <model-dir>/best/ (its own checkpoint state file), "
          + "whatever the rolling retention deletes. Needs --eval-every.")
  Integer keepBest;

  @Option(names = "--best-metric", paramLabel = "NAME[:min|max]",
      description = "The metric --keep-best ranks by (default: loss:min; accuracy is maximized unless told).")
  String bestMetric;

  @Option(names = "--export-best", paramLabel = "NAME[:min|max]",
      description = "With --export-dir: export the evaluated checkpoint as a SavedModel each time the evaluation "
          + "metric NAME (accuracy or loss) beats every earlier export, instead of once at the end, e.g. loss or "
          + "accuracy:max (accuracy is maximized unless told). Needs --eval-every.")
  String exportBest;

  /**
   * @return null when no evaluation option is given
   * @throws CliException usage error naming the option and value
   */
  EvalSettings resolve(boolean metaGraph) {
    if (evalEvery == null) {
      for (String[] opt : new String[][] {
          {"--early-stop", earlyStop}, {"--keep-best", keepBest == null ? null : keepBest.toString()},
          {"--best-metric", bestMetric}, {"--eval-data", evalData == null ? null : evalData.toString()},
          {"--export-best", exportBest}}) {
        if (opt[1] != null) {
          throw CliException.usage(opt[0] + " " + opt[1] + " needs --eval-every N|DURATION");
        }
      }
      return null;
    }
    if (metaGraph) {
      throw CliException.usage("--eval-every works with the built-in model only, not with --meta-graph");
    }
    Long steps = null;
    Duration every = null;
    if (evalEvery.matches("\\d{1,18}")) {
      steps = Long.parseLong(evalEvery);
      if (steps < 1) {
        throw CliException.usage("--eval-every must be a positive number of steps or a duration, but got " + evalEvery);
      }
    } else {
      if (evalEvery.equals("0") || !evalEvery.matches("\\d{1,9}(ms|s|m|h)")) {
        throw CliException.usage("--eval-every must be a number of steps (500) or a duration (90s, 10m, 1h), but got '"
            + evalEvery + "'");
      }
      every = TrainingMonitoring.parseDuration("--eval-every", evalEvery);
    }
    if (evalData != null) {
      InputPaths.readableFile("--eval-data", evalData);
    }
    MetricGoal stopGoal = null;
    int patience = 0;
    double minDelta = 0;
    if (earlyStop != null) {
      String[] p = earlyStop.split(":", -1);
      String form = "--early-stop must be METRIC:PATIENCE[:MIN_DELTA] such as loss:5 or accuracy:3:0.001, but got '"
          + earlyStop + "'";
      if (p.length < 2 || p.length > 3) {
        throw CliException.usage(form);
      }
      stopGoal = goal("--early-stop", earlyStop, p[0]);
      try {
        patience = Integer.parseInt(p[1]);
        minDelta = p.length == 3 ? Double.parseDouble(p[2]) : 0;
      } catch (NumberFormatException e) {
        throw CliException.usage(form);
      }
      if (patience < 1 || !(minDelta >= 0) || Double.isInfinite(minDelta)) {
        throw CliException.usage("--early-stop '" + earlyStop + "': PATIENCE must be at least 1 and MIN_DELTA a number >= 0");
      }
    }
    if (bestMetric != null && keepBest == null) {
      throw CliException.usage("--best-metric " + bestMetric + " needs --keep-best K");
    }
    MetricGoal bestGoal = null;
    if (keepBest != null) {
      if (keepBest < 1) {
        throw CliException.usage("--keep-best must be at least 1, but got " + keepBest);
      }
      bestGoal = rankedBy("--best-metric", bestMetric == null ? "loss:min" : bestMetric, "loss:min or accuracy");
    }
    MetricGoal exportGoal = exportBest == null ? null : rankedBy("--export-best", exportBest, "loss or accuracy:max");
    return new EvalSettings(steps, every, evalData, stopGoal, patience, minDelta, keepBest == null ? 0 : keepBest, bestGoal,
        exportGoal);
  }

  /** {@code NAME[:min|max]} naming one of the evaluation's metrics. */
  private static MetricGoal rankedBy(String option, String spec, String examples) {
    int colon = spec.indexOf(':');
    goal(option, spec, colon < 0 ? spec : spec.substring(0, colon));
    try {
      return MetricGoal.parse(spec);
    } catch (IllegalArgumentException e) {
      throw CliException.usage(option + " must be NAME[:min|max] such as " + examples + ", but got '" + spec + "'");
    }
  }

  private static MetricGoal goal(String option, String value, String metric) {
    if (!METRICS.contains(metric)) {
      throw CliException.usage(option + " '" + value + "': the evaluation has no metric '" + metric + "'; its metrics are "
          + String.join(", ", METRICS));
    }
    return MetricGoal.parse(metric);
  }
}
