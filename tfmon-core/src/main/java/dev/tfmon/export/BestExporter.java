package dev.tfmon.export;

import dev.tfmon.eval.MetricGoal;
import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.runtime.RunnableSession;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Exports the model after a checkpoint only when its metric improved on every earlier export
 * (Estimator's {@code BestExporter}). The metric comes from an {@link ExportMetric}, computed with
 * the training session right after each checkpoint. Each export records its metric in {@code
 * assets.extra/tfmon_metric.properties}, so a restarted job compares with the best export on disk,
 * not from scratch. To export when an evaluation ({@code dev.tfmon.eval}) improves, use {@link
 * ExportOnImprovement}, which exports the evaluated checkpoint.
 *
 * <pre>{@code
 * BestExporter best = BestExporter.builder(exporter, ExportDirectory.of(Path.of("/models/best")).keep(3), evalLoss)
 *     .metricName("eval_loss").build();                          // lower is better by default
 * MonitoredTrainingSession.builder(graph).checkpointDir(dir).checkpointListener(best).build();
 * }</pre>
 */
public final class BestExporter implements CheckpointSaverListener {
  /** The file in {@code assets.extra/} holding an export's metric. */
  public static final String METRIC_FILE = "tfmon_metric.properties";

  private final SavedModelExporter exporter;
  private final ExportDirectory exports;
  private final ExportMetric metric;
  private final BestExports best;
  private volatile ExportResult last;

  private BestExporter(Builder b) {
    this.exporter = b.exporter;
    this.exports = b.exports;
    this.metric = b.metric;
    this.best = new BestExports(b.exports, b.higherIsBetter ? MetricGoal.max(b.metricName) : MetricGoal.min(b.metricName));
  }

  public static Builder builder(SavedModelExporter exporter, ExportDirectory exports, ExportMetric metric) {
    return new Builder(exporter, exports, metric);
  }

  @Override
  public synchronized boolean afterSave(RunnableSession session, long step) {
    double value = metric.evaluate(session, step);
    if (best.worthExporting(value, step, "global step " + step)) {
      last = exporter.export(session, exports, step, best.metricFile(value, step, null));
      best.exported(value);
    }
    return false;
  }

  /** The best metric so far (from this run or the exports on disk), if any. */
  public OptionalDouble best() {
    return best.best();
  }

  /** The export made last by this listener, if any. */
  public Optional<ExportResult> lastResult() {
    return Optional.ofNullable(last);
  }

  /** Settings of a {@link BestExporter}. */
  public static final class Builder {
    private final SavedModelExporter exporter;
    private final ExportDirectory exports;
    private final ExportMetric metric;
    private String metricName = "metric";
    private boolean higherIsBetter;

    private Builder(SavedModelExporter exporter, ExportDirectory exports, ExportMetric metric) {
      this.exporter = Objects.requireNonNull(exporter, "exporter");
      this.exports = Objects.requireNonNull(exports, "exports");
      this.metric = Objects.requireNonNull(metric, "metric");
    }

    /** The metric's name, recorded with each export (default {@code metric}). */
    public Builder metricName(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("expected a metric name such as 'eval_loss', but got '" + name + "'");
      }
      this.metricName = name;
      return this;
    }

    /** Whether a larger value is better, as for an accuracy (default false: a loss). */
    public Builder higherIsBetter(boolean higher) {
      this.higherIsBetter = higher;
      return this;
    }

    public BestExporter build() {
      return new BestExporter(this);
    }
  }
}
