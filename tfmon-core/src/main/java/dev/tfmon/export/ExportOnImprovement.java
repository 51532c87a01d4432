package dev.tfmon.export;

import dev.tfmon.checkpoint.Checkpoints;
import dev.tfmon.eval.EvalResult;
import dev.tfmon.eval.EvaluationLedger;
import dev.tfmon.eval.EvaluationListener;
import dev.tfmon.eval.MetricGoal;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports the evaluated checkpoint whenever an evaluation's metric beats every earlier export
 * (Estimator's {@code BestExporter}, driven by {@code dev.tfmon.eval}): an {@link
 * EvaluationListener} for an {@code Evaluation} run in the training process ({@code
 * EvaluationHook}) or by a sidecar ({@code Evaluation.repeatedly}). The export is made from the
 * checkpoint that was evaluated, never from a live session that has moved on since, through a
 * {@link CheckpointExporter}; its version is the global step restored from the checkpoint, and it
 * is verified and published with the keep-N policy of its {@link ExportDirectory} like any other
 * export.
 *
 * <pre>{@code
 * ExportOnImprovement best = ExportOnImprovement.builder(
 *         CheckpointExporter.fromMetaGraphs(graph -> SavedModelExporter.builder(graph).build()),
 *         ExportDirectory.of(Path.of("/models/spirals")).keep(3), MetricGoal.max("accuracy"))
 *     .ledger(evaluation.ledger()).build();
 * Evaluation evaluation = Evaluation.builder(modelDir, model).listener(best).build();
 * }</pre>
 *
 * <p>The best so far survives restarts twice over. Each export records its metric ({@code
 * assets.extra/tfmon_metric.properties}, as {@link BestExporter} does) and the first evaluation
 * after a start compares with the best export on disk. With {@link Builder#ledger}, the
 * evaluations the ledger already holds count too: when the best of them beats the exports on disk
 * (the process died between that evaluation and its export), its checkpoint is exported then, if
 * it still exists; if not, its value stays the one to beat, with a warning. A failed or refused
 * export propagates its exception to the evaluation (and so ends a training run or a sidecar).
 */
public final class ExportOnImprovement implements EvaluationListener {
  private static final Logger LOG = LoggerFactory.getLogger(ExportOnImprovement.class);

  private final CheckpointExporter exporter;
  private final ExportDirectory exports;
  private final BestExports best;
  private final EvaluationLedger ledger;
  private boolean caughtUp;
  private volatile ExportResult last;

  private ExportOnImprovement(Builder b) {
    this.exporter = b.exporter;
    this.exports = b.exports;
    this.best = new BestExports(b.exports, b.goal);
    this.ledger = b.ledger;
  }

  public static Builder builder(CheckpointExporter exporter, ExportDirectory exports, MetricGoal goal) {
    return new Builder(exporter, exports, goal);
  }

  /**
   * Exports {@code result}'s checkpoint if its metric improves on the best so far.
   *
   * @return false: it never asks training to stop
   * @throws IllegalArgumentException naming the metrics there are, if the evaluation lacks the goal's
   */
  @Override
  public synchronized boolean afterEvaluation(EvalResult result) {
    double value = result.scalar(best.goal().metric());
    if (!caughtUp) {
      caughtUp = true;
      catchUp(result);
    }
    consider(result.checkpoint(), result.globalStep(), value);
    return false;
  }

  /** The best metric so far (exported in this run, on disk, or in the ledger), if any. */
  public OptionalDouble best() {
    return best.best();
  }

  /** The export made last by this listener, if any. */
  public Optional<ExportResult> lastResult() {
    return Optional.ofNullable(last);
  }

  /** The directory exports go to. */
  public ExportDirectory exports() {
    return exports;
  }

  private void consider(String checkpoint, long step, double value) {
    if (best.worthExporting(value, step, checkpoint)) {
      last = exporter.export(checkpoint, exports, step, best.metricFile(value, step, checkpoint));
      best.exported(value);
    }
  }

  /** The ledger's best earlier evaluation, exported now if it beats the exports on disk. */
  private void catchUp(EvalResult current) {
    if (ledger == null) {
      return;
    }
    String metric = best.goal().metric();
    EvalResult top = null;
    for (EvalResult r : ledger.read()) {
      Double v = r.scalars().get(metric);
      boolean isCurrent = r.globalStep() == current.globalStep() && r.checkpoint().equals(current.checkpoint());
      if (v == null || isCurrent) {
        continue;
      }
      // ties keep the earlier evaluation, as an uninterrupted run would have
      if (best.goal().improves(v, top == null ? null : top.scalars().get(metric), 0)) {
        top = r;
      }
    }
    if (top == null || !best.improvedBy(top.scalars().get(metric))) {
      return;
    }
    double value = top.scalars().get(metric);
    if (Checkpoints.checkpointExists(top.checkpoint())) {
      LOG.info("the ledger's best evaluation, {} {} of {}, beats the exports in {}: exporting it first", metric, value,
          top.checkpoint(), exports.base());
      consider(top.checkpoint(), top.globalStep(), value);
    } else {
      LOG.warn("the ledger's best evaluation, {} {} of {}, beats the exports in {}, but that checkpoint is gone:"
          + " later evaluations must beat its value to be exported", metric, value, top.checkpoint(), exports.base());
      best.exported(value);
    }
  }

  /**
   * Settings of an {@link ExportOnImprovement}.
   *
   * <pre>{@code
   * ExportOnImprovement.builder(exporter, exports, MetricGoal.min("loss")).ledger(evaluation.ledger()).build();
   * }</pre>
   */
  public static final class Builder {
    private final CheckpointExporter exporter;
    private final ExportDirectory exports;
    private final MetricGoal goal;
    private EvaluationLedger ledger;

    private Builder(CheckpointExporter exporter, ExportDirectory exports, MetricGoal goal) {
      this.exporter = Objects.requireNonNull(exporter, "exporter");
      this.exports = Objects.requireNonNull(exports, "exports");
      this.goal = Objects.requireNonNull(goal, "goal");
    }

    /**
     * The ledger of the evaluation this listens to ({@code evaluation.ledger()}): its earlier
     * results count toward the best at the first evaluation (default: none, only the exports on
     * disk).
     */
    public Builder ledger(EvaluationLedger evaluationLedger) {
      this.ledger = Objects.requireNonNull(evaluationLedger, "ledger");
      return this;
    }

    public ExportOnImprovement build() {
      return new ExportOnImprovement(this);
    }
  }
}
