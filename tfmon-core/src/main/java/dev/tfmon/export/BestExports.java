package dev.tfmon.export;

import dev.tfmon.eval.MetricGoal;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The best metric of a directory of exports and the file that records it in each export ({@code
 * assets.extra/tfmon_metric.properties}): what {@link BestExporter} and {@link
 * ExportOnImprovement} share. The best starts as the best value the complete exports on disk
 * recorded for the same metric, so a restarted job compares with them rather than from scratch.
 *
 * <pre>{@code
 * BestExports best = new BestExports(exports, MetricGoal.min("loss"));
 * if (best.improvedBy(0.31)) { ...export with best.metricFile(0.31, step, checkpoint)...; best.exported(0.31); }
 * }</pre>
 */
final class BestExports {
  private static final Logger LOG = LoggerFactory.getLogger(BestExports.class);

  private final ExportDirectory exports;
  private final MetricGoal goal;
  private Double best;
  private boolean loaded;

  BestExports(ExportDirectory exports, MetricGoal goal) {
    this.exports = exports;
    this.goal = goal;
  }

  MetricGoal goal() {
    return goal;
  }

  /** The best value so far: this run's, or the exports' on disk; empty when there is none. */
  synchronized OptionalDouble best() {
    if (!loaded) {
      OptionalDouble onDisk = onDisk();
      best = onDisk.isPresent() ? onDisk.getAsDouble() : null;
      loaded = true;
    }
    return best == null ? OptionalDouble.empty() : OptionalDouble.of(best);
  }

  /** Whether {@code value} beats the best so far (anything but NaN beats none). */
  synchronized boolean improvedBy(double value) {
    OptionalDouble b = best();
    return goal.improves(value, b.isPresent() ? b.getAsDouble() : null, 0);
  }

  /**
   * Whether {@code value}, the metric of what would be version {@code step}, is to be exported: it
   * is a number, beats the best so far, and the version is not there yet. Says why not at INFO
   * (WARN for NaN), naming {@code what} (a checkpoint, or the global step).
   */
  synchronized boolean worthExporting(double value, long step, String what) {
    String metric = goal.metric();
    if (Double.isNaN(value)) {
      LOG.warn("{} is NaN for {}: not exported", metric, what);
      return false;
    }
    if (!improvedBy(value)) {
      LOG.info("{} {} for {} does not improve on {}: not exported", metric, value, what, best().getAsDouble());
      return false;
    }
    if (exports.versions().contains(step)) {
      LOG.info("global step {} is already exported in {}", step, exports.base());
      return false;
    }
    return true;
  }

  /** {@code value} is the new best. */
  synchronized void exported(double value) {
    best();
    best = value;
  }

  /**
   * The metric file of an export of {@code value} at {@code step}, under its name in {@code
   * assets.extra/}.
   *
   * @param checkpoint the checkpoint exported, or null for a live session
   */
  Map<String, byte[]> metricFile(double value, long step, String checkpoint) {
    Properties p = new Properties();
    p.setProperty("metric", goal.metric());
    p.setProperty("value", Double.toString(value));
    p.setProperty("global_step", Long.toString(step));
    p.setProperty("higher_is_better", Boolean.toString(goal.direction() == MetricGoal.Direction.MAX));
    if (checkpoint != null) {
      p.setProperty("checkpoint", checkpoint);
    }
    StringWriter w = new StringWriter();
    try {
      p.store(w, "written by tfmon's best-model exporter");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return Map.of(BestExporter.METRIC_FILE, w.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The best value recorded by the complete exports of the directory for the same metric. */
  private OptionalDouble onDisk() {
    OptionalDouble found = OptionalDouble.empty();
    for (long v : exports.versions()) {
      Path file = exports.versionPath(v).resolve(SavedModelWriter.EXTRA_ASSETS_DIRECTORY).resolve(BestExporter.METRIC_FILE);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
        if (!goal.metric().equals(p.getProperty("metric"))) {
          continue;
        }
        double value = Double.parseDouble(p.getProperty("value", "NaN"));
        if (goal.improves(value, found.isPresent() ? found.getAsDouble() : null, 0)) {
          found = OptionalDouble.of(value);
        }
      } catch (IOException | NumberFormatException e) {
        LOG.warn("ignoring unreadable metric file {}: {}", file, e.toString());
      }
    }
    return found;
  }
}
