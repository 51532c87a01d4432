package dev.tfmon.export;

import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.runtime.RunnableSession;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports the model after a checkpoint only when its metric improved on every earlier export
 * (Estimator's {@code BestExporter}). The metric comes from an {@link ExportMetric}, computed with
 * the training session right after each checkpoint. Each export records its metric in {@code
 * assets.extra/tfmon_metric.properties}, so a restarted job compares with the best export on disk,
 * not from scratch.
 *
 * <pre>{@code
 * BestExporter best = BestExporter.builder(exporter, ExportDirectory.of(Path.of("/models/best")).keep(3), evalLoss)
 *     .metricName("eval_loss").build();                          // lower is better by default
 * MonitoredTrainingSession.builder(graph).checkpointDir(dir).checkpointListener(best).build();
 * }</pre>
 */
public final class BestExporter implements CheckpointSaverListener {
  private static final Logger LOG = LoggerFactory.getLogger(BestExporter.class);
  /** The file in {@code assets.extra/} holding an export's metric. */
  public static final String METRIC_FILE = "tfmon_metric.properties";

  private final SavedModelExporter exporter;
  private final ExportDirectory exports;
  private final ExportMetric metric;
  private final String metricName;
  private final boolean higherIsBetter;
  private Double best;
  private boolean bestLoaded;
  private volatile ExportResult last;

  private BestExporter(Builder b) {
    this.exporter = b.exporter;
    this.exports = b.exports;
    this.metric = b.metric;
    this.metricName = b.metricName;
    this.higherIsBetter = b.higherIsBetter;
  }

  public static Builder builder(SavedModelExporter exporter, ExportDirectory exports, ExportMetric metric) {
    return new Builder(exporter, exports, metric);
  }

  @Override
  public synchronized boolean afterSave(RunnableSession session, long step) {
    double value = metric.evaluate(session, step);
    if (Double.isNaN(value)) {
      LOG.warn("{} is NaN at global step {}: not exported", metricName, step);
      return false;
    }
    if (!bestLoaded) {
      OptionalDouble onDisk = bestOnDisk();
      best = onDisk.isPresent() ? onDisk.getAsDouble() : null;
      bestLoaded = true;
    }
    if (best != null && !improves(value, best)) {
      LOG.info("{} {} at global step {} does not improve on {}: not exported", metricName, value, step, best);
      return false;
    }
    if (exports.versions().contains(step)) {
      LOG.info("global step {} is already exported in {}", step, exports.base());
      return false;
    }
    last = exporter.export(session, exports, step, Map.of(METRIC_FILE, metricFile(value, step)));
    best = value;
    return false;
  }

  /** The best metric so far (from this run or the exports on disk), if any. */
  public synchronized OptionalDouble best() {
    return best == null ? OptionalDouble.empty() : OptionalDouble.of(best);
  }

  /** The export made last by this listener, if any. */
  public Optional<ExportResult> lastResult() {
    return Optional.ofNullable(last);
  }

  private boolean improves(double value, double than) {
    return higherIsBetter ? value > than : value < than;
  }

  private byte[] metricFile(double value, long step) {
    Properties p = new Properties();
    p.setProperty("metric", metricName);
    p.setProperty("value", Double.toString(value));
    p.setProperty("global_step", Long.toString(step));
    p.setProperty("higher_is_better", Boolean.toString(higherIsBetter));
    StringWriter w = new StringWriter();
    try {
      p.store(w, "written by tfmon's BestExporter");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return w.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The best metric recorded by the complete exports of this directory for the same metric name. */
  private OptionalDouble bestOnDisk() {
    OptionalDouble found = OptionalDouble.empty();
    List<Long> versions = exports.versions();
    for (long v : versions) {
      Path file = exports.versionPath(v).resolve(SavedModelWriter.EXTRA_ASSETS_DIRECTORY).resolve(METRIC_FILE);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
        if (!metricName.equals(p.getProperty("metric"))) {
          continue;
        }
        double value = Double.parseDouble(p.getProperty("value", "NaN"));
        if (!Double.isNaN(value) && (found.isEmpty() || improves(value, found.getAsDouble()))) {
          found = OptionalDouble.of(value);
        }
      } catch (IOException | NumberFormatException e) {
        LOG.warn("ignoring unreadable metric file {}: {}", file, e.toString());
      }
    }
    return found;
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
