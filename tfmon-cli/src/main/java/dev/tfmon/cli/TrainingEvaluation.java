package dev.tfmon.cli;

import dev.tfmon.eval.BestCheckpoints;
import dev.tfmon.eval.EarlyStopping;
import dev.tfmon.eval.EarlyStoppingHook;
import dev.tfmon.eval.EvalModel;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.Evaluation;
import dev.tfmon.eval.EvaluationHook;
import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.eval.StopFlag;
import dev.tfmon.eval.StopFlagHook;
import dev.tfmon.scaffold.Scaffold;
import dev.tfmon.session.MonitoredTrainingSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Evaluation during {@code tfmon train}: an {@link EvaluationHook} on the chief with the options'
 * frequency, {@link BestCheckpoints} for {@code --keep-best}, an {@link EarlyStoppingHook} for
 * {@code --early-stop} (on a cluster it sets a {@link StopFlag} that every other worker's {@link
 * StopFlagHook} reads). It installs the hooks and reports what happened.
 *
 * <pre>{@code
 * TrainingEvaluation evaluation = new TrainingEvaluation(settings.eval(), modelDir, model, scaffold, null, export);
 * evaluation.install(mts, true, progress::evaluated);
 * }</pre>
 */
final class TrainingEvaluation {
  private final EvalSettings settings;
  private final Evaluation evaluation;
  private final Scaffold scaffold;
  private final BestCheckpoints best;
  private final EarlyStoppingHook earlyStop;
  private final StopFlag flag;
  private final List<EvalResult> results = new ArrayList<>();
  private EvaluationHook hook;
  private StopFlagHook flagHook;

  /**
   * @param flag the cluster's stop flag (built into the graph by every worker), or null alone
   */
  TrainingEvaluation(
      EvalSettings settings, Path modelDir, EvalModel model, Scaffold scaffold, StopFlag flag, ExportOptions export) {
    this.settings = settings;
    this.scaffold = scaffold;
    this.flag = flag;
    Evaluation.Builder b = Evaluation.builder(modelDir, model);
    best = settings.keepBest() > 0
        ? BestCheckpoints.builder(modelDir).keep(settings.keepBest()).goal(settings.bestGoal()).build()
        : null;
    if (best != null) {
      b.listener(best);
    }
    if (settings.earlyStop() != null) {
      EarlyStoppingHook.Builder stop = EarlyStoppingHook.builder(settings.earlyStop())
          .patience(settings.patience()).minDelta(settings.minDelta())
          .ledger(EvaluationLedger.forModelDir(modelDir, ""));
      if (flag != null) {
        stop.stopFlag(flag);
      }
      earlyStop = stop.build();
      b.listener(earlyStop);
    } else {
      earlyStop = null;
    }
    if (settings.exportBest() != null) {
      b.listener(export.onImprovement(settings.exportBest(), EvaluationLedger.forModelDir(modelDir, "")));
    }
    this.evaluation = b.build();
  }

  /**
   * Adds the hooks: on the chief the evaluation (before {@code progressHook}, so that a progress
   * line shows the evaluation of its own step) and early stopping; on the other workers of a
   * cluster the stop-flag reader.
   */
  void install(MonitoredTrainingSession.Builder mts, boolean chief, Consumer<EvalResult> onResult) {
    if (!chief) {
      if (flag != null) {
        flagHook = new StopFlagHook(flag);
        mts.hook(flagHook);
      }
      return;
    }
    EvaluationHook.Builder h = EvaluationHook.builder(evaluation).scaffold(scaffold).observer(r -> {
      results.add(r);
      onResult.accept(r);
    });
    if (settings.everySteps() != null) {
      h.everySteps(settings.everySteps());
    } else {
      h.everySecs(settings.every().toMillis() / 1000.0);
    }
    hook = h.build();
    mts.hook(hook);
    if (earlyStop != null) {
      mts.hook(earlyStop);
    }
  }

  /** Whether early stopping ended the run (here, or on a cluster's chief through the stop flag). */
  boolean stoppedEarly() {
    return (earlyStop != null && earlyStop.decision().isPresent()) || (flagHook != null && flagHook.stoppedByFlag());
  }

  /** The closing lines: the evaluations made, the early stop, the best checkpoints. */
  List<String> report() {
    List<String> lines = new ArrayList<>();
    if (flagHook != null && flagHook.stoppedByFlag()) {
      lines.add("early stopping: the chief decided to stop (stop flag " + StopFlag.NAME + " set)");
    }
    if (hook == null) {
      return lines;
    }
    if (!results.isEmpty()) {
      EvalResult last = results.get(results.size() - 1);
      lines.add(String.format("evaluations: %d in this run, in %s; the last, at step %d: %s", results.size(),
          evaluation.ledger().file(), last.globalStep(), format(last.scalars())));
    }
    Optional<EarlyStopping.Decision> d = earlyStop == null ? Optional.empty() : earlyStop.decision();
    d.ifPresent(decision -> lines.add(String.format(
        "early stopping: %s has not improved by more than %s for %d evaluations (best %s at step %d); stopped at step %d",
        decision.goal().metric(), Progress.metric(settings.minDelta()), decision.stepsObserved(),
        Progress.metric(decision.bestValue()), decision.bestStep(), decision.step())));
    if (best != null) {
      List<String> kept = best.kept();
      Map<String, Double> byPath = new java.util.HashMap<>();
      evaluation.ledger().read().forEach(r -> byPath.put(Path.of(r.checkpoint()).getFileName().toString(),
          r.scalars().get(settings.bestGoal().metric())));
      List<String> parts = new ArrayList<>();
      for (String k : kept) {
        Double v = byPath.get(Path.of(k).getFileName().toString());
        parts.add(k + (v == null ? "" : " (" + Progress.metric(v) + ")"));
      }
      lines.add("best checkpoints by " + settings.bestGoal() + ": " + (parts.isEmpty() ? "(none yet)" : String.join(", ", parts)));
    }
    return lines;
  }

  /** {@code accuracy 0.9917  loss 0.02718}. */
  static String format(Map<String, Double> scalars) {
    List<String> parts = new ArrayList<>();
    scalars.forEach((k, v) -> parts.add(k + " " + Progress.metric(v)));
    return String.join("  ", parts);
  }
}
