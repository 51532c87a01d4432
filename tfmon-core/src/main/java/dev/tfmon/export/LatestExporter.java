package dev.tfmon.export;

import dev.tfmon.hook.CheckpointSaverListener;
import dev.tfmon.runtime.RunnableSession;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports the model as it is after every checkpoint and/or at the end of training (Estimator's
 * {@code LatestExporter}): a {@link CheckpointSaverListener}, so it runs on the training thread
 * right after the checkpoint of the same global step, with the live session. The version is that
 * global step; a step already exported is not exported twice.
 *
 * <pre>{@code
 * LatestExporter latest = LatestExporter.builder(exporter, ExportDirectory.of(Path.of("/models/m")).keep(5)).build();
 * MonitoredTrainingSession.builder(graph).checkpointDir(dir).checkpointListener(latest).build();
 * }</pre>
 *
 * <p>A failed or refused export propagates its exception: training stops with it (the checkpoint
 * of that step is already written).
 */
public final class LatestExporter implements CheckpointSaverListener {
  private static final Logger LOG = LoggerFactory.getLogger(LatestExporter.class);

  private final SavedModelExporter exporter;
  private final ExportDirectory exports;
  private final boolean everyCheckpoint;
  private final boolean atEnd;
  private volatile ExportResult last;

  private LatestExporter(Builder b) {
    this.exporter = b.exporter;
    this.exports = b.exports;
    this.everyCheckpoint = b.everyCheckpoint;
    this.atEnd = b.atEnd;
  }

  public static Builder builder(SavedModelExporter exporter, ExportDirectory exports) {
    return new Builder(exporter, exports);
  }

  @Override
  public boolean afterSave(RunnableSession session, long step) {
    if (everyCheckpoint) {
      exportIfNew(session, step);
    }
    return false;
  }

  @Override
  public void end(RunnableSession session, long step) {
    if (atEnd) {
      exportIfNew(session, step);
    }
  }

  /** The export made last by this listener, if any. */
  public Optional<ExportResult> lastResult() {
    return Optional.ofNullable(last);
  }

  /** The directory exports go to. */
  public ExportDirectory exports() {
    return exports;
  }

  private void exportIfNew(RunnableSession session, long step) {
    if (exports.versions().contains(step)) {
      LOG.info("global step {} is already exported in {}", step, exports.base());
      return;
    }
    last = exporter.export(session, exports, step);
  }

  /** Settings of a {@link LatestExporter}. */
  public static final class Builder {
    private final SavedModelExporter exporter;
    private final ExportDirectory exports;
    private boolean everyCheckpoint = true;
    private boolean atEnd = true;

    private Builder(SavedModelExporter exporter, ExportDirectory exports) {
      this.exporter = Objects.requireNonNull(exporter, "exporter");
      this.exports = Objects.requireNonNull(exports, "exports");
    }

    /** Export after every checkpoint (default true). */
    public Builder everyCheckpoint(boolean every) {
      this.everyCheckpoint = every;
      return this;
    }

    /** Export at the end of training, after the final checkpoint (default true). */
    public Builder atEnd(boolean end) {
      this.atEnd = end;
      return this;
    }

    /** @throws IllegalArgumentException if neither every checkpoint nor the end is chosen */
    public LatestExporter build() {
      if (!everyCheckpoint && !atEnd) {
        throw new IllegalArgumentException("everyCheckpoint(false) and atEnd(false): this exporter would never export");
      }
      return new LatestExporter(this);
    }
  }
}
