package dev.tfmon.metrics;

import dev.tfmon.hook.SessionRunContext;
import dev.tfmon.hook.SessionRunHook;
import dev.tfmon.hook.SessionRunValues;
import dev.tfmon.runtime.RunnableSession;
import dev.tfmon.runtime.SessionRunArgs;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a training loop that stopped moving: when no step completes within the stall timeout,
 * or the monitored session's {@code close()} outlasts its grace period, it reports once per stall
 * a {@link StallReport} (by default a WARN log line with a dump of every JVM thread and the run in
 * flight: its fetches, targets and how long it has been running) and counts the stall in {@link
 * TrainingStats}. When steps complete again it logs that too and is ready for the next stall.
 *
 * <p>It is a hook: put it first in the hook list, so that its {@code beforeRun} marks the run in
 * flight before any other hook's {@code beforeRun} can block. The clock starts at the first run
 * (session creation and restore are not watched) and the close watch starts in {@code end()}, at
 * a clean close. A background daemon thread checks a few times per timeout; close the watchdog
 * after the session (declare it first in try-with-resources).
 *
 * <pre>{@code
 * try (StallWatchdog watchdog = StallWatchdog.builder().stallTimeout(Duration.ofMinutes(10))
 *         .stats(metrics.stats()).build();
 *     MonitoredSession session = MonitoredSession.builder(graph).hook(watchdog).hook(metrics).build()) {
 *   session.runUntilStopped(s -> s.run(trainOp));
 * }
 * }</pre>
 */
public final class StallWatchdog implements SessionRunHook, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StallWatchdog.class);

  private final String runName;
  private final long timeoutNanos;
  private final long graceNanos;
  private final TrainingStats stats;
  private final Consumer<StallReport> sink;
  private final LongSupplier clock;
  private final ScheduledExecutorService timer;

  // Written by the training thread on every run; the publication order is start, thread, then the
  // context (volatile) that the checker reads first.
  private volatile long lastProgressNanos;
  private volatile boolean armed;
  private volatile long inFlightStartNanos;
  private volatile Thread inFlightThread;
  private volatile SessionRunContext inFlight;
  private volatile Thread trainingThread;
  private volatile boolean stalled;
  private volatile long stallStartNanos;

  private volatile boolean closing;
  private volatile long closingSinceNanos;
  private boolean closeReported;
  private volatile boolean closed;
  private long reports;

  private StallWatchdog(Builder b) {
    this.timeoutNanos = b.stallTimeout.toNanos();
    this.graceNanos = (b.closeGracePeriod != null ? b.closeGracePeriod : b.stallTimeout).toNanos();
    this.stats = b.stats;
    this.runName = b.runName != null ? b.runName : b.stats != null ? b.stats.runName() : "training";
    this.sink = b.sink != null ? b.sink : report -> LOG.warn("{}", report.message());
    this.clock = b.clock;
    long interval =
        b.checkInterval != null
            ? b.checkInterval.toNanos()
            : Math.max(
                TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.SECONDS.toNanos(1), Math.min(timeoutNanos, graceNanos) / 4));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tfmon-stall-watchdog-" + runName);
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::checkQuietly, interval, interval, TimeUnit.NANOSECONDS);
  }

  /** A builder; {@link Builder#stallTimeout} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** How many stalls this watchdog reported. */
  public synchronized long reports() {
    return reports;
  }

  @Override
  public SessionRunArgs beforeRun(SessionRunContext context) {
    long now = clock.getAsLong();
    if (!armed) {
      lastProgressNanos = now;
      armed = true;
    }
    Thread current = Thread.currentThread();
    inFlightStartNanos = now;
    inFlightThread = current;
    trainingThread = current;
    inFlight = context;
    return null;
  }

  @Override
  public void afterRun(SessionRunContext context, SessionRunValues values) {
    long now = clock.getAsLong();
    inFlight = null;
    lastProgressNanos = now;
    if (stalled) {
      stalled = false;
      LOG.info(
          "training run '{}' completes steps again after a stall of {} ms",
          runName,
          TimeUnit.NANOSECONDS.toMillis(now - stallStartNanos));
    }
  }

  @Override
  public void end(RunnableSession session) {
    inFlight = null;
    closingSinceNanos = clock.getAsLong();
    closing = true;
  }

  /** Stops the background checks. Safe to call twice. */
  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      // A failing sink must not kill the timer thread, which would end all later checks.
      LOG.error("stall watchdog of run '{}' failed to report", runName, e);
    }
  }

  /** One check (the timer calls it; tests call it with a fake clock). */
  synchronized void check() {
    if (closed) {
      return;
    }
    long now = clock.getAsLong();
    if (closing) {
      long closingFor = now - closingSinceNanos;
      if (!closeReported && closingFor > graceNanos) {
        closeReported = true;
        fire(StallReport.Kind.CLOSE, closingFor, graceNanos, now);
      }
      return;
    }
    if (!armed || stalled) {
      return;
    }
    long idle = now - lastProgressNanos;
    if (idle > timeoutNanos) {
      stalled = true;
      stallStartNanos = lastProgressNanos;
      fire(StallReport.Kind.STEP, idle, timeoutNanos, now);
    }
  }

  private void fire(StallReport.Kind kind, long stalledFor, long limit, long now) {
    reports++;
    if (stats != null) {
      stats.recordStall();
    }
    Optional<StallReport.InFlightRun> run = Optional.empty();
    SessionRunContext ctx = inFlight;
    if (ctx != null) {
      SessionRunArgs args = ctx.originalArgs();
      List<String> targets = new ArrayList<>();
      args.targets().forEach(t -> targets.add(t.name()));
      Thread t = inFlightThread;
      run =
          Optional.of(
              new StallReport.InFlightRun(
                  t.getName(), t.getId(), args.fetchNames(), targets, Duration.ofNanos(now - inFlightStartNanos)));
    }
    StallReport report =
        new StallReport(
            kind,
            runName,
            Duration.ofNanos(stalledFor),
            Duration.ofNanos(limit),
            stats != null ? stats.globalStep() : -1,
            run,
            threadDump(trainingThread));
    sink.accept(report);
  }

  /**
   * Every live thread with its state, the lock it waits for and its whole stack (unlike {@link
   * ThreadInfo#toString()}, which cuts stacks at eight frames); {@code first} leads.
   */
  static String threadDump(Thread first) {
    ThreadInfo[] infos = ManagementFactory.getThreadMXBean().dumpAllThreads(true, true);
    StringBuilder out = new StringBuilder("thread dump:\n");
    long firstId = first == null ? -1 : first.getId();
    for (ThreadInfo info : infos) {
      if (info.getThreadId() == firstId) {
        append(out, info, true);
      }
    }
    for (ThreadInfo info : infos) {
      if (info.getThreadId() != firstId) {
        append(out, info, false);
      }
    }
    return out.toString();
  }

  private static void append(StringBuilder out, ThreadInfo info, boolean training) {
    out.append('"').append(info.getThreadName()).append("\" #").append(info.getThreadId());
    if (info.isDaemon()) {
      out.append(" daemon");
    }
    out.append(' ').append(info.getThreadState());
    if (info.getLockName() != null) {
      out.append(" on ").append(info.getLockName());
    }
    if (info.getLockOwnerName() != null) {
      out.append(" owned by \"").append(info.getLockOwnerName()).append("\" #").append(info.getLockOwnerId());
    }
    if (training) {
      out.append("  <- training thread");
    }
    out.append('\n');
    StackTraceElement[] stack = info.getStackTrace();
    MonitorInfo[] monitors = info.getLockedMonitors();
    for (int i = 0; i < stack.length; i++) {
      out.append("\tat ").append(stack[i]).append('\n');
      for (MonitorInfo m : monitors) {
        if (m.getLockedStackDepth() == i) {
          out.append("\t- locked ").append(m).append('\n');
        }
      }
    }
    LockInfo[] synchronizers = info.getLockedSynchronizers();
    if (synchronizers.length > 0) {
      out.append("\tlocked synchronizers:");
      for (LockInfo l : synchronizers) {
        out.append(' ').append(l);
      }
      out.append('\n');
    }
    out.append('\n');
  }

  /** Builds a {@link StallWatchdog}; checks its settings at {@link #build()}. */
  public static final class Builder {
    private Duration stallTimeout;
    private Duration closeGracePeriod;
    private Duration checkInterval;
    private TrainingStats stats;
    private String runName;
    private Consumer<StallReport> sink;
    private LongSupplier clock = System::nanoTime;

    private Builder() {}

    /** How long without a completed step is a stall (required, positive). */
    public Builder stallTimeout(Duration timeout) {
      this.stallTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long {@code close()} may run before it is reported (default: the stall timeout). */
    public Builder closeGracePeriod(Duration grace) {
      this.closeGracePeriod = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** How often the background thread checks (default: a quarter of the shorter limit, 10 ms to 1 s). */
    public Builder checkInterval(Duration interval) {
      this.checkInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** Counts stalls in {@code stats} and names reports after its run. */
    public Builder stats(TrainingStats stats) {
      this.stats = Objects.requireNonNull(stats, "stats");
      return this;
    }

    /** The run name in reports (default: the stats' run name, else "training"). */
    public Builder runName(String name) {
      this.runName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** Where reports go (default: a WARN line on this class's SLF4J logger). */
    public Builder sink(Consumer<StallReport> reportSink) {
      this.sink = Objects.requireNonNull(reportSink, "reportSink");
      return this;
    }

    /** The time source (tests pass a fake clock). */
    public Builder clock(LongSupplier nanos) {
      this.clock = Objects.requireNonNull(nanos, "nanos");
      return this;
    }

    /**
     * Builds the watchdog and starts its checking thread.
     *
     * @throws IllegalArgumentException if the stall timeout is missing or not positive, or the
     *     grace period or check interval is not positive
     */
    public StallWatchdog build() {
      if (stallTimeout == null) {
        throw new IllegalArgumentException("expected a stall timeout, but none was set: call stallTimeout(...)");
      }
      requirePositive("stall timeout", stallTimeout);
      if (closeGracePeriod != null) {
        requirePositive("close grace period", closeGracePeriod);
      }
      if (checkInterval != null) {
        requirePositive("check interval", checkInterval);
      }
      if (runName != null && runName.isBlank()) {
        throw new IllegalArgumentException("expected a non-blank run name, but got \"" + runName + "\"");
      }
      return new StallWatchdog(this);
    }

    private static void requirePositive(String what, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("expected a positive " + what + ", but got " + d);
      }
    }
  }
}
