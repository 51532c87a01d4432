package dev.tfmon.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link StallWatchdog} reports once per stall: which kind of stall, for how long nothing has
 * moved, the run in flight (if a hook's {@code beforeRun} or the TensorFlow run itself is where the
 * loop hangs) and a dump of every JVM thread.
 *
 * <pre>{@code
 * StallWatchdog.builder().stallTimeout(Duration.ofMinutes(5))
 *     .sink(report -> alerts.send(report.summary())).build();
 * }</pre>
 *
 * @param kind a step that did not complete, or a {@code close()} past its grace period
 * @param runName the run's name
 * @param stalledFor time since the last completed step (or since close began)
 * @param limit the timeout (or grace period) that was exceeded
 * @param lastGlobalStep the global step of the last completed run, or -1 if unknown
 * @param inFlight the run started but not completed, if any
 * @param threadDump every live thread with its full stack, the training thread first
 */
public record StallReport(
    Kind kind,
    String runName,
    Duration stalledFor,
    Duration limit,
    long lastGlobalStep,
    Optional<InFlightRun> inFlight,
    String threadDump) {

  public StallReport {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(inFlight, "inFlight");
  }

  /** What stalled. */
  public enum Kind {
    /** No step completed within the stall timeout. */
    STEP,
    /** The monitored session's {@code close()} has been running past its grace period. */
    CLOSE
  }

  /**
   * A {@code run()} that started and has not completed.
   *
   * @param threadName the thread that called it (the training thread)
   * @param threadId that thread's id
   * @param fetches the caller's fetches ({@code "op:index"})
   * @param targets the caller's target operations
   * @param runningFor how long since it started
   */
  public record InFlightRun(
      String threadName, long threadId, List<String> fetches, List<String> targets, Duration runningFor) {
    public InFlightRun {
      fetches = List.copyOf(fetches);
      targets = List.copyOf(targets);
    }
  }

  /** One line: what stalled, for how long, and the run in flight. */
  public String summary() {
    StringBuilder s = new StringBuilder();
    if (kind == Kind.STEP) {
      s.append("training run '").append(runName).append("' stalled: no step completed for ")
          .append(seconds(stalledFor)).append(" (stall timeout ").append(seconds(limit)).append(")");
    } else {
      s.append("training run '").append(runName).append("': close() has been running for ")
          .append(seconds(stalledFor)).append(" (grace period ").append(seconds(limit)).append(")");
    }
    s.append("; last global step ").append(lastGlobalStep);
    if (inFlight.isPresent()) {
      InFlightRun r = inFlight.get();
      s.append("; run() in flight for ").append(seconds(r.runningFor()))
          .append(" on thread \"").append(r.threadName()).append("\" fetching ").append(r.fetches())
          .append(" with targets ").append(r.targets());
    } else {
      s.append("; no run() in flight");
    }
    return s.toString();
  }

  /** The summary followed by the thread dump, as logged. */
  public String message() {
    return summary() + "\n" + threadDump;
  }

  private static String seconds(Duration d) {
    return String.format("%.1f s", d.toNanos() / 1e9);
  }
}
