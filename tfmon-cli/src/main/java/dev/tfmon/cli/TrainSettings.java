package dev.tfmon.cli;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The options of {@code tfmon train} once checked and resolved: what the training loop and the
 * report need, with every default applied.
 *
 * <pre>{@code
 * TrainSettings s = new TrainSettings(Path.of("runs/default"), 2000, null, 500, null, 100, 5.0, 100, null,
 *     Duration.ofMinutes(10), null, null, null);
 * }</pre>
 *
 * @param modelDir checkpoints and event files
 * @param lastStep the global step to stop at, or -1 for none (with --epochs)
 * @param epochs passes over the data in this run, or null
 * @param checkpointSteps save every this many steps, or null (then checkpointSecs)
 * @param checkpointSecs save every this many seconds, or null
 * @param summarySteps summaries every this many steps, 0 for none
 * @param flushSecs event files are put on disk at least this often
 * @param logSteps a plain progress line every this many steps
 * @param metrics where to serve /metrics, or null for nowhere
 * @param stallTimeout the watchdog's timeout, zero for none
 * @param distributed this worker's cluster task, or null when training alone
 * @param server this worker's task server, or null when training alone
 * @param eval evaluation during training, or null
 */
record TrainSettings(
    Path modelDir,
    long lastStep,
    Long epochs,
    Long checkpointSteps,
    Long checkpointSecs,
    int summarySteps,
    double flushSecs,
    int logSteps,
    MetricsEndpoint metrics,
    Duration stallTimeout,
    ClusterArgs distributed,
    dev.tfmon.cluster.TaskServer server,
    EvalSettings eval) {

  /** Whether this process writes the model directory (alone, or worker 0 of a cluster). */
  boolean isChief() {
    return distributed == null || distributed.isChief();
  }

  /** The run's name for JMX: the model directory's name. */
  String runName() {
    Path name = modelDir.toAbsolutePath().normalize().getFileName();
    return name == null ? "default" : name.toString();
  }
}
